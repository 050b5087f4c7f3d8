"""Score and route new mentions before they are stored."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from socialwatch.routing import Rule, route

if TYPE_CHECKING:
    from socialwatch.scoring import Scorer


def enrich(mentions: list[dict], scorer: "Scorer", rules: list[Rule], now: datetime | None = None) -> list[dict]:
    """Attach `score`, the effective `priority`, routing tags and team to each mention."""
    if not mentions:
        return mentions
    scores = scorer.score_many(mentions, now=now)
    for mention, score in zip(mentions, scores, strict=False):
        routed = route(mention, score, rules)
        if routed["boost"]:
            before = score["priority"]
            score["priority"] = max(0, min(100, before + routed["boost"]))
            score["reasons"].append(
                {
                    "factor": "routing",
                    "contribution": score["priority"] - before,
                    "detail": "rules: " + ", ".join(routed["matched"]),
                }
            )
        mention["score"] = score
        mention["priority"] = score["priority"]
        if routed["tags"]:
            mention["tags"] = sorted(set(mention.get("tags") or []) | set(routed["tags"]))
        if routed["team"] and not mention.get("team"):
            mention["team"] = routed["team"]
    return mentions
