"""Bluesky ids and URLs: at:// URIs, the model-valid native ids, post links; small value helpers."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from socialwatch import model

PLATFORM = "bluesky"
DEFAULT_SERVICE = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
_PLC = re.compile(r"^did:plc:([a-z2-7]{24})$")
_PLC_ID = re.compile(r"^[a-z2-7]{24}$")
_WEB = re.compile(r"^did:web:([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$")
_RKEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_AT_URI = re.compile(r"^at://([^/?#\s]+)/([^/?#\s]+)/([^/?#\s]+)$")
_DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$")
_HANDLE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$", re.I
)


# ---- ids and URLs ------------------------------------------------------------------------------
def split_at_uri(uri: Any) -> tuple[str, str, str] | None:
    """(did, collection, rkey) of an `at://` record URI, else None."""
    if not isinstance(uri, str):
        return None
    found = _AT_URI.match(uri)
    return (found.group(1), found.group(2), found.group(3)) if found else None


def native_id(uri: Any) -> str | None:
    """The model-valid native id of a post URI (see the module docstring), None if not a post URI."""
    parts = split_at_uri(uri)
    if parts is None or parts[1] != POST_COLLECTION:
        return None
    did, _, rkey = parts
    if _RKEY.match(rkey):
        plc = _PLC.match(did)
        if plc:
            return f"{plc.group(1)}.{rkey}"
        web = _WEB.match(did)
        if web and len(web.group(1)) <= 100:
            return f"web-{web.group(1)}.{rkey}"
    return "x-" + hashlib.sha256(uri.encode("utf-8")).hexdigest()[:40]


def post_uri(native: Any) -> str | None:
    """The at:// URI a native id (or a full "bluesky:..." id) stands for, None for a hashed one."""
    text = str(native or "")
    if text.startswith(PLATFORM + ":"):
        text = text[len(PLATFORM) + 1 :]
    head, _, rkey = text.rpartition(".")
    if not head or not _RKEY.match(rkey):
        return None
    if _PLC_ID.match(head):
        did = f"did:plc:{head}"
    elif head.startswith("web-") and _WEB.match(f"did:web:{head[4:]}"):
        did = f"did:web:{head[4:]}"
    else:
        return None
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def mention_id(uri: Any) -> str | None:
    """The full model id ("bluesky:...") of a post URI, None if it is not one."""
    native = native_id(uri)
    return model.make_id(PLATFORM, native) if native else None


def post_url(uri: Any, handle: Any = None) -> str | None:
    """`https://bsky.app/profile/HANDLE/post/RKEY` (the DID when the handle is unusable)."""
    parts = split_at_uri(uri)
    if parts is None or parts[1] != POST_COLLECTION:
        return None
    did, _, rkey = parts
    if isinstance(handle, str) and _HANDLE.match(handle) and handle.lower() != "handle.invalid":
        return f"https://bsky.app/profile/{handle}/post/{rkey}"
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def is_did(value: Any) -> bool:
    return isinstance(value, str) and bool(_DID.match(value))


def is_handle(value: Any) -> bool:
    return isinstance(value, str) and bool(_HANDLE.match(value))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _time(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None


def stamp(moment: datetime) -> str:
    """A UTC time with microseconds, as stored in cursors ("2026-03-02T11:50:00.123000Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _is_gone(view: dict) -> bool:
    """A `#notFoundPost` / `#blockedPost` view (or one flagged notFound / blocked)."""
    kind = str(view.get("$type") or "")
    return (
        kind.endswith(("#notFoundPost", "#blockedPost")) or view.get("notFound") is True or view.get("blocked") is True
    )
