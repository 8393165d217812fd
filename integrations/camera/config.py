"""The `camera:` section: HTTP cameras with a snapshot URL, an MJPEG URL, or both.

    camera:
      timeout: 10              # defaults for every camera below
      verify_ssl: true
      cameras:
        - name: Porch
          area: porch
          snapshot_url: http://192.168.1.20/cgi-bin/snapshot.cgi
          mjpeg_url: http://192.168.1.20/video.mjpg
          username: viewer
          password: !secret porch_camera
          authentication: digest
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from hub.located import Located, Problems, Section, as_list
from hub.media import MAX_FRAME_BYTES, FetchSettings, HttpAuth, mask_url

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_CAPABILITY_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)?$")
_DEFAULTS = ("timeout", "verify_ssl", "max_frame_bytes")
_SECTION_KEYS = ("cameras", *_DEFAULTS)
_CAMERA_KEYS = ("name", "id", "area", "snapshot_url", "mjpeg_url", "username", "password",
                "authentication", *_DEFAULTS)
_AUTHENTICATION: dict[str, Literal["basic", "digest"]] = {"basic": "basic", "digest": "digest"}


@dataclass(frozen=True, slots=True)
class CameraConfig:
    id: str
    name: str
    area: str
    snapshot_url: str | None
    mjpeg_url: str | None
    fetch: FetchSettings


@dataclass(frozen=True, slots=True)
class Config:
    cameras: tuple[CameraConfig, ...] = ()


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("_", ascii_text.lower()).strip("_")


def validate(raw: Located | None) -> Config:
    """Check the `camera:` section; raises ConfigError listing every problem with its
    file:line."""
    problems = Problems()
    section = Section(raw, problems, _SECTION_KEYS)
    defaults = _fetch_defaults(section, FetchSettings())
    cameras: list[CameraConfig] = []
    seen: dict[str, str] = {}
    node = section.get("cameras")
    if node is None:
        message = "no cameras: add a 'cameras:' list (a name and a snapshot_url or mjpeg_url each)"
        if raw is None:
            problems.add_at(None, "camera", message)
        else:
            problems.add(raw, message)
    else:
        for item in as_list(node, problems):
            camera = _camera(item, problems, defaults)
            if camera is None:
                continue
            if camera.id in seen:
                problems.add(item, f"capability id '{camera.id}' is already used by the camera "
                                   f"at {seen[camera.id]}; give this one another name or an id")
                continue
            seen[camera.id] = item.where
            cameras.append(camera)
    problems.raise_if_any()
    return Config(tuple(cameras))


def _fetch_defaults(section: Section, base: FetchSettings) -> FetchSettings:
    return FetchSettings(
        timeout=section.number("timeout", base.timeout, low=0, low_open=True),
        verify_ssl=section.flag("verify_ssl", base.verify_ssl),
        max_frame_bytes=section.integer("max_frame_bytes", base.max_frame_bytes, low=1024,
                                        high=4 * MAX_FRAME_BYTES),
    )


def _camera(item: Located, problems: Problems, defaults: FetchSettings) -> CameraConfig | None:
    if not item.is_mapping:
        problems.add(item, f"expected a camera (a mapping with name and snapshot_url or "
                           f"mjpeg_url), got {item.describe()}")
        return None
    section = Section(item, problems, _CAMERA_KEYS)
    before = len(problems)
    name = section.text("name", "")
    if section.get("name") is None:
        problems.add(item, "a camera needs a name")
    capability_id = _capability_id(section, item, name, problems)
    snapshot = _url(section, "snapshot_url", problems)
    mjpeg = _url(section, "mjpeg_url", problems)
    if section.get("snapshot_url") is None and section.get("mjpeg_url") is None:
        problems.add(item, "give snapshot_url, mjpeg_url or both")
    written = next((url[1] for url in (snapshot, mjpeg) if url is not None and url[1]), None)
    username = section.optional_text("username")
    password = section.text("password", "", allow_empty=True)
    if username is None and written is not None:
        # credentials written in the URL (http://user:pass@host/...) are used as given
        username = written[0]
        if section.get("password") is None:
            password = written[1]
    password_node = section.get("password")
    if password_node is not None and username is None:
        problems.add(password_node, "a password needs a username (username:)")
    scheme = section.choice("authentication", "basic", _AUTHENTICATION)
    fetch = _fetch_defaults(section, defaults)
    auth = HttpAuth(username, password, scheme) if username is not None else None
    if len(problems) > before:
        return None
    return CameraConfig(
        id=capability_id,
        name=name,
        area=section.text("area", "", allow_empty=True),
        snapshot_url=snapshot[0] if snapshot else None,
        mjpeg_url=mjpeg[0] if mjpeg else None,
        fetch=FetchSettings(fetch.timeout, fetch.verify_ssl, auth, fetch.max_frame_bytes),
    )


def _capability_id(section: Section, item: Located, name: str, problems: Problems) -> str:
    node = section.get("id")
    if node is None:
        object_id = slug(name)
        if name and not object_id:
            problems.add(section.get("name") or item,
                         "this name gives no id (no ASCII letters or digits): add an id:")
        return f"camera.{object_id}"
    text = section.text("id", "")
    if not _CAPABILITY_ID.match(text):
        problems.add(node, f"expected an id of lowercase letters, digits and _ (like "
                           f"'porch' or 'camera.porch'), got {node.describe()}")
    return text if "." in text else f"camera.{text}"


def _url(
    section: Section, key: str, problems: Problems
) -> tuple[str, tuple[str, str] | None] | None:
    """(URL without credentials, (user, password) written in it or None)."""
    node = section.get(key)
    if node is None:
        return None
    if not isinstance(node.value, str):
        problems.add(node, f"expected an http:// or https:// URL, got {node.describe()}")
        return None
    text = node.value.strip()
    shown = repr(mask_url(text)) if node.secret is None else node.describe()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        problems.add(node, f"expected an http:// or https:// URL, got {shown}")
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.add(node, f"expected an http:// or https:// URL with a host, got {shown}")
        return None
    if parts.username is None:
        return text, None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (unquote(parts.username), unquote(parts.password or ""))


__all__ = ["CameraConfig", "Config", "slug", "validate"]
