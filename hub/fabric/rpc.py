"""Tool calls as request/response over the fabric, in signed envelopes.

A request goes to ``atmosphere/v1/nodes/<node>/rpc``; its body is JSON
``{"capability", "tool", "arguments"}``, and its envelope carries the reply-to topic, a
correlation id and a deadline, so that this works on MQTT 3.1.1 brokers too. The reply
(kind ``result`` or ``error``) goes to the caller's
``atmosphere/v1/nodes/<caller>/reply/<session>``. A JSON result travels as JSON; a binary
one (a camera frame) as its raw bytes with its content type. An error's body is
``{"code", "message"}`` with code one of `ERROR_CODES`.

Both sides drop what they cannot verify or parse (counted in `bad`, logged at most once
per ten seconds): a bad message never ends the receive path.

With a `Trust` (the mesh's keyring, `hub.mesh.peers`) every envelope names its recipient
and carries this node's node token; a request is admitted only if the trust says so (the
sender's token valid and not revoked, the tool within its scopes). Refusals are counted
per reason (`RpcCounters.refused`). An authentic request that is refused (clock skew,
misaddressed, replayed, expired or revoked token, out of scope) is answered with a signed
error reply, ``unauthorized`` or ``forbidden``, so that its caller learns why at once
instead of waiting out its timeout; one that cannot be authenticated (unknown sender, bad
signature) is dropped unanswered. A peer whose clock is off by more than the allowed skew
is logged at WARNING (once a minute per peer), naming it and the offset.

A request may carry an idempotency ``key`` in its body (`RpcClient.call(key=...)`): the
server then runs the tool at most once per (caller, capability, tool, key) and answers a
duplicate with the first run's outcome (`hub.fabric.results`; counted in `cached`). Its
envelope's deadline may be later than the caller's wait for this one reply
(`call(deadline=...)`): the work's whole budget travels, so that a provider the caller
stopped waiting for still finishes, and a retry with the same key picks the result up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any, Protocol, Self

import nacl.signing

from hub.clock import Clock, SystemClock
from hub.errors import (
    AtmosphereError,
    CallTimeout,
    FabricError,
    Forbidden,
    PayloadError,
    RegistryError,
    TokenError,
    ToolError,
)
from hub.fabric.connection import Cancel, Fabric, Message
from hub.fabric.envelope import (
    JSON_TYPE,
    Envelope,
    PublicKeyLookup,
    Refusal,
    ReplayGuard,
    seal,
    unseal,
)
from hub.fabric.results import MAX_KEY_LENGTH, ResultCache
from hub.inputs import load_json
from hub.logthrottle import LogThrottle
from hub.model import NodeId, ToolHandler, ToolResult

_LOGGER = logging.getLogger(__name__)

Resolve = Callable[[str], ToolHandler | None]

ERROR_CODES = (
    "unknown_capability",
    "unknown_tool",
    "bad_arguments",
    "tool_error",
    "timeout",
    "unauthorized",
    "forbidden",
)
REFUSALS = (
    "unknown_sender",
    "bad_signature",
    "expired_token",
    "revoked",
    "out_of_scope",
    "misaddressed",
    "replayed",
    "clock_skew",
)
"""Why a request was refused: the keys of `RpcCounters.refused`."""
_UNANSWERED = frozenset({"unknown_sender", "bad_signature"})
"""Refusals of what cannot be authenticated: its reply-to cannot be trusted."""
_SKEW_LOG_INTERVAL = 60.0
_QOS = 1  # a request survives a broker hiccup; the replay guard drops the duplicate


def rpc_topic(node_id: str) -> str:
    return f"atmosphere/v1/nodes/{node_id}/rpc"


def reply_topic(node_id: str, session: str) -> str:
    return f"atmosphere/v1/nodes/{node_id}/reply/{session}"


@dataclass(frozen=True, slots=True)
class RpcCounters:
    requests: int = 0
    replies: int = 0
    bad: int = 0
    expired: int = 0
    late: int = 0
    replayed: int = 0
    """Envelopes refused as replays (also counted in `bad`)."""
    refused: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Refused envelopes per reason (`REFUSALS`); each is also counted in `bad`."""
    cached: int = 0
    """Requests with an idempotency key answered by an earlier run (server side)."""


