"""How the API reports errors: one JSON shape, one status per kind of hub error.

Every error answers ``{"error": {"code": ..., "message": ...}}``. The code is stable and
meant for programs (`hub.client` maps it back to an exception); the message is for people
and says what to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from hub.errors import (
    HTTP_ERRORS,
    AtmosphereError,
)
from web.views import ModelJSONResponse

_LOGGER = logging.getLogger(__name__)


_HTTP_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


class ApiError(Exception):
    """Raised by endpoints to answer an error; rendered by `api_error_handler`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return ModelJSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def status_for(exc: AtmosphereError) -> tuple[int, str]:
    """The HTTP status and error code for a hub error."""
    for kind, status, code in HTTP_ERRORS:
        if isinstance(exc, kind):
            return status, code
    return 500, "hub_error"


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def atmosphere_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AtmosphereError)
    status, code = status_for(exc)
    log = _LOGGER.error if status >= 500 and status not in (502, 503, 504) else _LOGGER.info
    log(
        "request failed method=%s path=%s status=%d error=%s",
        request.method,
        request.url.path,
        status,
        exc,
    )
    return error_response(status, code, str(exc))


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail
    if exc.status_code == 404:
        message = f"no endpoint at {request.url.path}; see docs/http-api.md for the API"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return error_response(exc.status_code, code, message, exc.headers)
