"""The chat client (hub/llm) against a server of our own on a real socket."""

from __future__ import annotations

import pytest

from hub.errors import LlmError
from hub.llm import ChatClient, ChatSettings, function_tool, system, user
from tests.broker import free_port
from tests.llmfake import fake_model

TOOL = function_tool("light_kitchen__turn_on", "Turn on the kitchen light.",
                     {"type": "object", "properties": {"brightness_pct": {"type": "number"}}})


async def test_chat_sends_tools_and_reads_tool_calls() -> None:
    async with fake_model() as model, ChatClient(ChatSettings(model.url, model="m")) as client:
        model.calls(("light_kitchen__turn_on", {"brightness_pct": 40}))
        reply = await client.chat([system("be brief"), user("kitchen on at 40%")],
                                  tools=[TOOL], tool_choice="auto", temperature=0,
                                  response_format={"type": "text"})
        sent = model.requests[0]
        assert sent["model"] == "m" and sent["tool_choice"] == "auto"
        assert sent["tools"][0]["function"]["name"] == "light_kitchen__turn_on"
        assert sent["response_format"] == {"type": "text"} and sent["temperature"] == 0
        assert [(c.name, dict(c.arguments)) for c in reply.tool_calls] == [
            ("light_kitchen__turn_on", {"brightness_pct": 40})]
        assert reply.finish_reason == "tool_calls" and reply.usage.prompt_tokens == 10
        assert reply.message()["tool_calls"][0]["function"]["name"] == "light_kitchen__turn_on"
        assert await client.models() == ["fake"]


async def test_images_travel_as_data_urls() -> None:
    async with fake_model() as model, ChatClient(ChatSettings(model.url + "/v1/")) as client:
        model.says("a person")
        reply = await client.chat([user("who is it?", [(b"\xff\xd8jpeg\xff\xd9", "image/jpeg")])])
        parts = model.requests[0]["messages"][0]["content"]
        assert parts[0] == {"type": "text", "text": "who is it?"}
        assert parts[1]["image_url"]["url"] == "data:image/jpeg;base64,/9hqcGVn/9k="
        assert reply.content == "a person" and not reply.tool_calls


async def test_malformed_tool_calls_are_reported_not_raised() -> None:
    async with fake_model() as model, ChatClient(ChatSettings(model.url)) as client:
        model.calls(("light_kitchen__turn_on", "{brightness_pct: 40"), ("", {}),
                    ("light_kitchen__turn_on", "[1, 2]"))
        calls = (await client.chat([user("x")], tools=[TOOL])).tool_calls
        assert calls[0].problem.startswith("the arguments are not valid JSON")
        assert calls[0].raw == "{brightness_pct: 40"
        assert calls[1].problem == "the tool call names no function"
        assert calls[2].problem == "the arguments are not a JSON object"


async def test_a_500_names_the_server_and_what_it_said() -> None:
    async with fake_model() as model, ChatClient(ChatSettings(model.url)) as client:
        model.fails(500, {"error": {"message": "failed to parse tools"}})
        with pytest.raises(LlmError, match=r"/v1/chat/completions: the model server answered "
                                           r"500: 'failed to parse tools'"):
            await client.chat([user("x")])
        assert len(model.requests) == 1  # a 500 is not retried


async def test_busy_server_is_retried_then_answers() -> None:
    async with fake_model() as model:
        settings = ChatSettings(model.url, retries=2, backoff=0.01)
        async with ChatClient(settings) as client:
            model.fails(503, {"error": {"message": "Loading model"}})
            model.says("ready")
            assert (await client.chat([user("x")])).content == "ready"
            assert len(model.requests) == 2


async def test_a_stalling_server_times_out() -> None:
    async with fake_model() as model, ChatClient(ChatSettings(model.url, timeout=0.3)) as client:
        model.stalls()
        with pytest.raises(LlmError, match=r"no answer within 0.3 s \(the model server is busy"):
            await client.chat([user("x")])
        assert len(model.requests) == 1  # a timeout is not retried


async def test_nobody_listening_and_garbage() -> None:
    port = free_port()
    async with ChatClient(ChatSettings(f"http://127.0.0.1:{port}", retries=1,
                                       backoff=0.01)) as client:
        with pytest.raises(LlmError, match=rf"127.0.0.1:{port}/v1/chat/completions: cannot "
                                           "reach the model server"):
            await client.chat([user("x")])
    async with fake_model() as model, ChatClient(ChatSettings(model.url)) as client:
        model.fails(200, "<html>not json</html>")
        with pytest.raises(LlmError, match="the answer is not JSON: '<html>not json</html>'"):
            await client.chat([user("x")])
        model.fails(200, {"choices": []})
        with pytest.raises(LlmError, match=r"the answer has no choices\[0\].message"):
            await client.chat([user("x")])
