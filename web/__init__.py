"""The hub's web front: `create_app(hub)` returns the Starlette application.

Whoever serves it calls `close_event_streams(app)` before stopping the server: the event
streams are endless, and a server waits for open responses to finish.
"""

from web.app import create_app
from web.sse import close_event_streams

__all__ = ["close_event_streams", "create_app"]
