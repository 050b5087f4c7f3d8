"""Serve recorded VCR.py cassettes (YAML) through the `responses` library.

vcrpy hands the gzip-compressed `!!binary` bodies of the tweepy cassettes to requests without
decoding them (see tests/fixtures/SOURCES.md, "Replaying the recordings"). This loader reads a
cassette with `yaml.safe_load`, gunzips the bodies, drops the transport headers that no longer
apply (content-encoding, content-length, set-cookie) and registers each interaction with a
`responses.RequestsMock`, matching the method, the path and, where it matters, the query.

    with responses.RequestsMock() as rsps:
        mentions = find(load_cassette(path), "GET", "/2/users/783214/mentions")
        register(rsps, mentions)

`add_json` serves a JSON body of the test's own (error bodies, extra pages) the same way.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses
import yaml
from responses import matchers

DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "set-cookie", "content-type"}


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its response, body decoded."""

    method: str
    uri: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = "application/json"

    @property
    def base(self) -> str:
        parts = urlsplit(self.uri)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.uri).query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body)


def _decode_body(raw: Any) -> bytes:
    """The body as bytes, gunzipped when it is gzip data (the `!!binary` bodies of sync cassettes)."""
    if raw is None:
        return b""
    body = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return body


def _flat_headers(headers: dict[str, Any]) -> dict[str, str]:
    flat = {}
    for name, value in (headers or {}).items():
        values = value if isinstance(value, list) else [value]
        flat[name.lower()] = ", ".join(str(v) for v in values)
    return flat


def load_cassette(path: str | pathlib.Path) -> list[Interaction]:
    """Every interaction of a VCR YAML cassette, in recorded order."""
    data = yaml.safe_load(pathlib.Path(path).read_text(encoding="utf-8"))
    interactions = []
    for item in data.get("interactions", []):
        request, response = item["request"], item["response"]
        headers = _flat_headers(response.get("headers", {}))
        body = _decode_body(response.get("body", {}).get("string"))
        interactions.append(
            Interaction(
                method=request["method"].upper(),
                uri=request["uri"],
                status=int(response["status"]["code"]),
                headers={k: v for k, v in headers.items() if k not in DROPPED_HEADERS},
                body=body,
                content_type=headers.get("content-type", "application/json").split(";")[0].strip(),
            )
        )
    return interactions


def find(interactions: list[Interaction], method: str, path: str) -> Interaction:
    """The first interaction with this method and path (KeyError when none)."""
    for item in interactions:
        if item.method == method.upper() and item.path == path:
            return item
    raise KeyError(f"{method} {path} not in the cassette")


def _url_pattern(base: str, path: str) -> re.Pattern:
    """Exactly this path, with or without a query string."""
    return re.compile(re.escape(base.rstrip("/") + path) + r"(\?.*)?$")


def _match(query: dict[str, str] | None) -> list:
    return [matchers.query_param_matcher(query, strict_match=False)] if query else []


def register(
    rsps: responses.RequestsMock,
    interaction: Interaction,
    *,
    path: str | None = None,
    query: dict[str, str] | bool = False,
    headers: dict[str, str] | None = None,
) -> None:
    """Serve `interaction`'s response for its method and path (or `path`, to replay it elsewhere).

    `query=True` requires the recorded query parameters (others may be present too); a dict
    requires those parameters instead; False matches any query.
    """
    wanted = interaction.query if query is True else (query or None)
    rsps.add(
        responses.Response(
            interaction.method,
            _url_pattern(interaction.base, path or interaction.path),
            body=interaction.body,
            status=interaction.status,
            headers={**interaction.headers, **(headers or {})},
            content_type=interaction.content_type,
            match=_match(wanted),
        )
    )


def replay(rsps: responses.RequestsMock, path: str | pathlib.Path, *, query: bool = True) -> list[Interaction]:
    """Register every interaction of a cassette, in order; returns them."""
    interactions = load_cassette(path)
    for item in interactions:
        register(rsps, item, query=query)
    return interactions


def add_json(
    rsps: responses.RequestsMock,
    method: str,
    path: str,
    body: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    base: str = "https://api.twitter.com",
) -> None:
    """Serve a JSON body (a dict/list, or raw str/bytes for malformed bodies) or raise an exception."""
    if isinstance(body, BaseException):
        rsps.add(method.upper(), _url_pattern(base, path), body=body, match=_match(query))
        return
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    rsps.add(
        responses.Response(
            method.upper(),
            _url_pattern(base, path),
            body=raw,
            status=status,
            headers=headers or {},
            content_type="application/json",
            match=_match(query),
        )
    )
