"""`ChatClient`: the OpenAI-compatible chat API (``/v1/chat/completions``, ``/v1/models``)
that llama.cpp's server, Ollama, vLLM and LocalAI serve, written once for the agents and
the AI services.

    async with ChatClient(ChatSettings("http://127.0.0.1:8080", model="qwen")) as client:
        reply = await client.chat([system("..."), user("...")], tools=[...])
        reply.tool_calls, reply.content

Errors are `LlmError` naming the server and what it said. A request is retried only when
retrying is safe: the connection was refused or reset before the server got it, or the
server said 429/503 (busy, nothing done). A timeout or a 500 is not retried: the server
may still be working, and a second request would double its load.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from hub.errors import LlmError
from hub.llm.messages import ChatReply, Message, ToolCall, Usage

_LOGGER = logging.getLogger(__name__)
_SAID = 300
"""Characters of a server's error body quoted in an LlmError."""
_RETRY_STATUS = (429, 503)


@dataclass(frozen=True, slots=True)
class ChatSettings:
    url: str
    """The server's base URL, with or without ``/v1`` (``http://127.0.0.1:8080``)."""
    model: str = ""
    api_key: str = ""
    timeout: float = 60.0
    """Seconds for one request, connect to last byte."""
    retries: int = 2
    """Extra attempts when retrying is safe (see the module's doc)."""
    backoff: float = 0.5


def _base(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


class ChatClient:
    def __init__(self, settings: ChatSettings, *,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.base = _base(settings.url)
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout),
                                       headers=headers, transport=transport)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self._http.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the API -------------------------------------------------------------------------

    async def models(self) -> list[str]:
        """The ids of the models the server offers."""
        body = await self._request("GET", "/models", None, self.settings.timeout)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise LlmError(f"{self.base}/models: expected {{'data': [...]}}, got "
                           f"{_quote(json.dumps(body))}")
        return [str(item.get("id")) for item in data if isinstance(item, dict)]

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        tool_choice: str | Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> ChatReply:
        """One chat completion; `timeout` (seconds) overrides the settings' for this call."""
        request: dict[str, Any] = {"messages": list(messages)}
        if self.settings.model:
            request["model"] = self.settings.model
        if tools:
            request["tools"] = list(tools)
            if tool_choice is not None:
                request["tool_choice"] = tool_choice
        if response_format is not None:
            request["response_format"] = dict(response_format)
        if temperature is not None:
            request["temperature"] = temperature
        if max_tokens is not None:
            request["max_tokens"] = max_tokens
        request.update(extra or {})
        started = time.monotonic()
        body = await self._request("POST", "/chat/completions", request,
                                   timeout if timeout is not None else self.settings.timeout)
        return parse_reply(body, f"{self.base}/chat/completions",
                           time.monotonic() - started)

    # -- transport -----------------------------------------------------------------------

    async def _request(self, method: str, path: str, body: Any, timeout: float) -> Any:
        url = self.base + path
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, url, json=body,
                                                    timeout=httpx.Timeout(timeout))
            except httpx.TimeoutException:
                raise LlmError(f"{url}: no answer within {timeout:g} s (the model server is "
                               "busy or stalled; raise the agent's timeout or use a smaller "
                               "model)") from None
            except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
                if attempt < self.settings.retries and _unsent(exc):
                    attempt += 1
                    await asyncio.sleep(self.settings.backoff * attempt)
                    continue
                raise LlmError(f"{url}: cannot reach the model server: {exc or type(exc).__name__}"
                               ) from None
            except httpx.HTTPError as exc:
                raise LlmError(f"{url}: the connection to the model server broke "
                               f"({type(exc).__name__}{': ' + str(exc) if str(exc) else ''}); "
                               "is it still running?") from None
            if response.status_code in _RETRY_STATUS and attempt < self.settings.retries:
                attempt += 1
                _LOGGER.info("model server busy, retrying url=%s status=%d attempt=%d", url,
                             response.status_code, attempt)
                await asyncio.sleep(self.settings.backoff * attempt)
                continue
            if response.status_code >= 400:
                raise LlmError(f"{url}: the model server answered {response.status_code}: "
                               f"{_quote(_error_text(response))}")
            try:
                return response.json()
            except ValueError:
                raise LlmError(f"{url}: the answer is not JSON: {_quote(response.text)}"
                               ) from None


def _unsent(exc: Exception) -> bool:
    """The request never reached the server (refused, or reset before anything was read)."""
    return isinstance(exc, httpx.ConnectError)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
        if isinstance(error, str):
            return error
    return json.dumps(body)


def _quote(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= _SAID else text[:_SAID] + "...")


def parse_reply(body: Any, where: str, seconds: float = 0.0) -> ChatReply:
    """A chat completion body as a `ChatReply`; LlmError when it has no message."""
    try:
        choice = body["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise LlmError(f"{where}: the answer has no choices[0].message: "
                       f"{_quote(json.dumps(body) if not isinstance(body, str) else body)}"
                       ) from None
    if not isinstance(message, dict):
        raise LlmError(f"{where}: choices[0].message is not an object")
    calls = tuple(_tool_call(item, index) for index, item
                  in enumerate(message.get("tool_calls") or ()))
    usage = body.get("usage") if isinstance(body, dict) else None
    usage = usage if isinstance(usage, dict) else {}
    content = message.get("content")
    return ChatReply(
        content=content if isinstance(content, str) else "",
        tool_calls=calls,
        finish_reason=str(choice.get("finish_reason") or ""),
        usage=Usage(int(usage.get("prompt_tokens") or 0),
                    int(usage.get("completion_tokens") or 0)),
        model=str(body.get("model") or ""),
        seconds=seconds,
    )


def _tool_call(item: Any, index: int) -> ToolCall:
    if not isinstance(item, dict) or not isinstance(item.get("function"), dict):
        return ToolCall(id=f"call_{index}", name="", raw=json.dumps(item),
                        problem="the tool call has no 'function' object")
    function = item["function"]
    call_id = str(item.get("id") or f"call_{index}")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        return ToolCall(id=call_id, name="", raw=json.dumps(function),
                        problem="the tool call names no function")
    raw = function.get("arguments")
    if isinstance(raw, dict):  # some servers send the object itself
        return ToolCall(id=call_id, name=name, arguments=raw, raw=json.dumps(raw))
    if raw is None or raw == "":
        return ToolCall(id=call_id, name=name, raw="{}")
    if not isinstance(raw, str):
        return ToolCall(id=call_id, name=name, raw=json.dumps(raw),
                        problem="the arguments are not a JSON object")
    try:
        arguments = json.loads(raw)
    except ValueError as exc:
        return ToolCall(id=call_id, name=name, raw=raw,
                        problem=f"the arguments are not valid JSON ({exc})")
    if not isinstance(arguments, dict):
        return ToolCall(id=call_id, name=name, raw=raw,
                        problem="the arguments are not a JSON object")
    return ToolCall(id=call_id, name=name, arguments=arguments, raw=raw)
