"""`Automations`: the engine of one hub. The runtime owns it (an async context manager on
its exit stack) and hands itself in; trigger platforms reach it as ``hub.automations``.

Enter: read the `automation:` section (a broken automation is logged with file:line and
skipped), attach every trigger (one failing platform never blocks the others), resume the
runs a stop interrupted in a durable wait, fire the start triggers. Exit: fire the
shutdown triggers, detach, cancel runs (durable waits stay in the store), flush traces.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from hub.automations.config import read_automations
from hub.automations.dispatch import Dispatch, FiredEvent
from hub.automations.errors import StopRun
from hub.automations.helpers import StateHelpers
from hub.automations.hubapi import HubApi
from hub.automations.intents import Intents
from hub.automations.model import AutomationConfig, TriggerSpec
from hub.automations.platform import TriggerEvent, TriggerInfo
from hub.automations.runner import Automation
from hub.automations.script import Action, Resume, Run
from hub.automations.templating import Renderer
from hub.automations.timers import Timers
from hub.automations.traces import Trace, TraceBook
from hub.config import load_config
from hub.errors import AtmosphereError, RegistryError
from hub.located import Located, Problems
from hub.templates import Templates

if TYPE_CHECKING:
    from hub.routing.language import Resolution

_LOGGER = logging.getLogger(__name__)
SHUTDOWN_GRACE = 5.0
"""Seconds the shutdown triggers' runs get before the hub stops anyway."""