class Trust(Protocol):
    """Who may call whom: the mesh's keyring (`hub.mesh.peers.PeerGuard`)."""

    @property
    def credential(self) -> str:
        """This node's node token, sent in every envelope; empty when it has none."""
        ...

    def learn(self, sender: NodeId, token: str) -> None:
        """Learn `sender`'s key from its node token; TokenError (with its reason) when
        the token is forged or of another mesh."""
        ...

    def admit(self, request: Envelope, capability: str, tool: str) -> None:
        """Raise TokenError (reason ``expired_token``, ``revoked``, ``misaddressed``) or
        Forbidden (``out_of_scope``) when `request`'s authentic sender may not call
        `tool` of `capability` on this node."""
        ...

    def vouch(self, sender: NodeId) -> None:
        """Raise TokenError (``expired_token``, ``revoked``) when a reply's authentic
        sender is no longer trusted."""
        ...


class _Endpoint:
    """What the server and the client share: signing, verifying, counting bad input."""

    def __init__(
        self,
        fabric: Fabric,
        node_id: str,
        signing_key: nacl.signing.SigningKey,
        lookup: PublicKeyLookup,
        clock: Clock | None,
        replay: ReplayGuard | None = None,
        trust: Trust | None = None,
    ) -> None:
        self._fabric = fabric
        self._trust = trust
        self._refused: Counter[str] = Counter()
        self.node_id = NodeId(node_id)
        self._key = signing_key
        self._lookup = lookup
        self._clock: Clock = clock or SystemClock()
        self._replay = replay if replay is not None else ReplayGuard()
        self._throttle = LogThrottle(self._clock)
        self._skew_throttle = LogThrottle(self._clock, _SKEW_LOG_INTERVAL)
        self._cancel: Cancel | None = None
        self._requests = self._replies = self._bad = self._expired = self._late = 0

    @property
    def counters(self) -> RpcCounters:
        return RpcCounters(
            self._requests,
            self._replies,
            self._bad,
            self._expired,
            self._late,
            self._replay.refused,
            MappingProxyType(dict(self._refused)),
            self._cached_hits(),
        )

    def _cached_hits(self) -> int:
        return 0

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _unseal(self, message: Message, *, check_skew: bool = True) -> Envelope:
        trust = self._trust
        return unseal(
            message.payload,
            self._lookup,
            now=self._now(),
            replay=self._replay,
            recipient=self.node_id,
            learn=trust.learn if trust is not None else None,
            check_skew=check_skew,
        )

    def _open(self, message: Message, *, check_skew: bool = True) -> Envelope | None:
        try:
            return self._unseal(message, check_skew=check_skew)
        except TokenError as exc:
            self._refuse(message.topic, exc)
            return None
        except AtmosphereError as exc:  # PayloadError
            self._reject(message.topic, str(exc))
            return None

    def _refuse(self, topic: str, exc: TokenError) -> None:
        """Count a refusal by its reason; a clock skew is logged loudly, per peer."""
        self._bad += 1
        if exc.reason:
            self._refused[exc.reason] += 1
        if exc.reason == "clock_skew" and isinstance(exc, Refusal):
            self._warn_skew(exc.envelope, "its requests are refused")
        elif self._throttle.allow(f"refused:{exc.reason}"):
            reason = exc.reason or "untrusted"
            _LOGGER.warning(
                "rpc message refused topic=%s reason=%s %s=%d: %s",
                topic,
                reason,
                reason,
                self._refused[reason] if exc.reason else self._bad,
                exc,
            )

    def _warn_skew(self, envelope: Envelope, consequence: str) -> None:
        sender, offset = envelope.sender, envelope.time - self._now()
        if self._skew_throttle.allow(sender):
            _LOGGER.warning(
                "clock skew: node %s is %+.1f s off this hub's clock, beyond the allowed "
                "%g s: %s until the clocks agree; check time sync (NTP) on both hubs (a "
                "board without a real-time clock must sync before the hub starts) "
                "peer=%s offset=%+.1f",
                sender,
                offset,
                self._replay.max_skew,
                consequence,
                sender,
                offset,
            )

    def _reject(self, topic: str, reason: str) -> None:
        self._bad += 1
        if self._throttle.allow("bad"):
            _LOGGER.warning(
                "rpc message dropped topic=%s bad=%d replayed=%d: %s",
                topic,
                self._bad,
                self._replay.refused,
                reason,
            )

    def _send(self, topic: str, envelope: Envelope) -> None:
        self._fabric.publish(topic, seal(envelope, self._key), qos=_QOS)

    @property
    def _credential(self) -> str:
        # only for peers: a local call's envelopes stay as small as before the mesh
        return self._trust.credential if self._trust is not None else ""


