"""Turning Reddit things (comments, posts, messages) into mentions: ids, authors, text, links, threads."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from socialwatch import model

REDDIT_URL = "https://www.reddit.com"
_FULLNAME = re.compile(r"^t[134]_[0-9a-z]{1,16}$")
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")
_COMMENTS_PATH = re.compile(r"/comments/([0-9a-z]+)/")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ITEM_KINDS = {"t1": "comment", "t3": "post", "t4": "message"}
_INBOX_TYPES = {"username_mention": "mention", "comment_reply": "reply", "post_reply": "reply"}


@dataclass
class Item:
    """A listing child reduced to what the walk needs, or the reason it cannot be used."""

    kind: str
    data: dict
    name: str
    created: float | None
    error: model.InvalidMention | None = None


# ---- helpers -----------------------------------------------------------------------------------
def _sub_name(value: str) -> str:
    value = value.strip()
    return value[2:] if value.lower().startswith("r/") else value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", str(text))[:200]


def _item(child: Any) -> Item:
    """A listing child with what the walk relies on checked: a known kind, a fullname, a numeric created_utc."""
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        return Item("?", {}, "?", None, model.InvalidMention("record", "expected a listing child object"))
    kind, data = str(child.get("kind")), child["data"]
    try:
        name, created = _identity(kind, data)
    except model.InvalidMention as exc:
        return Item(kind, data, _shown_name(kind, data), None, exc)
    return Item(kind, data, name, created)


def _identity(kind: str, data: dict) -> tuple[str, float]:
    if kind not in _ITEM_KINDS:
        raise model.InvalidMention("kind", f"not a comment, post or message: {kind[:20]!r}")
    name = data.get("name")
    if not (isinstance(name, str) and _FULLNAME.match(name) and name.startswith(kind + "_")):
        raise model.InvalidMention("name", f"not a usable fullname: {str(name)[:40]!r}")
    created = data.get("created_utc")
    if not _is_number(created):
        raise model.InvalidMention("created_utc", f"expected epoch seconds, got {str(created)[:40]!r}")
    return name, float(created)


def _shown_name(kind: str, data: dict) -> str:
    """The fullname to name a malformed item by in its skip reason ("?" when there is none)."""
    for candidate in (data.get("name"), f"{kind}_{data.get('id')}"):
        if isinstance(candidate, str) and _FULLNAME.match(candidate):
            return candidate
    return "?"


def _author(data: dict) -> Any:
    author = data.get("author")
    if author is None or author == "[deleted]":
        return None
    if not isinstance(author, str):
        return author  # normalize reports the wrong type
    author_id = data.get("author_fullname")
    return {"handle": author, "id": author_id if isinstance(author_id, str) else None}


def _text(kind: str, data: dict) -> Any:
    if kind != "t3":
        return data.get("body")
    title, selftext = data.get("title"), data.get("selftext")
    if not isinstance(title, str):
        return title
    if selftext in (None, ""):
        return title
    if not isinstance(selftext, str):
        return selftext
    return f"{title}\n\n{selftext}"


def _url(kind: str, data: dict) -> Any:
    if kind == "t4":
        return f"{REDDIT_URL}/message/messages/{data.get('id')}" if isinstance(data.get("id"), str) else None
    link = data.get("permalink")
    if link is None:
        link = _comment_path(data)
    if isinstance(link, str) and link.startswith("/"):
        return REDDIT_URL + link
    return link if isinstance(link, str) else None  # a malformed permalink is dropped, not stringified


def _comment_path(data: dict) -> str | None:
    """A comment's path without `permalink`: inbox items carry `context`; older listings only ids."""
    context = data.get("context")  # ".../comments/<link>/<slug>/<id>/?context=3"
    if isinstance(context, str) and context:
        return urlsplit(context).path
    link_id, sub, id36 = data.get("link_id"), data.get("subreddit"), data.get("id")
    if all(isinstance(v, str) and v for v in (link_id, sub, id36)) and link_id.startswith("t3_"):
        return f"/r/{sub}/comments/{link_id[3:]}/_/{id36}/"
    return None


def _conversation(kind: str, name: str, data: dict) -> str | None:
    if kind == "t4":
        first = data.get("first_message_name")
        return first if isinstance(first, str) and first else name
    if kind == "t3":
        return name
    link_id = data.get("link_id")
    if isinstance(link_id, str) and link_id:
        return link_id
    context = data.get("context")
    found = _COMMENTS_PATH.search(context) if isinstance(context, str) else None
    return f"t3_{found.group(1)}" if found else None


def _metrics(kind: str, data: dict) -> dict:
    """likes = score (never below 0); replies = a post's comment count (a comment's would be its thread's)."""
    score = data.get("score")
    likes = None if kind == "t4" else (max(int(score), 0) if _is_number(score) else score)
    replies = data.get("num_comments") if kind == "t3" else None
    return {"likes": likes, "replies": replies}
