"""Turning Bluesky posts and notifications into mentions: hydration, follower counts, what is kept."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from socialwatch import model
from socialwatch.sources.bluesky.account import xrpc_query
from socialwatch.sources.bluesky.cursor import NOTIFICATIONS, Item, Stream
from socialwatch.sources.bluesky.ids import (
    PLATFORM,
    _dict,
    _is_gone,
    _list,
    is_did,
    is_handle,
    mention_id,
    native_id,
    post_url,
    stamp,
)

log = logging.getLogger(__package__)
LOOKUP_CHUNK = 25  # uris per getPosts call, actors per getProfiles call


# ---- module-level helpers ------------------------------------------------------------------------
def _view_name(view: dict) -> str:
    kind = str(view.get("$type") or "")
    return kind.rsplit("#", 1)[-1] if "#" in kind else ("blocked" if view.get("blocked") else "notFound")


class MappingMixin:
    """`BlueskySource`'s mapping of walked items to mentions."""

    # ---- mapping -----------------------------------------------------------------------------
    def _map(self, stream: Stream, items: list[Item]) -> tuple[list[dict], list[str]]:
        """Look the new items up (posts, followers) and normalize them; skip reasons for the rest."""
        if not items:
            return [], []
        if stream is NOTIFICATIONS and self.options.hydrate:
            views = self._posts([i.uri for i in items])
            for item in items:
                item.post = views.get(item.uri)
        if self.options.followers:
            self._lookup_followers(i.author.get("did") for i in items)
        mentions: list[dict] = []
        skipped: list[str] = []
        for item in items:
            shown = native_id(item.uri)
            gone = self._gone_reason(stream, item)
            if gone:
                skipped.append(f"{self.name}: bluesky:{shown}: {gone}")
                continue
            self._keep(self.map_item(item), shown or "?", item.when, mentions, skipped)
        return mentions, skipped

    def _gone_reason(self, stream: Stream, item: Item) -> str | None:
        record = item.record
        if not isinstance(record, dict):
            return "the post record is gone (deleted?)"
        if not isinstance(record.get("text"), str):
            text = record.get("text")
            if text is None:
                return "text: missing: the post record is gone (deleted?)"
            return f"text: expected a string, got {type(text).__name__}"
        if stream is NOTIFICATIONS and self.options.hydrate and item.post is None:
            return "the post is deleted or not visible to the account (taken down, or its author blocks it)"
        if item.post is not None and _is_gone(item.post):
            return f"the post is deleted or blocked ({_view_name(item.post)})"
        return None

    def _posts(self, uris: list[str]) -> dict[str, dict]:
        """PostViews by uri (`app.bsky.feed.getPosts`, 25 a call); missing uris are not visible."""
        views: dict[str, dict] = {}
        for start in range(0, len(uris), LOOKUP_CHUNK):
            chunk = uris[start : start + LOOKUP_CHUNK]
            body = self._call(
                "post lookup (app.bsky.feed.getPosts)",
                xrpc_query("app.bsky.feed.getPosts", "AppBskyFeedGetPosts", uris=chunk),
            )
            for view in map(_dict, _list(body.get("posts"))):
                if isinstance(view.get("uri"), str):
                    views[view["uri"]] = view
        return views

    def _lookup_followers(self, dids: Iterable[Any]) -> None:
        """Follower counts of new authors (`app.bsky.actor.getProfiles`, 25 a call), kept per source."""
        wanted = sorted({d for d in dids if is_did(d) and d not in self._followers})
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            body = self._call(
                "profile lookup (app.bsky.actor.getProfiles)",
                xrpc_query("app.bsky.actor.getProfiles", "AppBskyActorGetProfiles", actors=chunk),
            )
            for profile in map(_dict, _list(body.get("profiles"))):
                count = profile.get("followersCount")
                if isinstance(profile.get("did"), str):
                    self._followers[profile["did"]] = count if isinstance(count, int) and count >= 0 else None
            for did in chunk:
                self._followers.setdefault(did, None)

    def map_item(self, item: Item) -> dict:
        """An Item (a notification or search result, with its PostView if known) as a loose record."""
        record = _dict(item.record)
        author = item.author or _dict(_dict(item.post).get("author"))
        did = author.get("did")
        handle = author.get("handle")
        own = mention_id(item.uri)
        reply = _dict(record.get("reply"))
        root = mention_id(_dict(reply.get("root")).get("uri"))
        parent = mention_id(_dict(reply.get("parent")).get("uri"))
        langs = _list(record.get("langs"))
        view = item.post or {}
        return {
            "id": own,
            "kind": item.kind,
            "author": {
                "handle": handle if is_handle(handle) else None,
                "name": author.get("displayName") or None,
                "id": did if is_did(did) else None,
                "followers": self._followers.get(did) if isinstance(did, str) else None,
            },
            "text": record.get("text"),
            "url": post_url(item.uri, handle),
            "lang": langs[0] if langs and isinstance(langs[0], str) else None,
            "created_at": record.get("createdAt") or stamp(item.when),
            "conversation_id": root or (own if not reply else None),
            "in_reply_to": parent,
            "metrics": {
                "likes": view.get("likeCount"),
                "reposts": view.get("repostCount"),
                "replies": view.get("replyCount"),
                "quotes": view.get("quoteCount"),
            },
        }

    def _keep(self, record: dict, shown: str, when: datetime, mentions: list[dict], skipped: list[str]) -> None:
        """Normalize `record` into `mentions`; a bad optional field is dropped (with a warning)
        rather than losing the post; a record without a usable id or text is skipped with its reason."""
        try:
            mention, dropped = model.normalize_lenient(record, platform=PLATFORM, source=self.name, now=self._now,
                                                       created_fallback=stamp(when))
        except model.InvalidMention as exc:
            skipped.append(f"{self.name}: bluesky:{shown}: {exc.field}: {exc.reason}")
            return
        for what, why in dropped:
            log.warning("%s: bluesky:%s: %s dropped (%s)", self.name, shown, what, why)
        mentions.append(mention)
