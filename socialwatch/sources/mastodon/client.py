"""The Mastodon.py client: a metered HTTP session that counts requests and keeps the rate-limit headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialwatch import __version__


# ---- HTTP: the metered session, the client and error classification -----------------------------
@dataclass
class Meter:
    """Counts requests and keeps the last answer (status, headers, body) of a client's session."""

    calls: int = 0
    response: Any = None
    remaining: int | None = None
    session: Any = None

    def observe(self, response: Any) -> None:
        self.response = response
        value = _header(response, "X-RateLimit-Remaining")
        try:
            self.remaining = int(value) if value is not None else self.remaining
        except ValueError:
            pass

    @property
    def status(self) -> int | None:
        return getattr(self.response, "status_code", None) if self.response is not None else None

    def close(self) -> None:
        if self.session is not None:
            try:
                self.session.close()
            except Exception:  # closing must never fail a poll or a reply
                pass
            self.session = None


def _header(response: Any, name: str) -> str | None:
    try:
        value = response.headers.get(name)
    except AttributeError:
        return None
    return value if isinstance(value, str) else None


def metered_session(meter: Meter, timeout: float) -> Any:
    """A requests Session that counts every request into `meter` and keeps its answer."""
    import requests

    class MeteredSession(requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            meter.calls += 1
            meter.response = None
            kwargs.setdefault("timeout", timeout)
            response = super().request(method, url, *args, **kwargs)
            meter.observe(response)
            return response

    meter.session = MeteredSession()
    return meter.session


def build_client(instance: str, token: str | None, timeout: float, meter: Meter) -> Any:
    """A Mastodon.py client on `instance` whose requests go through `meter`'s session.

    `ratelimit_method="throw"`: Mastodon.py never sleeps on a 429 (we decide); no version checks
    (no extra requests); the token is set after construction because Mastodon.py reads a token
    that happens to name an existing file from that file.
    """
    from mastodon import Mastodon

    client = Mastodon(
        api_base_url=instance,
        ratelimit_method="throw",
        version_check_mode="none",
        request_timeout=timeout,
        session=metered_session(meter, timeout),
        user_agent=f"socialwatch/{__version__}",
    )
    client.access_token = token or None
    return client
