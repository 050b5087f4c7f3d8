"""The settings of a bluesky source (`Options`) and the checks the types alone do not make."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from socialwatch.sources.bluesky.ids import DEFAULT_SERVICE, is_did, is_handle


# ---- settings ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The non-secret settings of a bluesky source, with their defaults."""

    handle: str = ""
    service: str = DEFAULT_SERVICE
    notifications: bool = True
    search: str | None = None
    max_pages: int = 10
    limit: int = 50
    retries: int = 3
    timeout: float = 30.0
    hydrate: bool = True
    followers: bool = True
    session_cache: bool = True

    @classmethod
    def from_table(cls, table: dict) -> Options:
        query = table.get("search")
        return cls(
            handle=str(table.get("handle") or "").strip().lstrip("@"),
            service=str(table.get("service") or DEFAULT_SERVICE).strip().rstrip("/"),
            notifications=bool(table.get("notifications", True)),
            search=query.strip() if isinstance(query, str) and query.strip() else None,
            max_pages=min(100, max(1, int(table.get("max_pages", 10)))),
            limit=min(100, max(1, int(table.get("limit", 50)))),
            retries=min(10, max(0, int(table.get("retries", 3)))),
            timeout=min(600.0, max(1.0, float(table.get("timeout", 30)))),
            hydrate=bool(table.get("hydrate", True)),
            followers=bool(table.get("followers", True)),
            session_cache=bool(table.get("session_cache", True)),
        )


RANGES = {"max_pages": (1, 100), "limit": (1, 100), "retries": (0, 10), "timeout": (1, 600)}


def config_problems(table: dict) -> list[tuple[str, str]]:
    """(key, message) for values the types alone do not catch; shared with the responder."""
    problems = []
    for key, (low, high) in RANGES.items():
        value = table.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
            problems.append((key, f"expected a value from {low} to {high}, got {value}"))
    handle = table.get("handle")
    if isinstance(handle, str) and not handle.startswith("$"):
        bare = handle.strip().lstrip("@")
        if not (is_handle(bare) or is_did(bare)):
            problems.append(("handle", f"not a Bluesky handle (e.g. brand.bsky.social) or DID: {handle[:60]!r}"))
    service = table.get("service")
    if isinstance(service, str) and not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?/?$", service.strip()):
        problems.append(("service", f"expected the PDS's base URL (e.g. {DEFAULT_SERVICE}), got {service[:60]!r}"))
    return problems


def _present(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not value.strip().startswith("$")