class RpcServer(_Endpoint):
    """``async with RpcServer(fabric, node_id, key, lookup, resolve)``: serves this node's
    tools. Handlers run concurrently; exit cancels the ones still running.

    `replay` is the guard requests pass; give it a journal (`hub.fabric.journal`) so that
    a request captured before a restart is refused after it.
    """

    def __init__(
        self,
        fabric: Fabric,
        node_id: str,
        signing_key: nacl.signing.SigningKey,
        lookup: PublicKeyLookup,
        resolve: Resolve,
        *,
        clock: Clock | None = None,
        default_timeout: float = 30.0,
        replay: ReplayGuard | None = None,
        trust: Trust | None = None,
        results: ResultCache | None = None,
    ) -> None:
        super().__init__(fabric, node_id, signing_key, lookup, clock, replay, trust)
        self._resolve = resolve
        self.results = results if results is not None else ResultCache(self._clock)
        """Outcomes of requests with an idempotency key (`hub.fabric.results`)."""
        self._default_timeout = default_timeout
        self._tasks: asyncio.TaskGroup | None = None
        self._running: set[asyncio.Task[None]] = set()

    def _cached_hits(self) -> int:
        return self.results.hits

    async def __aenter__(self) -> Self:
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        self._cancel = self._fabric.subscribe(rpc_topic(self.node_id), self._on_request, _QOS)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None
        for task in self._running:
            task.cancel()
        if self._tasks is not None:
            tasks, self._tasks = self._tasks, None
            await tasks.__aexit__(None, None, None)

    def _on_request(self, message: Message) -> None:
        try:
            envelope = self._unseal(message)
        except Refusal as refusal:
            self._refuse(message.topic, refusal)
            self._answer_refusal(refusal.envelope, refusal)
            return
        except TokenError as exc:
            self._refuse(message.topic, exc)
            return
        except AtmosphereError as exc:  # PayloadError
            self._reject(message.topic, str(exc))
            return
        if self._tasks is None:
            return
        if envelope.kind != "request" or not envelope.reply_to or not envelope.correlation_id:
            self._reject(message.topic, f"from {envelope.sender}: not a request with a reply-to")
            return
        if envelope.deadline is not None and envelope.deadline <= self._now():
            self._expired += 1  # the caller has given up: running it would be wasted work
            _LOGGER.debug("expired request dropped from=%s", envelope.sender)
            return
        self._requests += 1
        task = self._tasks.create_task(self._serve(envelope), name="rpc.serve")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _serve(self, request: Envelope) -> None:
        # Nothing but cancellation may leave this task: an error escaping into the task
        # group would cancel the task that entered the server (the hub's) and end serving.
        try:
            await self._answer(request)
        except Exception:
            self._bad += 1
            _LOGGER.exception(
                "rpc request dropped from=%s reply_to=%r", request.sender, request.reply_to
            )

    def _answer_refusal(self, request: Envelope, refusal: TokenError) -> None:
        """A signed ``unauthorized``/``forbidden`` reply to an authentic refused request."""
        if request.kind != "request" or not request.reply_to or not request.correlation_id:
            return
        code = "forbidden" if isinstance(refusal, Forbidden) else "unauthorized"
        failure = _Failure(code, str(refusal), refusal.reason)
        self._reply(request, failure.body(), JSON_TYPE, "error")

    async def _answer(self, request: Envelope) -> None:
        try:
            body, content_type = await self._run(request)
            kind = "result"
        except _Failure as failure:
            body, content_type, kind = failure.body(), JSON_TYPE, "error"
        self._reply(request, body, content_type, kind)

    def _reply(self, request: Envelope, body: bytes, content_type: str, kind: str) -> None:
        reply = Envelope.create(
            self.node_id,
            kind,
            body,
            time=self._now(),
            content_type=content_type,
            correlation_id=request.correlation_id,
            recipient=request.sender,
            credential=self._credential if request.sender != self.node_id else "",
        )
        try:
            self._send(request.reply_to, reply)
            self._replies += 1
        except AtmosphereError as exc:  # e.g. a reply-to topic that is not a topic
            self._reject(request.reply_to, f"reply not sent: {exc}")

    async def _run(self, request: Envelope) -> tuple[bytes, str]:
        try:
            call = load_json(request.body, subject="request")  # hub.inputs' limits
            capability, tool = call["capability"], call["tool"]
            arguments = call.get("arguments") or {}
            key = call.get("key")
            if not (isinstance(capability, str) and isinstance(tool, str)):
                raise TypeError("capability and tool must be strings")
            if not isinstance(arguments, dict):
                raise TypeError("arguments must be an object")
            if key is not None and not (isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH):
                raise TypeError(f"key must be a string of 1 to {MAX_KEY_LENGTH} characters")
        except (PayloadError, ValueError, KeyError, TypeError) as exc:
            raise _Failure("bad_arguments", f"malformed request: {exc}") from exc
        if self._trust is not None:
            try:
                self._trust.admit(request, capability, tool)
            except TokenError as exc:
                self._refuse(rpc_topic(self.node_id), exc)
                code = "forbidden" if isinstance(exc, Forbidden) else "unauthorized"
                raise _Failure(code, str(exc), exc.reason) from exc
        handler = self._resolve(capability)
        if handler is None:
            raise _Failure("unknown_capability", f"no capability {capability} on {self.node_id}")
        timeout = self._default_timeout
        if request.deadline is not None:
            timeout = request.deadline - self._now()
        if key is None:
            return await self._execute(handler, capability, tool, arguments, request, timeout)
        try:
            outcome: tuple[bytes, str] = await self.results.once(
                (request.sender, capability, tool, key),
                lambda: self._execute(handler, capability, tool, arguments, request, timeout),
                wait=timeout,
            )
        except TimeoutError:  # a duplicate's wait for the run in progress
            raise _Failure(
                "timeout",
                f"{capability}/{tool} (key {key}) still running after {timeout:.1f} s",
            ) from None
        return outcome

    async def _execute(
        self,
        handler: ToolHandler,
        capability: str,
        tool: str,
        arguments: dict[str, Any],
        request: Envelope,
        timeout: float,
    ) -> tuple[bytes, str]:
        where = f"{capability}/{tool}"
        try:
            async with asyncio.timeout(timeout):
                result = await handler(tool, arguments)
        except TimeoutError:
            raise _Failure("timeout", f"{where} did not finish within {timeout:.1f} s") from None
        except RegistryError as exc:
            raise _Failure("unknown_tool", str(exc)) from exc
        except PayloadError as exc:
            raise _Failure("bad_arguments", str(exc)) from exc
        except Exception as exc:  # the provider failed: its message goes back to the caller
            _LOGGER.warning("tool failed tool=%s from=%s: %r", where, request.sender, exc)
            raise _Failure("tool_error", str(exc) or type(exc).__name__) from exc
        if not isinstance(result, ToolResult):  # a provider's bug, not the caller's
            raise _Failure(
                "tool_error", f"{where} returned a {type(result).__name__}, not a ToolResult"
            )
        if not isinstance(result.data, bytes):
            raise _Failure(
                "tool_error",
                f"{where} returned data of type {type(result.data).__name__}; it must be bytes",
            )
        if result.data or result.content_type != JSON_TYPE:
            return result.data, result.content_type
        try:
            return json.dumps(result.value, separators=(",", ":")).encode(), JSON_TYPE
        except (TypeError, ValueError) as exc:
            raise _Failure(
                "tool_error", f"{where} returned a value JSON cannot carry: {exc}"
            ) from exc


