"""The settings of a twitter source (`Options`), their checks, and the search query built from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialwatch.sources.twitter.ids import int_id


def build_query(query: str, exclusions: Any = ()) -> str:
    """The recent-search query: the brand's query, no retweets, and each exclusion as `-word`.

    A query with a top-level OR is parenthesised, because X applies AND before OR.
    """
    text = query.strip()
    parts = [f"({text})" if " OR " in text else text]
    if "is:retweet" not in text:
        parts.append("-is:retweet")
    if isinstance(exclusions, str):
        exclusions = [exclusions]
    for word in exclusions or ():
        term = str(word).strip().lstrip("-").replace('"', "")
        if not term:
            continue
        parts.append(f'-"{term}"' if any(c.isspace() for c in term) else f"-{term}")
    return " ".join(parts)


def _present(value: Any, *, allow_refs: bool) -> bool:
    """A credential value is usable: a non-empty string (an unresolved "$VAR" only at config time)."""
    if not isinstance(value, str) or not value.strip():
        return False
    return allow_refs or not value.strip().startswith("$")


# ---- settings and credentials ------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The non-secret settings of a twitter source, with their defaults."""

    mentions: bool = True
    search_query: str | None = None
    dms: bool = False
    user_id: str | None = None
    max_pages: int = 10
    max_results: int = 100
    max_rate_limit_wait: float = 60.0
    retries: int = 3
    timeout: float = 30.0

    @classmethod
    def from_table(cls, table: dict) -> Options:
        """Read a (validated) source table; out-of-range numbers are clamped."""
        query = table.get("search_query")
        user_id = table.get("user_id")
        return cls(
            mentions=bool(table.get("mentions", True)),
            search_query=query.strip() if isinstance(query, str) and query.strip() else None,
            dms=bool(table.get("dms", False)),
            user_id=str(user_id).strip() if user_id not in (None, "") else None,
            max_pages=max(1, int(table.get("max_pages", 10))),
            max_results=min(100, max(5, int(table.get("max_results", 100)))),
            max_rate_limit_wait=max(0.0, float(table.get("max_rate_limit_wait", 60))),
            retries=min(10, max(0, int(table.get("retries", 3)))),
            timeout=max(1.0, float(table.get("timeout", 30))),
        )

    def endpoints(self) -> list[str]:
        return [
            k for k, on in (("mentions", self.mentions), ("search", bool(self.search_query)), ("dms", self.dms)) if on
        ]


def _option_problems(table: dict) -> list[tuple[str, str]]:
    problems = []
    ranges = {
        "max_results": (5, 100),
        "max_pages": (1, 1000),
        "retries": (0, 10),
        "max_rate_limit_wait": (0, 86400),
        "timeout": (1, 600),
    }
    for key, (low, high) in ranges.items():
        value = table.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not low <= value <= high:
            problems.append((key, f"expected a value from {low} to {high}, got {value}"))
    user_id = table.get("user_id")
    if user_id is not None and not isinstance(user_id, bool) and int_id(str(user_id).strip()) is None:
        problems.append(("user_id", 'expected the account\'s numeric id (e.g. "783214"), not a handle'))
    query = table.get("search_query")
    if isinstance(query, str) and not query.strip():
        problems.append(("search_query", "empty query: remove the key or give the brand's keywords"))
    return problems
