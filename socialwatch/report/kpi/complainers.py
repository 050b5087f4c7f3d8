"""Repeat complainers: customers (a handle on one platform) with at least 2 complaints in the period."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from socialwatch.model import iso
from socialwatch.report.kpi.facts import NO_SOURCE, TOP


class Complainers:
    """Customers' complaints in the period; a customer is a handle on one platform."""

    def __init__(self) -> None:
        self.mentions: Counter[str] = Counter()
        self.rows: dict[str, dict] = {}

    @staticmethod
    def platform(m: dict) -> str:
        return str(m.get("platform") or str(m.get("id") or "").partition(":")[0] or NO_SOURCE)

    def add(self, m: dict, created: datetime, complaint: bool) -> None:
        handle = (m.get("author") or {}).get("handle")
        if not handle:
            return
        platform = self.platform(m)
        key = f"{platform}:{str(handle).lower()}"
        self.mentions[key] += 1
        if not complaint:
            return
        row = self.rows.setdefault(key, {"handle": str(handle), "platform": platform, "complaints": 0, "cases": set(),
                                         "sources": set(), "last_at": "", "key": key})
        row["complaints"] += 1
        row["cases"].add(m.get("case_id") or m.get("id"))
        row["sources"].add(str(m.get("source") or NO_SOURCE))
        row["last_at"] = max(row["last_at"], iso(created))

    def result(self, top: int = TOP) -> list[dict]:
        rows = [r for r in self.rows.values() if r["complaints"] >= 2]
        rows.sort(key=lambda r: (-r["complaints"], -self.mentions[r["key"]], r["handle"].lower(), r["platform"]))
        return [{"handle": r["handle"], "platform": r["platform"], "complaints": r["complaints"], "cases": len(r["cases"]),
                 "mentions": self.mentions[r["key"]], "sources": sorted(r["sources"]), "last_at": r["last_at"]}
                for r in rows[:top]]
