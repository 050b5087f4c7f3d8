"""Turning notifications and statuses into mentions."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from socialwatch import model
from socialwatch.sources.mastodon.ids import (
    PLATFORM,
    as_dict,
    as_time,
    https_url,
    id_order,
    newer,
    snowflake_time,
    str_id,
)
from socialwatch.sources.mastodon.text import html_to_text
from socialwatch.sources.mastodon.walk import Endpoint, Page

log = logging.getLogger(__package__)


# ---- module-level helpers ----------------------------------------------------------------------------
def _author(account: dict) -> dict | None:
    if not account:
        return None
    name = account.get("display_name")
    return {
        "handle": account.get("acct") or account.get("username"),
        "name": name if isinstance(name, str) and name.strip() else None,
        "id": str_id(account.get("id")),
        "followers": account.get("followers_count"),
        "verified": None,
    }


class MappingMixin:
    """`MastodonSource`'s mapping of notifications and statuses to mentions."""

    def _map_page(self, endpoint: Endpoint, items: Any, floor: datetime | None, own: str | None) -> Page:
        page = Page(has_next=getattr(items, "_pagination_next", None) is not None)
        raw = self._raw_page(items)
        entries = [as_dict(item) for item in (raw if raw is not None else items)] if isinstance(items, list) else []
        page.size = len(entries)
        statuses = [as_dict(e.get("status")) if endpoint.tag is None else e for e in entries]
        for status in statuses:  # parents first, so a thread's root is known whatever the order
            sid = str_id(status.get("id"))
            if sid is not None:
                self._parents[sid] = str_id(status.get("in_reply_to_id"))
        for entry, status in zip(entries, statuses, strict=True):
            self._map_entry(endpoint, entry, status, floor, own, page)
        return page

    def _map_entry(
        self, endpoint: Endpoint, entry: dict, status: dict, floor: datetime | None, own: str | None, page: Page
    ) -> None:
        """Add one notification or status to `page` (or a skip reason); track ids and the floor."""
        item_id = str_id(entry.get("id"))
        if item_id is None:
            page.skipped.append(f"{self.name}: {endpoint.label}: an item without a usable id")
            return
        page.top = newer(page.top, item_id)
        page.bottom = item_id if page.bottom is None or id_order(item_id) < id_order(page.bottom) else page.bottom
        created = as_time(entry.get("created_at")) or as_time(status.get("created_at"))
        if floor is not None and created is not None and created < floor:
            page.reached = True
            return
        if endpoint.tag is None:
            if entry.get("type") not in (None, "mention"):
                return  # servers without `types[]` filtering send every notification
            if not status:
                page.skipped.append(f"{self.name}: mastodon notification {item_id}: its status was deleted")
                return
        elif status.get("reblog") or (own is not None and str_id(as_dict(status.get("account")).get("id")) == own):
            return  # boosts and the account's own posts are not mentions to answer
        sid = str_id(status.get("id"))
        if sid is None:
            where = f"notification {item_id}" if endpoint.tag is None else f"{endpoint.label}"
            page.skipped.append(f"{self.name}: mastodon {where}: a status without a usable id")
            return
        self._keep(self.map_status(status, "search" if endpoint.tag else "mention"), sid, page)

    def map_status(self, status: dict, kind: str) -> dict:
        """A Mastodon status (as Mastodon.py returns it) as a record for `model.normalize`."""
        sid = str_id(status.get("id"))
        account = as_dict(status.get("account"))
        visibility = status.get("visibility")
        parent = str_id(status.get("in_reply_to_id"))
        if visibility == "direct":
            kind = "dm"
        elif parent is not None and kind == "mention":
            kind = "reply"
        content = status.get("content")
        # a status without HTML content is malformed: no text, so normalize skips it with a reason
        text: str | None = html_to_text(content) if isinstance(content, str) else None
        spoiler = status.get("spoiler_text")
        if isinstance(spoiler, str) and spoiler.strip() and text is not None:
            text = f"CW: {' '.join(spoiler.split())}\n\n{text}".strip()
        record: dict[str, Any] = {
            "id": sid,
            "text": text,
            "kind": kind,
            "author": _author(account),
            "url": https_url(status.get("url")) or https_url(status.get("uri")),
            "lang": status.get("language") or None,
            "created_at": status.get("created_at"),
            "conversation_id": self._root(sid) if sid else None,
            "in_reply_to": parent,
            "metrics": {
                "likes": status.get("favourites_count"),
                "reposts": status.get("reblogs_count"),
                "replies": status.get("replies_count"),
                "quotes": status.get("quotes_count"),
            },
        }
        if account.get("bot") is True:
            record["tags"] = ["bot"]
        return record

    def _root(self, sid: str) -> str:
        """The root of the reply chain when it is known (every parent seen), else the status itself."""
        node, seen = sid, {sid}
        while True:
            parent = self._parents.get(node)
            if parent is None:
                return node if node in self._parents else sid
            if parent in seen or parent not in self._parents:
                return sid
            seen.add(parent)
            node = parent

    def _keep(self, record: dict, native_id: str, page: Page) -> None:
        """Normalize a record into the page, or record why it was skipped.

        A bad optional field (a count, the author, created_at, ...) is dropped with a warning and
        the mention kept: losing a customer's message over a like count is worse. Only a record
        without a usable id or text is skipped.
        """
        moment = snowflake_time(native_id)
        try:
            mention, dropped = model.normalize_lenient(record, platform=PLATFORM, source=self.name, now=self._now,
                                                       created_fallback=model.iso(moment) if moment else None)
        except model.InvalidMention as exc:
            page.skipped.append(f"{self.name}: mastodon:{native_id}: {exc.field}: {exc.reason}")
            return
        for what, why in dropped:
            log.warning("%s: mastodon:%s: %s dropped (%s)", self.name, native_id, what, why)
        page.mentions.append(mention)

    def _own_id(self, cursor: dict) -> str | None:
        """The token's account id (to leave its own posts out of hashtags): cached in the cursor."""
        cached = str_id(cursor.get("account_id"))
        if cached or not self._token:
            return cached
        client = self._client_()
        account = as_dict(self._request("the account (verify_credentials)", client.account_verify_credentials))
        own = str_id(account.get("id"))
        if own:
            cursor["account_id"] = own
        return own
