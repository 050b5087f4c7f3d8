"""The mastodon source plugin: `MastodonSource`, its settings, `fetch` and `test`."""

from __future__ import annotations

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
from socialwatch.sources.mastodon.calls import CallsMixin
from socialwatch.sources.mastodon.client import Meter
from socialwatch.sources.mastodon.ids import PLATFORM, as_dict, str_id
from socialwatch.sources.mastodon.mapping import MappingMixin
from socialwatch.sources.mastodon.settings import Options, _config_problems
from socialwatch.sources.mastodon.walk import Endpoint, WalkMixin


# ---- the source -----------------------------------------------------------------------------------
class MastodonSource(WalkMixin, MappingMixin, CallsMixin, Source):
    """Mentions of one Mastodon account and hashtag timelines of its instance (Mastodon.py)."""

    type_name: ClassVar[str] = "mastodon"
    platform: ClassVar[str] = PLATFORM
    settings: ClassVar[dict[str, Any]] = {
        "instance": str,
        "access_token": str,
        "notifications": bool,
        "hashtags": list,
        "max_pages": int,
        "limit": int,
        "retries": int,
        "timeout": (int, float),
        "max_rate_limit_wait": (int, float),
    }
    required: ClassVar[tuple[str, ...]] = ("instance",)
    secrets: ClassVar[tuple[str, ...]] = ("access_token",)

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        super().__init__(name, config, context)
        self.options = Options.from_table(config)
        token = config.get("access_token")
        self._token: str | None = token.strip() if isinstance(token, str) and token.strip() else None
        self._sleep: Callable[[float], None] = time.sleep
        self._meter = Meter()
        self._client: Any = None
        self._counted = 0
        self._now = context.now or model.utcnow()
        self._parents: dict[str, str | None] = {}

    # ---- configuration -----------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types (base class), then the instance address, hashtags, ranges and the token."""
        super().check_config(name, table, path)
        for key, message in _config_problems(table):
            raise ConfigError(message, path=path, key=f"sources.{name}.{key}")

    def endpoints(self) -> list[Endpoint]:
        """What this configuration reads, in polling order."""
        out = [Endpoint("notifications", "mention notifications")] if self.options.notifications else []
        out += [Endpoint(f"hashtag:{tag}", f"#{tag} timeline", tag) for tag in self.options.hashtags]
        return out

    # ---- fetch -------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Walk each endpoint (see the module docstring); raise the first error at the end.

        Credentials, rate-limit, budget and transient errors stop the poll at once (every endpoint
        is on the same instance with the same token); a refusal confined to one endpoint (403 on
        notifications, a 404) is raised after the others have been read.
        """
        self._now = self.context.now or model.utcnow()
        self._require_instance()
        cursor = self._start_cursor()
        errors: list[SourceError] = []
        for endpoint in self.endpoints():
            try:
                yield from self._fetch_endpoint(endpoint, cursor)
                continue
            except (AuthError, RateLimited, TransientError, BudgetExhausted) as exc:
                yield from self._settle()
                raise exc from None
            except SourceError as exc:
                errors.append(exc)
            yield from self._settle()
        if errors:
            first = errors[0]
            if len(errors) > 1:
                first.args = (f"{first.args[0]} (also: {'; '.join(str(e) for e in errors[1:])})",)
            raise first

    def _require_instance(self) -> None:
        if not self.options.instance:
            raise SourceError(f"Mastodon source {self.name}: `instance` is not a usable address (sources.{self.name})")
        if self.options.notifications and not self._token:
            raise AuthError(
                f"Mastodon source {self.name}: no access token: set `access_token` in sources.{self.name} "
                '(a "$VARIABLE" reference to the environment)'
            )

    # ---- test and close ------------------------------------------------------------------------
    def test(self) -> list[str]:
        """One cheap call: `account_verify_credentials` (or, without a token, one hashtag item)."""
        self._now = self.context.now or model.utcnow()
        self._require_instance()
        client = self._client_()
        reads = ", ".join(e.label for e in self.endpoints())
        if self._token:
            account = as_dict(
                self._request("the account (verify_credentials)", client.account_verify_credentials, patient=False)
            )
            acct = account.get("acct") if isinstance(account.get("acct"), str) else "?"
            lines = [f"ok: access token accepted on {self._host()} for @{acct} (id {str_id(account.get('id'))})"]
        elif not self.options.hashtags:
            raise SourceError(f"Mastodon source {self.name}: nothing to check: no access token and no `hashtags`")
        else:
            tag = self.options.hashtags[0]
            self._request(f"#{tag} timeline", lambda: client.timeline_hashtag(tag, limit=1), patient=False)
            lines = [f"ok: {self._host()} serves public hashtag timelines without a token"]
        lines.append(f"will read: {reads}")
        return lines

    def close(self) -> None:
        """Close the HTTP session."""
        self._meter.close()
        self._client = None
