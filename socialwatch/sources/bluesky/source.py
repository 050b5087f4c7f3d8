"""The bluesky source plugin: `BlueskySource`, its settings, `fetch` and `test`."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.sources import (
    AuthError,
    Batch,
    BudgetExhausted,
    RateLimited,
    Source,
    SourceContext,
    SourceError,
    TransientError,
)
from socialwatch.sources.bluesky.account import Account, xrpc_query
from socialwatch.sources.bluesky.calls import CallsMixin
from socialwatch.sources.bluesky.cursor import NOTIFICATIONS, SEARCH, Stream
from socialwatch.sources.bluesky.ids import PLATFORM, _list
from socialwatch.sources.bluesky.mapping import MappingMixin
from socialwatch.sources.bluesky.settings import Options, _present, config_problems
from socialwatch.sources.bluesky.walk import REASONS, WalkMixin


# ---- the source --------------------------------------------------------------------------------
class BlueskySource(WalkMixin, MappingMixin, CallsMixin, Source):
    """Notifications and post search of one brand account on Bluesky (atproto SDK)."""

    type_name: ClassVar[str] = "bluesky"
    platform: ClassVar[str] = PLATFORM
    settings: ClassVar[dict[str, Any]] = {
        "handle": str,
        "app_password": str,
        "service": str,
        "notifications": bool,
        "search": str,
        "max_pages": int,
        "limit": int,
        "retries": int,
        "timeout": (int, float),
        "hydrate": bool,
        "followers": bool,
        "session_cache": bool,
    }
    required: ClassVar[tuple[str, ...]] = ("handle", "app_password")
    secrets: ClassVar[tuple[str, ...]] = ("app_password",)

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        super().__init__(name, config, context)
        self.options = Options.from_table(config)
        self._password = config.get("app_password") if isinstance(config.get("app_password"), str) else ""
        self._sleep: Callable[[float], None] = time.sleep
        self._time: Callable[[], float] = time.time
        self._backoff = 1.0
        self._account: Account | None = None
        self._counted = 0
        self._followers: dict[str, int | None] = {}
        self._now = model.utcnow()

    # ---- configuration -----------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types (base class), ranges, the handle and service, and that something is read."""
        super().check_config(name, table, path)
        for key, message in config_problems(table):
            raise ConfigError(message, path=path, key=f"sources.{name}.{key}")
        query = table.get("search")
        if isinstance(query, str) and not query.strip():
            raise ConfigError("is empty: remove it or give a query", path=path, key=f"sources.{name}.search")
        if not table.get("notifications", True) and not table.get("search"):
            raise ConfigError(
                "nothing to read: notifications are off and there is no `search`",
                path=path,
                key=f"sources.{name}.notifications",
            )

    def _require_credentials(self) -> None:
        missing = [k for k, v in (("handle", self.options.handle), ("app_password", self._password)) if not _present(v)]
        if missing:
            keys = " and ".join(f"`{k}`" for k in missing)
            raise AuthError(
                f"Bluesky source {self.name}: set {keys} in sources.{self.name} (the app password as an "
                '"$ENV_VAR" reference; create one under Settings > Privacy and security > App passwords)'
            )

    def streams(self) -> list[Stream]:
        """The streams this configuration reads, in polling order."""
        out = [NOTIFICATIONS] if self.options.notifications else []
        return out + ([SEARCH] if self.options.search else [])

    def account(self) -> Account:
        if self._account is None:
            data_dir = self.context.extra.get("data_dir") if isinstance(self.context.extra, dict) else None
            self._account = Account(
                self.options.handle,
                self._password,
                service=self.options.service,
                timeout=self.options.timeout,
                cache_dir=data_dir,
                use_cache=self.options.session_cache,
            )
        return self._account

    # ---- fetch -------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Walk each stream; yield its pages; the last batch of a stream carries the whole cursor.

        Credentials, rate-limit, budget and transient errors stop the poll (the other stream would
        fail the same way); another error on one stream is raised after the other was read.
        """
        self._require_credentials()
        self._now = self.context.now or model.utcnow()
        cursor = copy.deepcopy(self.cursor) if isinstance(self.cursor, dict) else {}
        errors: list[SourceError] = []
        for stream in self.streams():
            failure: SourceError | None = None
            try:
                yield from self._read(stream, cursor)
            except (AuthError, RateLimited, TransientError, BudgetExhausted) as exc:
                failure = exc
            except SourceError as exc:
                errors.append(exc)
            yield from self._settle()
            if failure is not None:
                raise failure
        if errors:
            first = errors[0]
            if len(errors) > 1:
                first.args = (f"{first} (also: {'; '.join(str(e) for e in errors[1:])})",)
            raise first

    def _settle(self) -> Iterator[Batch]:
        """A Batch carrying only the requests no batch has reported yet, if there are any."""
        if self._account is not None and self._account.calls > self._counted:
            yield self._accounted(Batch())

    def _accounted(self, batch: Batch) -> Batch:
        account = self._account
        if account is not None:
            batch.calls += account.calls - self._counted
            self._counted = account.calls
            batch.rate_limit_remaining = account.remaining
        return batch

    # ---- test and close ----------------------------------------------------------------------
    def test(self) -> list[str]:
        """Log in and read one item of the first stream; lines saying what works."""
        self._require_credentials()
        streams = self.streams()
        stream = streams[0] if streams else NOTIFICATIONS
        request = (
            xrpc_query(
                "app.bsky.notification.listNotifications",
                "AppBskyNotificationListNotifications",
                limit=1,
                reasons=list(REASONS),
            )
            if stream is NOTIFICATIONS
            else xrpc_query(
                "app.bsky.feed.searchPosts", "AppBskyFeedSearchPosts", q=self.options.search, sort="latest", limit=1
            )
        )
        body = self._call(stream.label, request, patient=False)
        account = self.account()
        who = f"@{account.session_handle or self.options.handle}" + (f" ({account.did})" if account.did else "")
        count = len(_list(body.get(stream.items_key)))
        lines = [f"credentials accepted: logged in as {who} on {self.options.service}"]
        lines.append(f"{stream.key}: ok ({count} item(s) in the latest page)")
        lines.append("will read: " + ", ".join(s.key for s in streams))
        return lines

    def close(self) -> None:
        if self._account is not None:
            self._account.close()
