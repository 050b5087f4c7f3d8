"""The twitter source plugin: `TwitterSource`, its settings, `fetch` and `test`."""

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
    Source,
    SourceContext,
    SourceError,
    TransientError,
)
from socialwatch.sources.twitter.auth import SECRET_KEYS, Credentials, credential_problem
from socialwatch.sources.twitter.calls import CallsMixin
from socialwatch.sources.twitter.ids import _dict, _list, int_id
from socialwatch.sources.twitter.mapping import MappingMixin
from socialwatch.sources.twitter.problems import _first_error
from socialwatch.sources.twitter.settings import Options, _option_problems, build_query
from socialwatch.sources.twitter.walk import WalkMixin


# ---- the source ------------------------------------------------------------------------------------
class TwitterSource(WalkMixin, MappingMixin, CallsMixin, Source):
    """Mentions, recent search and DMs of one brand account on X (API v2 through tweepy)."""

    type_name: ClassVar[str] = "twitter"
    platform: ClassVar[str] = "twitter"
    settings: ClassVar[dict[str, Any]] = {
        "bearer_token": str,
        "consumer_key": str,
        "consumer_secret": str,
        "access_token": str,
        "access_token_secret": str,
        "user_token": str,
        "user_id": (str, int),
        "mentions": bool,
        "search_query": str,
        "dms": bool,
        "max_pages": int,
        "max_results": int,
        "max_rate_limit_wait": (int, float),
        "retries": int,
        "timeout": (int, float),
    }
    secrets: ClassVar[tuple[str, ...]] = SECRET_KEYS

    def __init__(self, name: str, config: dict, context: SourceContext) -> None:
        super().__init__(name, config, context)
        self.options = Options.from_table(config)
        self.creds = Credentials.from_table(config)
        self._sleep: Callable[[float], None] = time.sleep
        self._time: Callable[[], float] = time.time
        self._backoff = 1.0
        self._clients: dict[str, Any] = {}
        self._pending_calls = 0
        self._fetch_calls = 0
        self._remaining: int | None = None
        self._now = model.utcnow()
        self._test_user_id: str | None = None

    # ---- configuration -------------------------------------------------------------------------
    @classmethod
    def check_config(cls, name: str, table: dict, path: str | None = None) -> None:
        """Types, ranges and credential combinations; raise ConfigError naming the key."""
        super().check_config(name, table, path)
        for key, message in _option_problems(table):
            raise ConfigError(message, path=path, key=f"sources.{name}.{key}")
        creds = Credentials.from_table(table, allow_refs=True)
        problem = credential_problem(creds, Options.from_table(table))
        if problem:
            raise ConfigError(problem[1], path=path, key=f"sources.{name}.{problem[0]}")

    def _require_credentials(self) -> None:
        problem = credential_problem(self.creds, self.options)
        if problem:
            raise AuthError(f"X source {self.name}: {problem[1]} (in sources.{self.name})")

    # ---- fetch ---------------------------------------------------------------------------------
    def fetch(self) -> Iterator[Batch]:
        """Walk each enabled endpoint; see the module docstring for the batch/cursor protocol."""
        self._require_credentials()
        self._now = self.context.now or model.utcnow()
        self._pending_calls = self._fetch_calls = 0
        cursor = self._start_cursor()
        errors: list[SourceError] = []
        for key in self.options.endpoints():
            try:
                yield from self._fetch_endpoint(key, cursor)
                continue
            except SourceError as exc:
                errors.append(exc)
            if self._pending_calls:
                yield self._batch([], [])  # account for the calls the failed endpoint made
            if isinstance(errors[-1], (AuthError, BudgetExhausted)):
                break  # the other endpoints would fail the same way
        if errors:
            raise _first_error(errors)

    # ---- user id -------------------------------------------------------------------------------
    def _user_id(self, cursor: dict) -> str:
        """The brand account id: the setting, the cached value, or one get_me() (cached in the cursor)."""
        if self.options.user_id:
            return self.options.user_id
        cached = cursor.get("user_id")
        if int_id(cached) is not None:
            return str(cached)
        user_id = self._get_me()["id"]
        cursor["user_id"] = user_id
        return user_id

    def _get_me(self, *, patient: bool = True) -> dict:
        client, user_auth, _ = self._route("me")
        body = self._call("me", lambda: client.get_me(user_auth=user_auth), patient=patient)
        data = _dict(body.get("data"))
        if int_id(data.get("id")) is None:
            raise TransientError(f"X source {self.name}: the account lookup (GET /2/users/me) returned no user id")
        return {"id": str(data["id"]), "username": data.get("username")}

    # ---- test and close ------------------------------------------------------------------------
    def test(self) -> list[str]:
        """One cheap call per enabled capability; lines saying what works.

        Raises the mapped SourceError only when nothing works.
        """
        self._require_credentials()
        self._now = self.context.now or model.utcnow()
        lines: list[str] = []
        errors: list[SourceError] = []
        user_id = self.options.user_id
        checks: list[tuple[str, Callable[[], str]]] = []
        if self.creds.has_user:
            checks.append(("account", self._check_me))
        if self.options.mentions:
            checks.append(("mentions", lambda: self._check_endpoint("mentions")))
        if self.options.search_query:
            checks.append(("search", lambda: self._check_endpoint("search")))
        if self.options.dms:
            checks.append(("dms", lambda: self._check_endpoint("dms")))
        self._test_user_id = user_id
        working = 0
        for name, check in checks:
            try:
                result = check()
            except SourceError as exc:
                errors.append(exc)
                lines.append(f"{name}: {getattr(exc, 'short', None) or exc}")
                continue
            working += result.startswith("ok")
            lines.append(f"{name}: {result}")
        if errors and not working:
            error = _first_error(errors)
            error.args = (f"{error.args[0]} [{'; '.join(lines)}]",)
            raise error
        return lines

    def _check_me(self) -> str:
        me = self._get_me(patient=False)
        if not self._test_user_id:
            self._test_user_id = me["id"]
        handle = f"@{me['username']}, " if isinstance(me.get("username"), str) else ""
        mode = "OAuth 1.0a" if self.creds.user_mode == "oauth1" else "OAuth 2.0 user token"
        return f"ok ({mode}: {handle}id {me['id']})"

    def _check_endpoint(self, key: str) -> str:
        client, user_auth, route = self._route(key)
        if key == "mentions":
            if not self._test_user_id:
                return "not checked (the account id is unknown: set `user_id`)"
            user_id = self._test_user_id

            def request() -> Any:
                return client.get_users_mentions(user_id, user_auth=user_auth, max_results=5)
        elif key == "search":
            query = build_query(self.options.search_query or "", _dict(self.context.brand).get("exclusions", []))

            def request() -> Any:
                return client.search_recent_tweets(query, user_auth=user_auth, max_results=10)
        else:

            def request() -> Any:
                return client.get_direct_message_events(user_auth=user_auth, event_types="MessageCreate", max_results=1)

        body = self._call(key, request, patient=False)
        count = _dict(body.get("meta")).get("result_count", len(_list(body.get("data"))))
        how = "app bearer token" if route == "app" else "user context"
        return f"ok ({how}; {count} item(s) in the latest page)"

    def close(self) -> None:
        """Close the HTTP sessions of the clients."""
        for client in self._clients.values():
            try:
                client.session.close()
            except Exception:  # closing must never fail a poll
                pass
        self._clients.clear()
