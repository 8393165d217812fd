"""`HubClient`: the HTTP API of a running hub, as the CLI and scripts use it.

    async with HubClient("http://127.0.0.1:8420", token) as hub:
        print(await hub.health())
        result = await hub.call("light.kitchen", "turn_on", {"brightness_pct": 30})

Errors come back as the project's exceptions, with the server's message: an unknown
capability or tool is a `RegistryError`, a bad argument a `PayloadError`, a failing tool a
`ToolError`, a capability that cannot be removed a `CapabilityInUse`, a call past its deadline a `CallTimeout`, a hub that cannot be reached a
`FabricError`, a refused token a `TokenError`. This module must not import `web`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from hub.errors import (
    HTTP_ERRORS,
    AtmosphereError,
    CallTimeout,
    FabricError,
    PayloadError,
    RegistryError,
)
from hub.model import ToolResult

_LOGGER = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:8420"
DEFAULT_TIMEOUT = 10.0
CALL_MARGIN = 5.0
"""Extra seconds the HTTP request waits beyond a call's own timeout, so the hub's 504
(which names the capability) arrives before the client gives up on its own."""

_ERRORS: Mapping[str, type[AtmosphereError]] = {
    **{code: kind for kind, _, code in HTTP_ERRORS},
    # codes the server answers without an exception of ours behind them
    "unknown_capability": RegistryError,
    "unknown_tool": RegistryError,
    "body_too_large": PayloadError,
    "shutting_down": FabricError,
}
_BY_STATUS: Mapping[int, type[AtmosphereError]] = {
    **{status: kind for kind, status, _ in reversed(HTTP_ERRORS)},  # first listed wins
    413: PayloadError,
}


class HubClient:
    """An async context manager around one `httpx.AsyncClient` to one hub."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._http.__aexit__(exc_type, exc, tb)

    async def health(self) -> dict[str, Any]:
        """Status, node id and name, version, MQTT connection, uptime (needs no token)."""
        return _object(await self._request("GET", "/api/health"))

    async def capabilities(
        self, *, type: str | None = None, area: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("type", type), ("area", area)) if v is not None}
        body = _object(await self._request("GET", "/api/capabilities", params=params))
        found: list[dict[str, Any]] = body.get("capabilities", [])
        return found

    async def capability(self, capability_id: str) -> dict[str, Any]:
        return _object(await self._request("GET", f"/api/capabilities/{_path(capability_id)}"))

    async def remove_capability(self, capability_id: str) -> str:
        """Remove a capability nobody provides any more; returns its id.

        `CapabilityInUse` (409) when the configuration or a provider running on the hub
        would add it again; its message says where to remove it instead."""
        path = f"/api/capabilities/{_path(capability_id)}"
        return str(_object(await self._request("DELETE", path)).get("removed", capability_id))

    async def mesh(self) -> dict[str, Any]:
        """The hub's mesh: mesh id, its node token, peers, revocations, RPC counters."""
        return _object(await self._request("GET", "/api/mesh"))

    async def add_revocations(self, signed_list: str) -> dict[str, Any]:
        """Hand the hub a revocation list signed by the mesh root."""
        return _object(
            await self._request("POST", "/api/mesh/revocations", json={"list": signed_list})
        )

    async def states(self) -> dict[str, Any]:
        return _object(await self._request("GET", "/api/states"))

    async def call(
        self,
        capability: str,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> ToolResult:
        """Call `tool` of `capability`; binary results come back as `data` bytes."""
        params = {"timeout": repr(timeout)} if timeout is not None else {}
        http_timeout = (timeout if timeout is not None else self.timeout) + CALL_MARGIN
        response = await self._request(
            "POST",
            f"/api/capabilities/{_path(capability)}/tools/{_path(tool)}",
            json=dict(arguments or {}),
            params=params,
            timeout=http_timeout,
        )
        content_type = response.headers.get("content-type", "application/octet-stream")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return ToolResult(data=response.content, content_type=content_type)
        return ToolResult(value=_object(response).get("result"))

    async def automations(self) -> dict[str, Any]:
        """``{"automations": [...], "problems": [...]}``."""
        return _object(await self._request("GET", "/api/automations"))

    async def automation(self, automation_id: str, action: str) -> dict[str, Any]:
        """POST an action (enable, disable, trigger) to one automation."""
        path = f"/api/automations/{_path(automation_id)}/{action}"
        return _object(await self._request("POST", path))

    async def traces(self, automation_id: str, run_id: str | None = None) -> dict[str, Any]:
        """The summaries of an automation's traces, or one whole trace."""
        path = f"/api/automations/{_path(automation_id)}/traces"
        return _object(await self._request("GET", f"{path}/{run_id}" if run_id else path))

    async def events(self, types: tuple[str, ...] = ()) -> AsyncGenerator[dict[str, Any], None]:
        """The hub's events as dicts (each with ``type``), until the caller stops.

        The first is ``{"type": "ready", ...}``, sent once the hub's subscription is in
        place: whatever happens after it arrives is delivered.
        """
        params = {"types": ",".join(types)} if types else {}
        # No read timeout: the hub sends a keepalive comment, but silence is not an error.
        timeout = httpx.Timeout(self.timeout, read=None)
        try:
            async with self._http.stream(
                "GET", "/api/events", params=params, timeout=timeout
            ) as response:
                if response.is_error:
                    await response.aread()
                    raise _error(response)
                data: list[str] = []
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        data.append(line[5:].removeprefix(" "))
                    elif not line and data:
                        yield json.loads("\n".join(data))
                        data = []
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.ConnectTimeout as exc:
            raise self._unreachable(exc) from exc
        except httpx.TimeoutException as exc:
            raise CallTimeout(
                f"the hub at {self.base_url} did not answer {method} {path} in time"
            ) from exc
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if response.is_error:
            raise _error(response)
        return response

    def _unreachable(self, exc: Exception) -> FabricError:
        return FabricError(
            f"hub not reachable at {self.base_url}: is `atmosphere run` running? ({exc})"
        )


def _path(segment: str) -> str:
    # Capability ids may hold slashes (the route takes them); everything else is quoted.
    return quote(segment, safe="/")


def _object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise PayloadError(
            f"{response.request.url}: expected a JSON answer, got {response.text[:80]!r}"
        ) from exc
    if not isinstance(body, dict):
        raise PayloadError(f"{response.request.url}: expected a JSON object, got {body!r}")
    return body


def _error(response: httpx.Response) -> AtmosphereError:
    """The exception for an error answer, carrying the hub's own message."""
    code, message = "", ""
    try:
        error = response.json().get("error", {})
        code, message = str(error.get("code", "")), str(error.get("message", ""))
    except (ValueError, AttributeError):
        message = response.text[:200]  # not our JSON: a proxy's page, say
    kind = _ERRORS.get(code) or _BY_STATUS.get(response.status_code, AtmosphereError)
    return kind(message or f"HTTP {response.status_code} from {response.request.url}")
