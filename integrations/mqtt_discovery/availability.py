"""Availability as Home Assistant's discovery describes it.

Either one `availability_topic` (with `availability_template`), or a list `availability`
of ``{topic, payload_available, payload_not_available, value_template}``, combined by
`availability_mode`: ``latest`` (the last message on any topic decides; the default),
``all`` (available when every topic says so) or ``any`` (when one does). An entity with
availability topics is unavailable until the first message says otherwise; one without is
always available. A payload that is neither available nor not-available is bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.errors import PayloadError
from hub.templates import Template
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload

MODES = ("latest", "all", "any")


@dataclass(frozen=True, slots=True)
class Source:
    topic: str
    payload_available: str = "online"
    payload_not_available: str = "offline"
    template: Template | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    sources: tuple[Source, ...] = ()
    mode: str = "latest"


def read_spec(opts: Options) -> Spec:
    """The availability of an entity's configuration; PayloadError if it is malformed."""
    single = opts.subscribe_topic("availability_topic")
    listed = opts.raw("availability")
    available = opts.text("payload_available", "online")
    not_available = opts.text("payload_not_available", "offline")
    mode = opts.choice("availability_mode", "latest", MODES)
    if single is not None and listed is not None:
        raise opts.error("availability", "give availability_topic or availability, not both")
    if single is not None:
        return Spec((Source(single, available, not_available,
                            opts.template("availability_template")),), mode)
    if listed is None:
        return Spec((), mode)
    if not isinstance(listed, list):
        raise opts.error("availability", f"expected a list of {{topic: ...}}, got {listed!r}")
    sources = []
    for i, item in enumerate(listed):
        if not isinstance(item, dict):
            raise opts.error(f"availability[{i}]", f"expected a mapping, got {item!r}")
        item_opts = opts.child(item, f"availability[{i}]")
        topic = item_opts.subscribe_topic("topic", required=True)
        assert topic is not None
        # As Home Assistant: each item has its own payloads, "online"/"offline" by default;
        # the top-level payloads belong to availability_topic only.
        sources.append(Source(
            topic,
            item_opts.text("payload_available", "online"),
            item_opts.text("payload_not_available", "offline"),
            item_opts.template("value_template"),
        ))
    return Spec(tuple(sources), mode)


class Tracker:
    """The availability of one entity from its sources' last messages."""

    __slots__ = ("_latest", "_on_change", "_values", "spec")

    def __init__(self, spec: Spec, on_change: Callable[[bool], None]) -> None:
        self.spec = spec
        self._on_change = on_change
        self._values: list[bool | None] = [None] * len(spec.sources)
        self._latest: bool | None = None

    @property
    def available(self) -> bool:
        if not self.spec.sources:
            return True
        if self.spec.mode == "all":
            return all(v is True for v in self._values)
        if self.spec.mode == "any":
            return any(v is True for v in self._values)
        return self._latest is True

    def seed(self, other: Tracker) -> None:
        """Take over what `other` (an earlier version of the entity) already heard, for
        the topics both read: a configuration update must not forget availability."""
        heard = {s.topic: v for s, v in zip(other.spec.sources, other._values, strict=True)}
        for i, source in enumerate(self.spec.sources):
            if self._values[i] is None and heard.get(source.topic) is not None:
                self._values[i] = heard[source.topic]
        if other._latest is not None and any(
            s.topic in heard for s in self.spec.sources
        ):
            self._latest = other._latest

    def handler(self, index: int) -> Callable[[Payload], None]:
        source = self.spec.sources[index]

        def handle(payload: Payload) -> None:
            text = payload.text
            if source.template is not None:
                text = source.template.render(payload.variables)
            text = text.strip() if source.template is not None else text
            if text == source.payload_available:
                value = True
            elif text == source.payload_not_available:
                value = False
            else:
                raise PayloadError(
                    f"{payload.topic}: availability: expected {source.payload_available!r} or "
                    f"{source.payload_not_available!r}, got {text[:40]!r}"
                )
            before = self.available
            self._values[index] = value
            self._latest = value
            after = self.available
            if after != before:
                self._on_change(after)

        return handle
