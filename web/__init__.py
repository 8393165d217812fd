"""The hub's web front: `create_app(hub)` returns the Starlette application."""

from web.app import create_app

__all__ = ["create_app"]
