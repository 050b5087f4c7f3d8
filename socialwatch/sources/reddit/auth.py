"""The praw client: auth modes and their credentials, a metered requestor that keeps the rate-limit headers."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from socialwatch import __version__
from socialwatch.sources.reddit.mapping import _clean

if TYPE_CHECKING:
    import praw


@dataclass
class Meter:
    """What the hooked requestor saw: requests made and the last rate-limit headers."""

    calls: int = 0
    remaining: int | None = None
    reset_deadline: float | None = None  # time.monotonic() when the rate-limit window resets
    requestor: Any = None

    def observe(self, headers: Any) -> None:
        remaining = _header_number(headers, "x-ratelimit-remaining")
        reset = _header_number(headers, "x-ratelimit-reset")
        if remaining is not None:
            self.remaining = int(remaining)
        if reset is not None:
            self.reset_deadline = time.monotonic() + reset


def _header_number(headers: Any, name: str) -> float | None:
    try:
        value = headers.get(name)
        return float(value) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


@lru_cache(maxsize=1)
def _metered_requestor_class() -> type:
    """A prawcore Requestor that counts every HTTP request (token requests included)."""
    from prawcore import Requestor

    class MeteredRequestor(Requestor):
        def __init__(self, *args: Any, meter: Meter, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._meter = meter
            meter.requestor = self

        def request(self, *args: Any, **kwargs: Any) -> Any:
            self._meter.calls += 1
            response = super().request(*args, **kwargs)
            self._meter.observe(response.headers)
            return response

    return MeteredRequestor


# ---- shared with the reddit responder -----------------------------------------------------------
def auth_mode(config: dict) -> str:
    """The auth mode of a resolved config table: refresh_token, script (username + password) or read_only."""
    if config.get("refresh_token"):
        return "refresh_token"
    if config.get("username") and config.get("password"):
        return "script"
    return "read_only"


def credential_keys(config: dict, section: str) -> str:
    """The config keys the current auth mode uses, for error messages ("sources.r.client_id, ... and ...")."""
    keys = {
        "refresh_token": ["client_id", "client_secret", "refresh_token"],
        "script": ["client_id", "client_secret", "username", "password"],
        "read_only": ["client_id", "client_secret"],
    }[auth_mode(config)]
    names = [f"{section}.{k}" for k in keys]
    return ", ".join(names[:-1]) + " and " + names[-1]


def build_reddit(config: dict, requestor_class: type, requestor_kwargs: dict) -> praw.Reddit:
    """A praw client from a resolved config table; every setting is passed so praw.ini and praw_* variables cannot leak in."""
    import praw

    username = config.get("username") or None
    user_agent = config.get("user_agent") or (
        f"socialwatch/{__version__} (by u/{username})" if username else f"socialwatch/{__version__}"
    )
    return praw.Reddit(
        client_id=config["client_id"],
        client_secret=config.get("client_secret") or None,
        username=username,
        password=config.get("password") or None,
        refresh_token=config.get("refresh_token") or None,
        user_agent=user_agent,
        check_for_updates=False,
        check_for_async=False,
        requestor_class=requestor_class,
        requestor_kwargs=requestor_kwargs,
    )


def is_unauthorized(exc: BaseException) -> bool:
    """A rejected token or credentials: prawcore's 401 classes, OAuth errors of the token request."""
    import prawcore.exceptions as pc

    if isinstance(exc, KeyError) and exc.args == (401,):
        # prawcore looks a 401's class up by its www-authenticate header and fails without one
        return True
    return isinstance(exc, (pc.InvalidToken, pc.OAuthException)) or (
        isinstance(exc, pc.ResponseException) and exc.response.status_code == 401
    )


def auth_detail(exc: BaseException) -> str:
    """The status and OAuth error code of an auth failure ("401 invalid_token"), never a credential."""
    code = getattr(exc, "error", None)
    if not code:
        header = exc.response.headers.get("www-authenticate", "") if hasattr(exc, "response") else ""
        found = re.search(r'error="?([a-z_]+)', header or "")
        code = found.group(1) if found else None
    status = getattr(getattr(exc, "response", None), "status_code", None) or (
        401 if isinstance(exc, KeyError) else None
    )
    detail = " ".join(str(p) for p in (status if status != 200 else None, _clean(code or "")) if p)
    return detail or "no detail"
