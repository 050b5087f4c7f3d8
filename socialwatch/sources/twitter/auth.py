"""Credentials and the tweepy client: app-only and user-context auth, time-outs, secrets kept out of logs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from socialwatch.sources.twitter.settings import Options, _present

OAUTH1_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
SECRET_KEYS = ("bearer_token", *OAUTH1_KEYS, "user_token")


# ---- small helpers -----------------------------------------------------------------------------
def _tweepy() -> Any:
    import tweepy

    return tweepy


def _requests() -> Any:
    import requests

    return requests


class _QuietSecrets(logging.Filter):
    """Drops DEBUG records of tweepy/oauthlib, which print request headers (credentials)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_LEAKY_LOGGERS = ("tweepy.client", "requests_oauthlib.oauth1_auth", "oauthlib.oauth1.rfc5849")


def _silence_secret_logs() -> None:
    for name in _LEAKY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietSecrets) for f in logger.filters):
            logger.addFilter(_QuietSecrets())


def _timeout_session(timeout: float) -> Any:
    """A requests Session whose requests time out (tweepy sets none)."""
    requests = _requests()

    class _Session(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            return super().request(*args, **kwargs)

    return _Session()


@dataclass(frozen=True)
class Credentials:
    """Which credentials are configured. Secret values are kept out of repr."""

    bearer_token: str | None = field(default=None, repr=False)
    oauth1: tuple[str, str, str, str] | None = field(default=None, repr=False)
    user_token: str | None = field(default=None, repr=False)
    missing_oauth1: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, table: dict, *, allow_refs: bool = False) -> Credentials:
        have = {k: table.get(k).strip() for k in SECRET_KEYS if _present(table.get(k), allow_refs=allow_refs)}
        oauth1_have = [k for k in OAUTH1_KEYS if k in have]
        complete = len(oauth1_have) == len(OAUTH1_KEYS)
        return cls(
            bearer_token=have.get("bearer_token"),
            oauth1=tuple(have[k] for k in OAUTH1_KEYS) if complete else None,  # type: ignore[arg-type]
            user_token=have.get("user_token"),
            missing_oauth1=tuple(k for k in OAUTH1_KEYS if k not in have) if oauth1_have and not complete else (),
        )

    @property
    def has_user(self) -> bool:
        return self.oauth1 is not None or self.user_token is not None

    @property
    def user_mode(self) -> str | None:
        if self.oauth1 is not None:
            return "oauth1"
        return "oauth2" if self.user_token else None

    def keys_for(self, route: str) -> str:
        """The config keys behind a route ("app" or "user"), for messages."""
        if route == "app":
            return "`bearer_token`"
        if self.user_mode == "oauth1":
            return ", ".join(f"`{k}`" for k in OAUTH1_KEYS)
        return "`user_token`"


_USER_KEYS_HINT = "`consumer_key`, `consumer_secret`, `access_token` and `access_token_secret` (OAuth 1.0a) or `user_token` (OAuth 2.0)"


def user_client(creds: Credentials, timeout: float) -> Any:
    """A tweepy.Client in user context: the OAuth 1.0a keys when complete, else the OAuth 2.0 user token.

    It returns raw `requests.Response`s, its requests time out after `timeout` seconds and
    tweepy's DEBUG logging of request headers is silenced. Pass `user_auth=creds.user_mode ==
    "oauth1"` to its calls. Shared with the twitter responder.
    """
    tweepy, requests = _tweepy(), _requests()
    _silence_secret_logs()
    if creds.oauth1 is not None:
        ck, cs, at, ats = creds.oauth1
        client = tweepy.Client(
            consumer_key=ck,
            consumer_secret=cs,
            access_token=at,
            access_token_secret=ats,
            return_type=requests.Response,
        )
    else:
        client = tweepy.Client(bearer_token=creds.user_token, return_type=requests.Response)
    client.session = _timeout_session(timeout)
    return client


def credential_problem(creds: Credentials, opts: Options) -> tuple[str, str] | None:
    """(config key, message) when the credentials cannot serve the enabled endpoints, else None."""
    if creds.missing_oauth1:
        keys = ", ".join(f"`{k}`" for k in creds.missing_oauth1)
        return creds.missing_oauth1[0], f"incomplete OAuth 1.0a credentials: also set {keys}"
    if not creds.has_user and not creds.bearer_token:
        return "bearer_token", (
            "no X credentials: set `bearer_token` (app-only reads) or " + _USER_KEYS_HINT + " (user context)"
        )
    if not opts.endpoints():
        return "mentions", "nothing to fetch: enable `mentions`, set `search_query` or set `dms = true`"
    if opts.mentions and not creds.has_user and not opts.user_id:
        return "user_id", (
            "mentions with an app bearer token need `user_id` (the brand account's numeric id): "
            "set `user_id`, or " + _USER_KEYS_HINT
        )
    if opts.dms and not creds.has_user:
        return "dms", "`dms = true` needs user-context credentials: set " + _USER_KEYS_HINT
    return None