class _Failure(Exception):
    def __init__(self, code: str, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason

    def body(self) -> bytes:
        error = {"code": self.code, "message": self.message}
        if self.reason:
            error["reason"] = self.reason
        return json.dumps(error).encode()


class RpcClient(_Endpoint):
    """``async with RpcClient(fabric, node_id, key, lookup) as rpc``; then
    ``await rpc.call(node, capability, tool, arguments, timeout=...)``."""

    def __init__(
        self,
        fabric: Fabric,
        node_id: str,
        signing_key: nacl.signing.SigningKey,
        lookup: PublicKeyLookup,
        *,
        clock: Clock | None = None,
        trust: Trust | None = None,
    ) -> None:
        super().__init__(fabric, node_id, signing_key, lookup, clock, trust=trust)
        self.session = os.urandom(6).hex()
        self._reply_topic = reply_topic(node_id, self.session)
        self._pending: dict[str, tuple[NodeId, asyncio.Future[Envelope]]] = {}

    async def __aenter__(self) -> Self:
        self._cancel = self._fabric.subscribe(self._reply_topic, self._on_reply, _QOS)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    async def call(
        self,
        node_id: str,
        capability: str,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        *,
        key: str = "",
        deadline: float | None = None,
    ) -> ToolResult:
        """Call `tool` of `capability` on `node_id`; raise FabricError at once while the
        broker is away, CallTimeout, RegistryError
        (unknown capability or tool), PayloadError (arguments the tool refused) or
        ToolError (the tool failed; the provider's message).

        `key`: an idempotency key; the provider runs the tool once per key and answers a
        repeat with that run's outcome. `deadline`: the wall-clock time (seconds since the
        epoch, from the clock) the provider may work until; this call waits `timeout`
        seconds for the reply either way (default: now + `timeout`)."""
        if self._cancel is None:
            raise RuntimeError("RpcClient is not open: use `async with RpcClient(...)`")
        target = NodeId(node_id)
        where = f"{capability}/{tool}"
        if not self._fabric.connected:
            # The request would wait in the backlog and the caller its whole timeout: say
            # now that the broker is away (HTTP 503 fabric_unavailable).
            raise FabricError(
                f"cannot call {where} on node {target}: not connected to the MQTT broker at "
                f"{self._fabric.settings.where}; the hub is reconnecting, try again shortly"
            )
        call: dict[str, Any] = {
            "capability": capability, "tool": tool, "arguments": dict(arguments or {})
        }
        if key:
            call["key"] = key
        body = json.dumps(call, separators=(",", ":")).encode()
        now = self._now()
        correlation = os.urandom(8).hex()
        request = Envelope.create(
            self.node_id,
            "request",
            body,
            time=now,
            reply_to=self._reply_topic,
            correlation_id=correlation,
            deadline=deadline if deadline is not None else now + timeout,
            recipient=target,
            credential=self._credential if target != self.node_id else "",
        )
        future: asyncio.Future[Envelope] = asyncio.get_running_loop().create_future()
        self._pending[correlation] = (target, future)
        try:
            self._send(rpc_topic(target), request)
            async with asyncio.timeout(timeout):
                reply = await future  # or TokenError: the replying peer is not trusted
        except TimeoutError:
            raise CallTimeout(
                f"no reply from node {target} for {where} within {timeout} s"
            ) from None
        finally:
            self._pending.pop(correlation, None)
        return _result(reply, target, where)

    def _on_reply(self, message: Message) -> None:
        # A reply's freshness is its correlation id, which only this call knows: its time
        # is not checked against ours, so that a hub whose clock is off still hears why
        # its requests are refused (and says so loudly).
        envelope = self._open(message, check_skew=False)
        if envelope is None:
            return
        if abs(envelope.time - self._now()) > self._replay.max_skew:
            self._warn_skew(envelope, "it refuses this hub's requests")
        pending = self._pending.get(envelope.correlation_id)
        if pending is None:
            self._late += 1  # its call timed out already
            _LOGGER.debug("late reply dropped from=%s", envelope.sender)
            return
        target, future = pending
        if envelope.sender != target or envelope.kind not in ("result", "error"):
            self._reject(message.topic, f"reply from {envelope.sender} for a call to {target}")
            return
        if self._trust is not None:
            try:
                self._trust.vouch(envelope.sender)
            except TokenError as exc:
                self._refuse(message.topic, exc)
                if not future.done():
                    future.set_exception(
                        TokenError(f"reply from node {target} refused: {exc}", exc.reason)
                    )
                return
        if not future.done():
            self._replies += 1
            future.set_result(envelope)


def _result(reply: Envelope, node: NodeId, where: str) -> ToolResult:
    if reply.kind == "result":
        if reply.content_type != JSON_TYPE:
            return ToolResult(data=reply.body, content_type=reply.content_type)
        try:
            return ToolResult(value=load_json(reply.body, subject="result"))
        except PayloadError as exc:
            raise ToolError(f"{where} on node {node}: result is not JSON: {exc}") from exc
    try:
        error = load_json(reply.body, subject="error reply")
        code, message = str(error["code"]), str(error["message"])
        reason = str(error.get("reason", ""))
    except (PayloadError, KeyError, TypeError, AttributeError) as exc:
        raise ToolError(f"{where} on node {node}: malformed error reply") from exc
    if code == "forbidden":
        raise Forbidden(f"node {node} refused {where}: {message}", reason)
    if code == "unauthorized":
        raise TokenError(f"node {node} refused {where}: {message}", reason)
    if code in ("unknown_capability", "unknown_tool"):
        raise RegistryError(message)
    if code == "timeout":
        raise CallTimeout(f"node {node}: {message}")
    if code == "bad_arguments":  # the caller's input, not the tool, is at fault
        raise PayloadError(message)
    raise ToolError(message)
