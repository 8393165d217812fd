"""Trusted peers: two real hubs on one real Mosquitto, B calling a tool on A.

Every refusal is counted by its reason on A; what can be authenticated is answered with a
signed ``unauthorized``/``forbidden`` reply instead of a timeout."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from hub.clock import Clock, SystemClock
from hub.errors import CallTimeout, Forbidden, TokenError
from hub.fabric import Envelope, Fabric, FabricSettings, Message, ReplayGuard, rpc_topic, seal
from hub.fabric.envelope import unseal
from hub.identity import Identity, load_or_create_identity
from hub.mesh.revocations import sign_revocations
from hub.mesh.tokens import RootKey, create_root_key, encode_public_key
from hub.mesh.trust import MESH_DIR, NODE_TOKEN_FILE
from hub.model import Capability, NodeId, Tool, ToolResult
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.waiting import eventually

LIGHT = Capability(id="light.kitchen", type="light", name="Kitchen light",
                   tools=(Tool("turn_on"), Tool("turn_off")))
CAMERA = Capability(id="camera.porch", type="camera", name="Porch camera",
                    tools=(Tool("get_frame"),))


class SkewedClock(SystemClock):
    """The system clock, wall time moved by `offset` seconds: a board without an RTC."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=self.offset)


async def light(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
    return ToolResult(value={"state": "on" if tool == "turn_on" else "off"})


async def camera(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
    return ToolResult(data=b"\xff\xd8frame\xff\xd9", content_type="image/jpeg")


@dataclass
class Mesh:
    root: RootKey
    a: Hub
    b: Hub
    tmp: Path

    def refused(self, reason: str) -> int:
        return int(self.a.rpc_counters()["server"]["refused"].get(reason, 0))


def node_token(
    root: RootKey, identity: Identity, scopes: Sequence[str], *, issued: datetime | None = None,
    days: float = 90, token_id: str | None = None,
) -> str:
    # issued an hour ago by default: a node token predates the calls made with it (and a
    # hub whose clock is a few minutes behind still sees it valid)
    issued = issued or datetime.now(UTC) - timedelta(hours=1)
    return root.issue(identity.public_key, scopes, now=issued,
                      lifetime=timedelta(days=days), token_id=token_id)


def admit(root: RootKey, directory: Path, token_for: Any) -> Identity:
    """Make the hub's key in `directory`/data and join it with the token `token_for` gives."""
    identity = load_or_create_identity(directory / "data")
    token = token_for(identity)
    if token:
        # written as is: `join` refuses an expired token, and one test needs B to have one
        folder = directory / "data" / MESH_DIR
        folder.mkdir(exist_ok=True)
        (folder / NODE_TOKEN_FILE).write_text(token)
        (folder / NODE_TOKEN_FILE).chmod(0o600)
    return identity


@asynccontextmanager
async def mesh(
    tmp_path: Path,
    broker: Mosquitto,
    *,
    b_scopes: Sequence[str] = ("light.*",),
    b_token: Any = None,
    b_clock: Clock | None = None,
) -> AsyncIterator[Mesh]:
    root, _ = create_root_key(tmp_path / "root")
    mesh_section = {"root_key": encode_public_key(root.public_key)}
    admit(root, tmp_path / "a", lambda ident: node_token(root, ident, ["*"]))
    admit(root, tmp_path / "b", b_token or (lambda ident: node_token(root, ident, b_scopes)))
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            Hub(hub_config(tmp_path / "a", broker.host, broker.port, mesh=mesh_section))
        )
        a.registry.add(LIGHT, light)
        a.registry.add(CAMERA, camera)
        b = await stack.enter_async_context(
            Hub(hub_config(tmp_path / "b", broker.host, broker.port, mesh=mesh_section),
                clock=b_clock)
        )
        yield Mesh(root, a, b, tmp_path)


@asynccontextmanager
async def listener(broker: Mosquitto, topic: str) -> AsyncIterator[list[Message]]:
    """A raw MQTT client collecting what is published on `topic` (an eavesdropper)."""
    seen: list[Message] = []
    async with Fabric(FabricSettings(host=broker.host, port=broker.port)) as fabric:
        fabric.subscribe(topic, seen.append, 1)
        await fabric.wait_subscribed()
        yield seen


async def publish(broker: Mosquitto, topic: str, payload: bytes) -> None:
    async with Fabric(FabricSettings(host=broker.host, port=broker.port)) as fabric:
        await fabric.publish_confirmed(topic, payload, qos=1)


def opened(message: Message, m: Mesh) -> Envelope:
    keys = {m.a.node_id: m.a.identity.public_key, m.b.node_id: m.b.identity.public_key}
    return unseal(message.payload, keys.get, now=datetime.now(UTC).timestamp(),
                  replay=ReplayGuard())


def error_reply(message: Message, sender: Hub) -> dict[str, Any]:
    envelope = unseal(message.payload, lambda node: sender.identity.public_key
                      if node == sender.node_id else None,
                      now=datetime.now(UTC).timestamp(), replay=ReplayGuard(), check_skew=False)
    assert envelope.kind == "error"
    body: dict[str, Any] = json.loads(envelope.body)
    return body


async def test_a_peer_in_scope_is_served_and_learnt(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto, b_scopes=["light.*", "camera.get_frame"]) as m:
        result = await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
        assert result.value == {"state": "on"}
        frame = await m.b.call("camera.porch", "get_frame", node=m.a.node_id)
        assert frame.data == b"\xff\xd8frame\xff\xd9"
        assert m.a.trust.keyring is not None and m.b.trust.keyring is not None
        assert m.a.trust.keyring.token(m.b.node_id) is not None  # from B's request
        assert m.b.trust.keyring.token(m.a.node_id) is not None  # from A's reply
        assert m.a.rpc_counters()["server"]["refused"] == {}
        # a local call needs no token and no scope, and carries none
        async with listener(mosquitto, rpc_topic(m.a.node_id)) as to_a:
            assert (await m.a.call("light.kitchen", "turn_off")).value == {"state": "off"}
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
            await eventually(lambda: len(to_a) == 2)
        local, remote = (opened(message, m) for message in to_a)
        assert local.credential == "" and local.recipient == m.a.node_id
        assert remote.credential == m.b.trust.own_token.token  # type: ignore[union-attr]


async def test_out_of_scope_is_forbidden(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto, b_scopes=["camera.get_frame", "light.turn_off"]) as m:
        with pytest.raises(Forbidden, match=(
            rf"node {m.a.node_id} refused light.kitchen/turn_on: node {m.b.node_id} may not "
            r"call light.turn_on \(light.kitchen\): its node token \S+ allows "
            r"camera.get_frame, light.turn_off"
        )) as caught:
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
        assert caught.value.reason == "out_of_scope"
        assert m.refused("out_of_scope") == 1
        await m.b.call("light.kitchen", "turn_off", node=m.a.node_id)
        status = m.a.trust.status()
        assert status["mesh_id"] == m.root.mesh_id
        [peer] = status["peers"]
        assert peer["node"] == m.b.node_id and peer["revoked"] is False
        assert peer["scopes"] == ["camera.get_frame", "light.turn_off"]


async def test_expired_token_is_unauthorized(tmp_path: Path, mosquitto: Mosquitto) -> None:
    root, _ = create_root_key(tmp_path / "root")  # the one `mesh` loads

    def expired(identity: Identity) -> str:
        return node_token(root, identity, ["*"], token_id="old-1",
                          issued=datetime.now(UTC) - timedelta(days=3), days=1)

    async with mesh(tmp_path, mosquitto, b_token=expired) as m:
        with pytest.raises(TokenError, match=r"node token old-1 of node \S+ expired at") as caught:
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
        assert caught.value.reason == "expired_token"
        assert m.refused("expired_token") == 1


async def test_revoked_token_is_unauthorized(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
        own = m.b.trust.own_token
        assert own is not None and m.a.trust.revocations is not None
        revoked = sign_revocations(m.root, {own.token_id: own.expires_at},
                                   now=datetime.now(UTC))
        assert m.a.trust.revocations.merge(revoked) is True
        with pytest.raises(TokenError, match=rf"node token {own.token_id} of node "
                           rf"{m.b.node_id} is revoked") as caught:
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
        assert caught.value.reason == "revoked"
        assert m.refused("revoked") == 1


async def test_a_reply_from_a_revoked_peer_is_refused(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        own = m.a.trust.own_token
        assert own is not None and m.b.trust.revocations is not None
        m.b.trust.revocations.merge(
            sign_revocations(m.root, {own.token_id: own.expires_at}, now=datetime.now(UTC)))
        with pytest.raises(TokenError, match=(
            rf"reply from node {m.a.node_id} refused: node token {own.token_id} of node "
            rf"{m.a.node_id} is revoked"
        )):
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
        assert m.b.rpc_counters()["client"]["refused"] == {"revoked": 1}


async def test_no_token_is_dropped_as_unknown(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto, b_token=lambda identity: None) as m:
        assert m.b.trust.own_token is None
        with pytest.raises(CallTimeout):
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id, timeout=0.5)
        assert m.refused("unknown_sender") == 1


async def test_forged_signature_is_dropped(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        assert m.b.trust.own_token is not None
        forged = Envelope.create(
            m.b.node_id, "request",
            json.dumps({"capability": "light.kitchen", "tool": "turn_on"}).encode(),
            time=datetime.now(UTC).timestamp(), reply_to="atmosphere/v1/x/reply",
            correlation_id="c1", recipient=m.a.node_id, credential=m.b.trust.own_token.token,
        )
        forger = nacl.signing.SigningKey.generate()  # B's token, somebody else's key
        await publish(mosquitto, rpc_topic(m.a.node_id), seal(forged, forger))
        await eventually(lambda: m.refused("bad_signature") == 1)


async def test_misaddressed_envelope_is_refused(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        c = NodeId(Identity.generate().node_id)
        replies = f"atmosphere/v1/nodes/{m.b.node_id}/reply/#"
        async with listener(mosquitto, rpc_topic(c)) as to_c, \
                listener(mosquitto, replies) as to_b:
            call = asyncio.create_task(
                m.b.call("light.kitchen", "turn_on", node=c, timeout=5))
            await eventually(lambda: len(to_c) == 1)
            await publish(mosquitto, rpc_topic(m.a.node_id), to_c[0].payload)
            await eventually(lambda: m.refused("misaddressed") == 1)
            await eventually(lambda: len(to_b) == 1)
            body = error_reply(to_b[0], m.a)
            assert body["code"] == "unauthorized" and body["reason"] == "misaddressed"
            assert f"addressed to node {c}, not to this node {m.a.node_id}" in body["message"]
            call.cancel()


async def test_replayed_request_is_refused(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with mesh(tmp_path, mosquitto) as m:
        replies = f"atmosphere/v1/nodes/{m.b.node_id}/reply/#"
        async with listener(mosquitto, rpc_topic(m.a.node_id)) as to_a, \
                listener(mosquitto, replies) as to_b:
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
            await eventually(lambda: len(to_a) == 1 and len(to_b) == 1)
            await publish(mosquitto, rpc_topic(m.a.node_id), to_a[0].payload)
            await eventually(lambda: m.refused("replayed") == 1)
            await eventually(lambda: len(to_b) == 2)
            body = error_reply(to_b[1], m.a)
            assert body["code"] == "unauthorized" and body["reason"] == "replayed"


async def test_clock_skew_is_refused_and_said_loudly(
    tmp_path: Path, mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.fabric.rpc")
    async with mesh(tmp_path, mosquitto, b_clock=SkewedClock(-300)) as m:
        with pytest.raises(TokenError, match=r"its time is -300\.\d s off ours") as caught:
            await m.b.call("light.kitchen", "turn_on", node=m.a.node_id)
        assert caught.value.reason == "clock_skew"
        assert m.refused("clock_skew") == 1
        warnings = [r.getMessage() for r in caplog.records if "clock skew" in r.getMessage()]
        # A names B and its offset; B, hearing A's reply, names A and A's offset
        assert any(f"node {m.b.node_id} is -300." in w for w in warnings), warnings
        assert any(f"node {m.a.node_id} is +300." in w for w in warnings), warnings
