"""Turning tweets and DM events into mentions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from socialwatch import model
from socialwatch.sources.twitter.ids import (
    _CONVERSATION,
    _created_from_id,
    _dict,
    _list,
    _safe,
    _tweet_url,
    int_id,
    snowflake_time,
)
from socialwatch.sources.twitter.walk import _Walk

log = logging.getLogger(__package__)


# ---- module-level helpers --------------------------------------------------------------------------
def _is_retweet(tweet: dict) -> bool:
    return any(_dict(r).get("type") == "retweeted" for r in _list(tweet.get("referenced_tweets")))


def _author(author_id: Any, user: dict) -> dict | None:
    if not author_id and not user:
        return None
    followers = _dict(user.get("public_metrics")).get("followers_count")
    return {
        "handle": user.get("username"),
        "name": user.get("name"),
        "id": author_id,
        "followers": followers,
        "verified": user.get("verified"),
    }


class MappingMixin:
    """`TwitterSource`'s mapping of tweets and DM events to mentions."""

    def _tweet_mapper(self, walk: _Walk, kind: str, user_id: str | None) -> Callable[[dict], tuple]:
        def mapper(body: dict) -> tuple[list[dict], list[str], bool]:
            items, users = self._page_items(walk.key, body)
            meta = _dict(body.get("meta"))
            walk.see(meta.get("newest_id"))
            walk.see(meta.get("oldest_id"))
            walk.items += len(items)
            mentions, skipped = [], []
            for tweet in items:
                tweet = _dict(tweet)
                walk.see(tweet.get("id"))
                if _is_retweet(tweet) or (user_id and tweet.get("author_id") == user_id):
                    continue  # retweets and the brand's own posts are not mentions to answer
                self._keep(self.map_tweet(tweet, users, kind, user_id), tweet.get("id"), mentions, skipped)
            return mentions, skipped, False

        return mapper

    def _dm_mapper(self, walk: _Walk, user_id: str | None) -> Callable[[dict], tuple]:
        def mapper(body: dict) -> tuple[list[dict], list[str], bool]:
            items, users = self._page_items(walk.key, body)
            walk.items += len(items)
            mentions, skipped, reached = [], [], False
            for event in items:
                event = _dict(event)
                if self._dm_is_old(walk, event):
                    reached = True  # newest-first: everything after this was seen before
                    continue
                walk.see(event.get("id"))
                if event.get("event_type", "MessageCreate") != "MessageCreate":
                    continue
                if user_id and event.get("sender_id") == user_id:
                    continue  # sent by the brand account itself
                self._keep(self.map_dm(event, users), event.get("id"), mentions, skipped)
            return mentions, skipped, reached

        return mapper

    @staticmethod
    def _dm_is_old(walk: _Walk, event: dict) -> bool:
        """The DM endpoint has no since_id/start_time: filter on our side (by time for a backfill)."""
        number = int_id(event.get("id"))
        if walk.start_time is None:
            return walk.since_id is not None and number is not None and number <= walk.since_id
        created = snowflake_time(number)
        try:
            created = model.parse_time(event["created_at"]) if event.get("created_at") else created
        except ValueError:
            pass
        return bool(created and created < walk.start_time)

    def _keep(self, record: dict, native_id: Any, mentions: list[dict], skipped: list[str]) -> None:
        """Normalize a mapped record into `mentions`, or append the reason to `skipped`.

        A bad optional field (a metric, the author's flags, created_at, ...) is dropped and the
        mention kept (logged as a warning): losing a customer's message over a like count is worse.
        Only a record without a usable id, text or kind is skipped.
        """
        shown = (_safe(native_id, 40) if native_id is not None else "") or "?"
        try:
            mention, dropped = model.normalize_lenient(record, platform=self.platform, source=self.name, now=self._now,
                                                       created_fallback=_created_from_id(native_id))
        except model.InvalidMention as exc:
            skipped.append(f"{self.name}: twitter:{shown}: {exc.field}: {exc.reason}")
            return
        for what, why in dropped:
            log.warning("%s: twitter:%s: %s dropped (%s)", self.name, shown, what, why)
        mentions.append(mention)

    def map_tweet(self, tweet: dict, users: dict, kind: str, user_id: str | None = None) -> dict:
        """A v2 tweet (plus includes.users) as a record for `model.normalize`."""
        tweet_id = tweet.get("id")
        author_id = tweet.get("author_id")
        user = _dict(users.get(author_id)) if isinstance(author_id, str) else {}
        replied = next(
            (r.get("id") for r in map(_dict, _list(tweet.get("referenced_tweets"))) if r.get("type") == "replied_to"),
            None,
        )
        if replied and (kind == "mention" or (user_id and tweet.get("in_reply_to_user_id") == user_id)):
            kind = "reply"
        metrics = _dict(tweet.get("public_metrics"))
        note = _dict(tweet.get("note_tweet")).get("text")
        return {
            "id": tweet_id,
            "text": note if isinstance(note, str) and note else tweet.get("text"),
            "kind": kind,
            "author": _author(author_id, user),
            "url": _tweet_url(tweet_id, user.get("username")),
            "lang": tweet.get("lang"),
            "created_at": tweet.get("created_at") or _created_from_id(tweet_id),
            "conversation_id": tweet.get("conversation_id"),
            "in_reply_to": replied,
            "metrics": {
                "likes": metrics.get("like_count"),
                "reposts": metrics.get("retweet_count"),
                "replies": metrics.get("reply_count"),
                "quotes": metrics.get("quote_count"),
            },
        }

    def map_dm(self, event: dict, users: dict) -> dict:
        """A v2 DM event (MessageCreate) as a record for `model.normalize`."""
        sender = event.get("sender_id")
        conversation = event.get("dm_conversation_id")
        url = None
        if isinstance(conversation, str) and _CONVERSATION.match(conversation):
            url = f"https://x.com/messages/{conversation}"
        return {
            "id": event.get("id"),
            "text": event.get("text"),
            "kind": "dm",
            "author": _author(sender, _dict(users.get(sender)) if isinstance(sender, str) else {}),
            "url": url,
            "created_at": event.get("created_at") or _created_from_id(event.get("id")),
            "conversation_id": conversation,
        }
