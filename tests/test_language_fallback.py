"""The hand-over to an LLM agent when the fast path is unsure (issue 11, item 4)."""

from __future__ import annotations

from hub.capfile import parse_capabilities
from hub.located import parse_yaml
from hub.routing.language import Resolution, Resolver
from hub.routing.language.fallback import Handover, resolve_with_fallback

HOME = parse_capabilities(parse_yaml(
    "- {id: light.hall, type: light, name: Hall light, area: hallway}\n"
    "- {id: light.porch, type: light, name: Porch light, area: porch}\n",
    file="home.yaml",
))  # fmt: skip


class Agent:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.handed: list[Handover] = []

    async def take_over(self, handover: Handover) -> Resolution | None:
        self.handed.append(handover)
        if not self.answer:
            return None
        return Resolution(handover.text, "light", "turn_on", ("light.porch",), outcome="ok")


async def test_a_sure_answer_never_reaches_the_agent() -> None:
    agent = Agent(answer=True)
    r = await resolve_with_fallback(Resolver(HOME), "turn on the hall light", agent=agent)
    assert (r.targets, r.path, agent.handed) == (("light.hall",), "fast", [])


async def test_an_unsure_answer_goes_to_the_agent_with_the_candidate_tools() -> None:
    agent = Agent(answer=True)
    r = await resolve_with_fallback(Resolver(HOME), "turn on the light", agent=agent)
    assert (r.tool, r.targets, r.path) == ("turn_on", ("light.porch",), "agent")
    [handover] = agent.handed
    assert handover.fast.outcome == "unsure"
    offered = {(o.capability, o.tool) for o in handover.tools}
    assert {("light.hall", "turn_on"), ("light.porch", "turn_off")} <= offered
    turn_on = next(o for o in handover.tools if o.tool == "turn_on")
    assert "brightness_pct" in turn_on.parameters["properties"]


async def test_a_declining_agent_leaves_the_fast_answer_and_says_so() -> None:
    r = await resolve_with_fallback(Resolver(HOME), "turn on the light", agent=Agent(False))
    assert (r.outcome, r.path) == ("unsure", "fast (agent declined)")


async def test_without_an_agent_the_fast_path_answers() -> None:
    r = await resolve_with_fallback(Resolver(HOME), "turn on the light")
    assert (r.outcome, r.path) == ("unsure", "fast")
