"""Frigate's authenticated API (port 8971 since Frigate 0.14): a login hands out a session
cookie, ``frigate_token``, that every API request then carries.

`FrigateLogin` is the httpx flow: it logs in (``POST /api/login`` with ``user`` and
``password``) before the first request, and again once when Frigate answers 401 (the token
expired); a login Frigate refuses leaves the request to fail with Frigate's own 401, which
the frame fetcher reports. The password never appears in logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator

import httpx

_LOGGER = logging.getLogger(__name__)
COOKIE = "frigate_token"


class FrigateLogin(httpx.Auth):
    requires_response_body = True

    def __init__(self, base_url: str, user: str, password: str) -> None:
        self._login_url = base_url.rstrip("/") + "/api/login"
        self._body = json.dumps({"user": user, "password": password}).encode()
        self._user = user
        self._token: str | None = None

    def _login(self) -> httpx.Request:
        return httpx.Request("POST", self._login_url, content=self._body,
                             headers={"Content-Type": "application/json"})

    def _take(self, response: httpx.Response) -> None:
        token = response.cookies.get(COOKIE)
        if response.status_code == 200 and token:
            self._token = token
            _LOGGER.debug("frigate login url=%s user=%s", self._login_url, self._user)
        else:
            self._token = None
            _LOGGER.warning("frigate refused the login url=%s user=%s status=%d; check "
                            "frigate: username and password", self._login_url, self._user,
                            response.status_code)

    def _sign(self, request: httpx.Request) -> None:
        if self._token is not None:
            request.headers["Cookie"] = f"{COOKIE}={self._token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response,
                                                             None]:
        fresh = False
        if self._token is None:
            self._take((yield self._login()))
            fresh = True
        self._sign(request)
        response = yield request
        if response.status_code == 401 and not fresh:
            self._take((yield self._login()))
            if self._token is not None:
                self._sign(request)
                yield request