class Automations:
    def __init__(self, hub: HubApi, raw: Located | None, *,
                 config_dir: Path | None = None) -> None:
        self.hub = hub
        self.registry = hub.registry
        self.clock = hub.clock
        self.templates = Templates()
        self.helpers = StateHelpers(hub.registry, hub.clock)
        self.renderer = Renderer(self.templates, self.helpers.variables())
        self.dispatch = Dispatch(hub.bus, hub.registry, hub.clock)
        self.timers = Timers(hub.store, hub.clock)
        self.intents = Intents(hub, self.dispatch, self.spawn)
        self.traces = TraceBook(hub.store, hub.clock)
        self.automations: dict[str, Automation] = {}
        self.problems: list[str] = []
        """The automations that were skipped, why and where (``file:line: ...``)."""
        self.stopping = False
        self._raw = raw
        self._config_dir = config_dir
        self._group: asyncio.TaskGroup | None = None
        self._held: dict[str, tuple[float, dict[str, Any]]] = {}
        self._collect: list[asyncio.Task[None]] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.traces.__aenter__()
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self.dispatch.start()
        self.intents.start()
        try:
            self._held = {key: (due, data) for key, _, due, data
                          in await self.timers.pending("for")}
            await self._load(self._raw)
            await self._resume()
            self.dispatch.lifecycle("start")
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._collect = []
        self.dispatch.lifecycle("shutdown")
        shutdown_runs, self._collect = self._collect, None
        await self._settle(shutdown_runs, SHUTDOWN_GRACE)
        self.stopping = True
        self._unload()
        self.dispatch.stop()
        self.intents.stop()
        group, self._group = self._group, None
        if group is not None:
            await group.__aexit__(None, None, None)
        await self.traces.__aexit__(None, None, None)

    async def _settle(self, tasks: list[asyncio.Task[None]], grace: float) -> None:
        """Let the shutdown triggers' runs end, for at most `grace` seconds."""
        if not tasks:
            return
        sleeper = asyncio.ensure_future(self.clock.sleep(grace))
        try:
            await asyncio.wait({*tasks, sleeper}, return_when=asyncio.FIRST_COMPLETED)
            while not sleeper.done() and not all(t.done() for t in tasks):
                await asyncio.wait({*tasks, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()

    def spawn(self, coro: Awaitable[None], name: str = "automations.run") -> None:
        """Run `coro` as a task of the engine (cancelled when the hub stops)."""
        if self._group is None:
            if isinstance(coro, Coroutine):
                coro.close()
            return
        task = self._group.create_task(_guarded(coro, name), name=name)
        if self._collect is not None:
            self._collect.append(task)

    # -- loading ------------------------------------------------------------------------

    async def _load(self, raw: Located | None) -> None:
        problems = Problems()
        configs = read_automations(raw, problems, config_dir=self._config_dir,
                                   templates=self.templates)
        self.problems = problems.lines()
        for line in self.problems:
            _LOGGER.error("automation skipped: %s", line)
        for config in configs:
            automation = Automation(config, self, self.traces, lambda: self.stopping)
            self.automations[config.id] = automation
        await asyncio.gather(*(self._attach(a) for a in self.automations.values()))
        _LOGGER.info("automations loaded count=%d skipped_problems=%d", len(configs),
                     len(self.problems))

    def _unload(self) -> None:
        for automation in self.automations.values():
            if automation.detach is not None:
                automation.detach()
                automation.detach = None
            automation.cancel_all()

    async def reload(self) -> list[str]:
        """Read `automation:` again from the configuration directory; the problems."""
        if self._config_dir is None:
            raise AtmosphereError("this hub has no configuration directory to reload from")
        config = await asyncio.to_thread(load_config, self._config_dir)
        self._unload()
        self.automations = {}
        self._raw = config.automation
        await self._load(self._raw)
        return self.problems

    async def _attach(self, automation: Automation) -> None:
        config = automation.config
        specs = [s for s in config.triggers if s.enabled]
        results = await asyncio.gather(*(self._attach_one(automation, s) for s in specs),
                                       return_exceptions=True)
        detaches: list[Callable[[], None]] = []
        for spec, result in zip(specs, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result
                _LOGGER.error("trigger not attached automation=%s trigger=%s at %s: %s",
                              config.id, spec.platform, spec.where, result)
            else:
                detaches.append(result)

        def detach() -> None:
            for one in detaches:
                one()

        automation.detach = detach

    def _info(self, config: AutomationConfig, spec: TriggerSpec, key: str) -> TriggerInfo:
        return TriggerInfo(automation=config.id, trigger_id=spec.id, idx=spec.idx,
                           alias=config.alias, key=key, variables=config.trigger_variables)

    async def _attach_one(self, automation: Automation, spec: TriggerSpec) -> Callable[[], None]:
        config = automation.config

        def action(event: TriggerEvent) -> Awaitable[None]:
            # enabled is read when the trigger fires, not when its task gets to run
            if not automation.enabled:
                return _nothing()
            return automation.trigger(_trigger_vars(spec, event), extra=spec.variables)

        info = self._info(config, spec, f"{config.id}:{config.fingerprint}:{spec.idx}")
        detach: Callable[[], None] = await spec.module.attach(self.hub, spec.config, action, info)
        return detach

    async def _resume(self) -> None:
        for key, automation_id, due, data in await self.timers.pending("run"):
            automation = self.automations.get(automation_id)
            if (automation is None or not automation.enabled
                    or automation.config.fingerprint != data.get("fingerprint")):
                _LOGGER.warning("interrupted run not resumed: its automation changed or is "
                                "gone automation=%s run=%s", automation_id, data.get("run_id"))
                await self.timers.delete(key)
                continue
            _LOGGER.info("resuming run automation=%s run=%s at=%s", automation_id,
                         data["run_id"], data["path"])
            self.spawn(automation.resume(data["run_id"], float(data.get("started", due)),
                                         dict(data.get("variables") or {}),
                                         Resume(data["path"], due)),
                       name=f"automation.{automation_id}.resume")

    # -- for trigger platforms -----------------------------------------------------------

    def held(self, prefix: str) -> list[tuple[str, float, dict[str, Any]]]:
        """Pending `for:` timers stored under keys starting with `prefix` (taken once)."""
        found = [(k, due, data) for k, (due, data) in self._held.items() if k.startswith(prefix)]
        for key, _, _ in found:
            del self._held[key]
        return found

    async def drop_stale_holds(self) -> None:
        for key in list(self._held):
            await self.timers.delete(key)
        self._held.clear()

    # -- what steps use (script.Engine) --------------------------------------------------

    async def call(self, capability_id: str, tool: str, arguments: Mapping[str, Any]) -> Any:
        return await self.hub.call(capability_id, tool, arguments)

    def publish(self, topic: str, payload: str | bytes, qos: int, retain: bool) -> None:
        self.hub.fabric.publish(topic, payload, qos=qos, retain=retain)

    def fire_event(self, event_type: str, data: Mapping[str, Any]) -> None:
        self.hub.bus.publish(FiredEvent(event_type, dict(data),
                                        time=self.clock.now().timestamp()))

    def since_change(self, capability_id: str) -> float | None:
        return self.dispatch.since_change(capability_id)

    def capability_ids(self, domain: str, areas: Sequence[str]) -> list[str]:
        wanted = {a.lower() for a in areas}
        return [c.id for c in self.registry.all()
                if (domain == "homeassistant" or c.type == domain)
                and (not wanted or c.area.lower() in wanted
                     or c.area.lower().replace(" ", "_") in wanted)]

    def on_any_state(self, callback: Callable[[], None]) -> Callable[[], None]:
        return self.dispatch.on_any_state(callback)

    async def resolve(self, text: str, context: Mapping[str, Any]) -> Resolution:
        return await self.hub.resolve(text, context)

    async def automation_service(self, service: str, ids: Sequence[str],
                                 variables: Mapping[str, Any]) -> None:
        for entity_id in ids:
            automation_id = entity_id.removeprefix("automation.")
            if service == "trigger":
                self.trigger(automation_id, skip_condition=bool(
                    variables.get("skip_condition", True)))
            elif service in ("turn_on", "turn_off", "toggle"):
                automation = self.get(automation_id)
                on = not automation.enabled if service == "toggle" else service == "turn_on"
                self.enable(automation_id) if on else self.disable(automation_id)
            else:
                raise AtmosphereError(f"automation.{service} is not supported; use trigger, "
                                      "turn_on, turn_off or toggle")

    async def attach_triggers(self, specs: Sequence[TriggerSpec], name: str,
                              callback: Callable[[dict[str, Any]], Awaitable[None]]
                              ) -> Callable[[], None]:
        detaches: list[Callable[[], None]] = []
        for spec in specs:
            if not spec.enabled:
                continue

            async def action(event: TriggerEvent, spec: TriggerSpec = spec) -> None:
                await callback(_trigger_vars(spec, event))

            info = TriggerInfo(automation=name, trigger_id=spec.id, idx=spec.idx,
                               key=f"wait:{name}:{id(spec)}")
            detaches.append(await spec.module.attach(self.hub, spec.config, action, info))

        def detach() -> None:
            for one in detaches:
                one()

        return detach

    async def run_script(self, name: str, actions: Sequence[Action],
                         variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run `actions` outside any automation (a script agent): its trace as a dict, plus
        ``response`` (a `stop`'s response_variable) and ``error``."""
        config = AutomationConfig(id=name, alias=name, where=name, triggers=(),
                                  conditions=(), actions=tuple(actions))
        trace = Trace(name, uuid.uuid4().hex[:16], self.clock.now().timestamp(),
                      variables.get("trigger"))
        run = Run(self, config, trace, {"this": {"entity_id": name}, **variables})
        response: Any = None
        try:
            await run.sequence(config.actions, "action")
            trace.script_execution = "finished"
        except StopRun as stop:
            trace.script_execution = "error" if stop.error else "finished"
            trace.error = stop.reason if stop.error else None
            response = stop.response
        except AtmosphereError as exc:
            trace.script_execution = "error"
            trace.error = str(exc)
        trace.state = "stopped"
        trace.finished = self.clock.now().timestamp()
        data = trace.as_dict()
        data["response"] = response
        return data

    # -- management ----------------------------------------------------------------------

    def get(self, automation_id: str) -> Automation:
        automation = self.automations.get(automation_id)
        if automation is None:
            known = ", ".join(sorted(self.automations)) or "none"
            raise RegistryError(f"no automation '{automation_id}'; known: {known}")
        return automation

    def enable(self, automation_id: str) -> None:
        self.get(automation_id).enabled = True

    def disable(self, automation_id: str) -> None:
        automation = self.get(automation_id)
        automation.enabled = False
        automation.cancel_all()

    def trigger(self, automation_id: str, *, variables: Mapping[str, Any] | None = None,
                skip_condition: bool = True) -> None:
        """Run an automation now, as Home Assistant's automation.trigger does."""
        automation = self.get(automation_id)
        trigger = {"platform": None, "id": "manual", "idx": "0", "alias": None,
                   "description": "manual trigger", **dict(variables or {})}
        self.spawn(automation.trigger(trigger, skip_condition=skip_condition),
                   name=f"automation.{automation_id}.manual")


def _trigger_vars(spec: TriggerSpec, event: TriggerEvent) -> dict[str, Any]:
    return {"platform": spec.platform, "id": spec.id, "idx": str(spec.idx), "alias": None,
            "description": event.description, **event.variables}


async def _nothing() -> None:
    return None


async def _guarded(coro: Awaitable[None], name: str) -> None:
    """A task of the engine never fails its task group: errors are logged here."""
    try:
        await coro
    except Exception:
        _LOGGER.exception("automation task failed task=%s", name)
