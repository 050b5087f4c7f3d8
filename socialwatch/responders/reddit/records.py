"""What replies are found by: Reddit things replied to and listed, texts and usernames; the lookup's limits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from socialwatch.responders import SendResult
from socialwatch.sources.reddit import _is_number, _url

if TYPE_CHECKING:
    import praw

#: how far `find_reply` looks back before the attempt, for clock differences
CLOCK_SKEW = 60.0
#: a reply not found this soon after the attempt may just not be listed yet
SETTLE_SECONDS = 90.0
#: pages of 100 the lookup reads at most (Reddit serves about 1,000 items of a listing)
LOOKUP_PAGES = 10
SUBJECT_LIMIT = 100  # Reddit's limit for a message subject

_USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,20}$")
_WHITESPACE = re.compile(r"\s+")


def _reply(reddit: praw.Reddit, fullname: str, text: str) -> SendResult:
    """`reply()` on the comment, post or message `fullname`; None from praw is an unconfirmed reply."""
    kind, _, id36 = fullname.partition("_")
    if kind == "t1":
        target: Any = reddit.comment(id36)
    elif kind == "t3":
        target = reddit.submission(id36)
    else:
        target = reddit.inbox.message(id36)
    posted = target.reply(text)
    if posted is None:  # Reddit answered `things: []`: the reply may exist; reconcile settles it
        return SendResult(confirmed=False)
    return SendResult(reply_id=posted.fullname, url=_thing_url(posted), confirmed=True)


def _thing_url(thing: Any) -> str | None:
    """The reddit.com URL of a praw Comment or Message from the data it came with (no lazy fetch)."""
    data = {k: v for k, v in vars(thing).items() if not k.startswith("_")}
    if data.get("subreddit") is not None:
        data["subreddit"] = str(data["subreddit"])
    url = _url(thing.fullname.partition("_")[0], data)
    return url if isinstance(url, str) else None


def _found(kind: str, item: dict | None) -> SendResult | None:
    if item is None:
        return None
    name = item.get("name")
    url = _url(kind, item)
    return SendResult(reply_id=name if isinstance(name, str) else None, url=url if isinstance(url, str) else None)


def _same(item: dict, text: str, since: float, known: set) -> bool:
    created = item.get("created_utc")
    body = item.get("body")
    return (
        isinstance(body, str)
        and _normalise(body) == text
        and _is_number(created)
        and created >= since
        and item.get("name") not in known
    )


def _children(data: Any) -> tuple[list, str | None] | None:
    """A listing's children and its `after` cursor; None when `data` is not a listing."""
    body = data.get("data") if isinstance(data, dict) and data.get("kind") == "Listing" else None
    children = body.get("children") if isinstance(body, dict) else None
    if not isinstance(children, list):
        return None
    after = body.get("after")
    return [c for c in children if isinstance(c, dict)], after if isinstance(after, str) and after else None


def _normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _handle(value: str) -> str:
    value = value.strip().lstrip("@")
    for prefix in ("/u/", "u/"):
        if value.lower().startswith(prefix):
            return value[len(prefix) :]
    return value
