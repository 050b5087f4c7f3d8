"""Source health: the state each poll leaves behind, summarised for `sources` and `health`."""

from __future__ import annotations

from datetime import datetime

from socialwatch import model
from socialwatch.app import App

STATES = ("ok", "degraded", "failing", "not entitled", "never polled", "disabled")


def _age(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    try:
        return (now - model.parse_time(value)).total_seconds()
    except ValueError:
        return None


def source_rows(app: App, now: datetime | None = None) -> list[dict]:
    """One row per configured source: type, state, last success/error, lag, calls today."""
    now = now or model.utcnow()
    states = app.store.source_states()
    rows = []
    for name, table in app.config.sources.items():
        st = states.get(name, {})
        health = st.get("health") or {}
        calls = health.get("calls_today") or {}
        enabled = table.get("enabled", True)
        state = health.get("state") or "never polled"
        if not enabled:
            state = "disabled"
        newest = health.get("newest_item_at")
        rows.append(
            {
                "name": name,
                "type": table.get("type"),
                "enabled": enabled,
                "state": state,
                "last_poll": health.get("last_poll"),
                "last_success": health.get("last_success"),
                "last_error": health.get("last_error"),
                "last_error_at": health.get("last_error_at"),
                "failing_since": health.get("failing_since"),
                "consecutive_failures": health.get("consecutive_failures", 0),
                "newest_item_at": newest,
                "lag_seconds": _age(newest, now),
                "calls_today": calls.get("count", 0) if calls.get("date") == now.date().isoformat() else 0,
                "max_requests_per_day": table.get("max_requests_per_day"),
                "gaps": health.get("gaps") or [],
                "cursor": st.get("cursor"),
            }
        )
    return rows
