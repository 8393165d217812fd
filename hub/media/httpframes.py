"""JPEG frames over HTTP: a camera's snapshot URL, or the next whole frame of its MJPEG
stream, with errors that name the URL (credentials masked) and say what happened.

Cameras are reached directly: proxy variables of the environment are ignored
(``trust_env=False``), since a camera on the LAN behind an HTTP proxy is a misconfiguration
far more often than a need.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit, urlunsplit

import httpx

from hub.errors import PayloadError, ToolError
from hub.media.jpeg import MAX_FRAME_BYTES, jpeg_problem
from hub.media.mjpeg import MjpegReader

_MASK = "***"
# Query parameters that carry credentials in camera URLs (``?usr=admin&pwd=...``).
_SECRET_PARAMETERS = frozenset({
    "password", "pass", "passwd", "pwd", "psw", "user", "usr", "username", "login", "token",
    "access_token", "auth", "key", "apikey", "api_key", "secret", "sig", "signature",
})
_STATUS_HINTS = {
    401: " (check username, password and authentication)",
    403: " (check username, password and authentication)",
    404: " (check the path of the URL)",
}


def mask_url(url: str) -> str:
    """`url` with its user and password, and credential query parameters, replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{_MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = []
        for pair in query.split("&"):
            name, equals, _value = pair.partition("=")
            secret = equals and name.lower() in _SECRET_PARAMETERS
            pairs.append(f"{name}={_MASK}" if secret else pair)
        query = "&".join(pairs)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@dataclass(frozen=True, slots=True)
class HttpAuth:
    username: str
    password: str
    scheme: Literal["basic", "digest"] = "basic"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    timeout: float = 10.0
    """Seconds for the whole fetch: connecting, the answer and a complete frame."""
    verify_ssl: bool = True
    auth: HttpAuth | None = None
    max_frame_bytes: int = MAX_FRAME_BYTES


class FrameFetcher:
    """``async with FrameFetcher(settings) as fetcher``: one HTTP client (connections kept
    alive between calls) for one camera or one Frigate server.

    `frame(url)` returns JPEG bytes or raises `ToolError`. The answer decides how it is
    read: a single image (a snapshot URL) is read whole, a ``multipart/x-mixed-replace``
    stream (an MJPEG URL) gives its next whole frame and is then closed.
    """

    def __init__(self, settings: FetchSettings, auth: httpx.Auth | None = None) -> None:
        """`auth` replaces `settings.auth` with a flow of the caller's (a login page that
        hands out a session cookie, as Frigate's)."""
        self.settings = settings
        self._auth = auth
        self._client: httpx.AsyncClient | None = None
        secret = settings.auth.password if settings.auth is not None else ""
        self._secrets = (secret,) if secret else ()

    async def __aenter__(self) -> Self:
        auth: httpx.Auth | None = self._auth
        credentials = self.settings.auth
        if auth is None and credentials is not None:
            if credentials.scheme == "digest":
                auth = httpx.DigestAuth(credentials.username, credentials.password)
            else:
                auth = httpx.BasicAuth(credentials.username, credentials.password)
        self._client = httpx.AsyncClient(
            auth=auth,
            timeout=httpx.Timeout(self.settings.timeout),
            verify=self.settings.verify_ssl,
            follow_redirects=True,
            trust_env=False,
            headers={"User-Agent": "atmosphere-hub", "Accept": "image/jpeg, multipart/*"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def frame(self, url: str) -> bytes:
        client = self._client
        if client is None:
            raise RuntimeError("FrameFetcher is not open: use `async with FrameFetcher(...)`")
        where = mask_url(url)
        timeout = self.settings.timeout
        try:
            # httpx bounds each read; this bounds the whole fetch, so a camera that drips
            # a byte at a time cannot hold a tool call forever.
            async with asyncio.timeout(timeout):
                async with client.stream("GET", url) as response:
                    return await self._read(response, where)
        except TimeoutError:
            raise ToolError(
                f"{where}: timed out after {timeout:g} s before a complete frame arrived"
            ) from None
        except httpx.TimeoutException as exc:
            raise ToolError(f"{where}: timed out after {timeout:g} s {_phase(exc)}") from exc
        except httpx.HTTPError as exc:
            raise ToolError(f"{where}: {self._scrub(_describe(exc), url, where)}") from exc

    async def _read(self, response: httpx.Response, where: str) -> bytes:
        status = response.status_code
        if not 200 <= status < 300:
            hint = _STATUS_HINTS.get(status, "")
            raise ToolError(f"{where}: HTTP {status} {response.reason_phrase}{hint}")
        content_type = response.headers.get("content-type", "")
        limit = self.settings.max_frame_bytes
        if content_type.lower().startswith("multipart/"):
            reader = MjpegReader(response.aiter_bytes(), content_type, max_frame_bytes=limit,
                                 where=where)
            try:
                return await reader.next_frame()
            except PayloadError as exc:
                raise ToolError(str(exc)) from exc
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise ToolError(
                    f"{where}: the answer is larger than the limit of {limit} bytes "
                    f"(max_frame_bytes)"
                )
        problem = jpeg_problem(bytes(body))
        if problem is not None:
            shown = content_type or "none"
            raise ToolError(f"{where}: the camera sent {problem} (Content-Type {shown})")
        return bytes(body)

    def _scrub(self, text: str, url: str, where: str) -> str:
        text = text.replace(url, where)
        for secret in self._secrets:
            text = text.replace(secret, _MASK)
        return text


def _phase(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connecting (is the camera on and the address right?)"
    if isinstance(exc, httpx.ReadTimeout):
        return "waiting for the camera to send data"
    if isinstance(exc, httpx.WriteTimeout):
        return "sending the request"
    return "waiting for a free connection"


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc or 'connection failed'}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the camera broke the HTTP protocol: {exc}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"not an http:// or https:// URL: {exc}"
    return f"{type(exc).__name__}: {exc}"


__all__ = ["FetchSettings", "FrameFetcher", "HttpAuth", "mask_url"]
