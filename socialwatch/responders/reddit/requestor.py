"""The reply POSTs sent at most once: a prawcore Requestor that turns an unclear outcome into `PostInDoubt`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from socialwatch.sources.reddit import _network_cause

#: the URL paths of the POSTs that create something: never sent twice by prawcore's retries
REPLY_PATHS = frozenset({"/api/comment/", "/api/compose/"})
#: statuses after which a POST may or may not have been carried out
DOUBTFUL_STATUSES = frozenset({408, 500, 502, 503, 504, 520, 522})


class PostInDoubt(Exception):
    """The reply POST got no definite answer; raised instead of the response so prawcore cannot retry it.

    `sent` is False only when the connection was never made (connect time-out): nothing left.
    """

    def __init__(self, cause: str, *, sent: bool = True) -> None:
        super().__init__(cause)
        self.cause = cause
        self.sent = sent


@dataclass
class PostLog:
    """Shared by the responder and its requestor: how many reply POSTs were handed to the network."""

    attempts: int = 0
    requestor: Any = field(default=None, repr=False)

    @staticmethod
    def watches(method: Any, url: Any) -> bool:
        return str(method).upper() == "POST" and urlsplit(str(url)).path in REPLY_PATHS


@lru_cache(maxsize=1)
def _once_requestor_class() -> type:
    """A prawcore Requestor that sends each reply POST once and turns an unclear outcome into PostInDoubt."""
    import requests
    from prawcore import Requestor
    from prawcore.exceptions import RequestException

    class OncePostRequestor(Requestor):
        def __init__(self, *args: Any, post_log: PostLog, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._post_log = post_log
            post_log.requestor = self

        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            if not self._post_log.watches(method, url):
                return super().request(method, url, *args, **kwargs)
            self._post_log.attempts += 1
            try:
                response = super().request(method, url, *args, **kwargs)
            except RequestException as exc:
                never_connected = isinstance(exc.original_exception, requests.exceptions.ConnectTimeout)
                raise PostInDoubt(_network_cause(exc), sent=not never_connected) from None
            if response.status_code in DOUBTFUL_STATUSES or response.status_code >= 500:
                raise PostInDoubt(f"HTTP {response.status_code}")
            return response

    return OncePostRequestor
