"""Replay Betamax JSON cassettes (praw's recordings) through the `responses` library.

A cassette is `{"interactions": [{"request": {method, uri, body, headers}, "response": {status:
{code}, headers, body: {string}}}]}`. `Replay.load` registers its interactions in order:

- the OAuth token request (`POST https://www.reddit.com/api/v1/access_token`) first, once, and
  answered as often as the client asks (a cassette without one, such as the implicit-auth
  recordings, gets a default bearer token the first time a client needs one);
- every other interaction as a one-shot answer for its method and URL path, matched on the query
  parameters named in `match` (by default `after`, `before`, `limit`, `q`, `count`), so paging
  with `after` gets the next recorded page instead of the same body again. When several
  registrations match, `responses` answers with the first and drops it; the last one left is
  repeated (a single recorded 503 answers every retry).

Our own fixtures use the same layout, plus one extension: `"response": {"error": "ReadTimeout"}`
(or `ConnectTimeout`, `ConnectionError`) raises that `requests` exception instead of answering.

`substitutions` replace text in recorded URIs (`{"<TEST_SUBREDDIT>": "brand"}`, or a recorded
path that should stand for another one). Nothing here touches the network: an unmatched request
gets `responses`' ConnectionError.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests
import responses

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
DEFAULT_MATCH = ("after", "before", "limit", "q", "count")
DEFAULT_TOKEN = {"access_token": "<ACCESS_TOKEN>", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
#: recorded headers that describe the recorded transfer, not the body we serve
_DROP_HEADERS = {"content-length", "content-encoding", "transfer-encoding", "connection"}
_ERRORS: dict[str, type[Exception]] = {
    "ReadTimeout": requests.exceptions.ReadTimeout,
    "ConnectTimeout": requests.exceptions.ConnectTimeout,
    "ConnectionError": requests.exceptions.ConnectionError,
}


def read_cassette(path: pathlib.Path | str) -> list[dict]:
    """The interactions of a Betamax JSON cassette."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["interactions"]


def body_text(part: Mapping[str, Any]) -> str:
    """A recorded request or response body as text (Betamax stores `{"string": ...}` or a plain string)."""
    body = part.get("body")
    if isinstance(body, dict):
        body = body.get("string", "")
    return body or ""


def listing_body(children: Iterable[dict] = (), after: str | None = None) -> str:
    """A listing page in Reddit's shape (`{kind: Listing, data: {after, before, dist, children}}`)."""
    kids = list(children)
    return json.dumps(
        {
            "kind": "Listing",
            "data": {"after": after, "before": None, "dist": len(kids), "modhash": None, "children": kids},
        }
    )


class Replay:
    """Registers cassettes on a `responses.RequestsMock`; see the module docstring."""

    def __init__(self, mock: responses.RequestsMock, substitutions: Mapping[str, str] | None = None) -> None:
        self.mock = mock
        self.substitutions = dict(substitutions or {})
        self._token_registered = False

    # ---- loading ---------------------------------------------------------------------------
    def load(self, path: pathlib.Path | str, *, match: Iterable[str] = DEFAULT_MATCH, skip: int = 0) -> int:
        """Register a cassette's interactions (after the first `skip` non-token ones); return how many."""
        keys = tuple(match)
        count = 0
        others = 0
        for interaction in read_cassette(path):
            request, response = interaction["request"], interaction["response"]
            if request["method"].upper() == "POST" and request["uri"].startswith(TOKEN_URL):
                if not self._token_registered:
                    self._add(request, response, ())
                    self._token_registered = True
                    count += 1
                continue
            others += 1
            if others <= skip:
                continue
            self.ensure_token()
            self._add(request, response, keys)
            count += 1
        return count

    def ensure_token(self) -> None:
        """Answer the OAuth token request with a default bearer token unless a cassette gave one."""
        if not self._token_registered:
            self.mock.add(responses.POST, TOKEN_URL, json=DEFAULT_TOKEN, status=200)
            self._token_registered = True

    def add_listing(
        self,
        url: str,
        children: Iterable[dict] = (),
        *,
        after: str | None = None,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Register a synthetic listing page (e.g. the empty page after a recording's last one).

        `query` gives the parameters that must match (`{"after": "t1_x"}`); absent ones must be absent.
        """
        self.ensure_token()
        wanted = {k: v for k, v in (query or {}).items()}
        self.mock.add(
            responses.GET,
            url,
            body=listing_body(children, after),
            status=200,
            content_type="application/json; charset=UTF-8",
            headers=dict(
                headers or {"x-ratelimit-remaining": "590.0", "x-ratelimit-used": "10", "x-ratelimit-reset": "300"}
            ),
            match=[_query_matcher(wanted, tuple(wanted) or ("after",))],
        )

    # ---- inspection ------------------------------------------------------------------------
    def requests(self, method: str | None = None, path: str | None = None) -> list[requests.PreparedRequest]:
        """The requests the client made (optionally one method and URL path), oldest first."""
        out = []
        for call in self.mock.calls:
            req = call.request
            if method and req.method != method.upper():
                continue
            if path and urlsplit(req.url).path != path:
                continue
            out.append(req)
        return out

    # ---- internals -------------------------------------------------------------------------
    def _sub(self, text: str) -> str:
        for old, new in self.substitutions.items():
            text = text.replace(old, new)
        return text

    def _add(self, request: Mapping[str, Any], response: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        uri = urlsplit(self._sub(request["uri"]))
        url = urlunsplit((uri.scheme, uri.netloc, uri.path, "", ""))
        recorded = {k: v[0] for k, v in parse_qs(uri.query, keep_blank_values=True).items()}
        match = [_query_matcher(recorded, keys)] if keys else []
        method = request["method"].upper()
        error = response.get("error")
        if error:
            exc = _ERRORS[error](response.get("message") or f"{error} (replayed)")
            self.mock.add(method, url, body=exc, match=match)
            return
        headers = {
            name: ", ".join(values) if isinstance(values, list) else str(values)
            for name, values in (response.get("headers") or {}).items()
            if name.lower() not in _DROP_HEADERS and name.lower() != "content-type"
        }
        content_type = _header(response, "content-type") or "application/json; charset=UTF-8"
        self.mock.add(
            method,
            url,
            body=body_text(response),
            status=int(response["status"]["code"]),
            headers=headers,
            content_type=content_type,
            match=match,
        )


def _header(response: Mapping[str, Any], name: str) -> str | None:
    for key, values in (response.get("headers") or {}).items():
        if key.lower() == name:
            return values[0] if isinstance(values, list) else str(values)
    return None


def _query_matcher(recorded: Mapping[str, str], keys: tuple[str, ...]) -> Callable[[Any], tuple[bool, str]]:
    """A `responses` matcher: the request's value of each key equals the recorded one (or both are absent)."""

    def match(request: Any) -> tuple[bool, str]:
        actual = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query, keep_blank_values=True).items()}
        for key in keys:
            if actual.get(key) != recorded.get(key):
                return False, f"query {key}={actual.get(key)!r} is not the recorded {recorded.get(key)!r}"
        return True, ""

    return match
