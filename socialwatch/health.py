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


def summary(app: App, now: datetime | None = None) -> dict:
    """Everything `socialwatch health` reports, with the overall state and exit status.

    healthy (0): every enabled source ok; degraded (1): a source degraded, never polled, or
    open mentions past their first-response target; failing (2): a source failing or not
    entitled.
    """
    from socialwatch import sla
    from socialwatch.errors import StoreError
    from socialwatch.model import effective_priority

    now = now or model.utcnow()
    policy = sla.policy(app.config.table("sla"), str(app.config.path))
    try:
        rows = source_rows(app, now)
        open_items = app.store.open_mentions()
        counts = app.store.count()
        size = app.store.size_bytes()
    except StoreError as exc:  # the store is unreachable: that is the health report
        return {"state": "failing", "exit_code": 2, "checked_at": model.iso(now), "sources": [],
                "store": {"backend": app.store.backend, "where": app.store.describe(), "error": str(exc)},
                "backlog": None, "unanswered": None, "oldest_unanswered": None, "sla_breaches": None, "sla_breach_ids": []}
    unanswered = [m for m in open_items if not m.get("first_response_at")]
    oldest = min(unanswered, key=lambda m: m.get("created_at") or "", default=None)
    breaches = [m for m in unanswered if sla.breached(policy, m, now, effective_priority(m))]
    enabled = [r for r in rows if r["enabled"]]
    if any(r["state"] in ("failing", "not entitled") for r in enabled):
        state, code = "failing", 2
    elif any(r["state"] != "ok" for r in enabled) or breaches:
        state, code = "degraded", 1
    else:
        state, code = "healthy", 0
    return {
        "state": state,
        "exit_code": code,
        "checked_at": model.iso(now),
        "sources": rows,
        "store": {"backend": app.store.backend, "where": app.store.describe(), "open": counts["open"],
                  "archived": counts["archived"], "bytes": size},
        "backlog": len(open_items),
        "unanswered": len(unanswered),
        "oldest_unanswered": None if oldest is None else {
            "id": oldest["id"], "created_at": oldest.get("created_at"), "age_seconds": _age(oldest.get("created_at"), now)},
        "sla_breaches": len(breaches),
        "sla_breach_ids": [m["id"] for m in breaches[:50]],
    }


_STATE_VALUE = {"ok": 0, "degraded": 1, "never polled": 1, "failing": 2, "not entitled": 2, "disabled": -1}


def prometheus(report: dict) -> str:
    """The report in the Prometheus text exposition format (for the node exporter's textfile collector)."""

    def label(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    out = [
        "# HELP socialwatch_up Overall state: 0 healthy, 1 degraded, 2 failing.",
        "# TYPE socialwatch_up gauge",
        f"socialwatch_up {report['exit_code']}",
        "# HELP socialwatch_backlog Open mentions.",
        "# TYPE socialwatch_backlog gauge",
        f"socialwatch_backlog {report['backlog']}",
        "# HELP socialwatch_unanswered Open mentions without a first response.",
        "# TYPE socialwatch_unanswered gauge",
        f"socialwatch_unanswered {report['unanswered']}",
        "# HELP socialwatch_sla_breaches Unanswered mentions past their first-response target.",
        "# TYPE socialwatch_sla_breaches gauge",
        f"socialwatch_sla_breaches {report['sla_breaches']}",
        "# HELP socialwatch_oldest_unanswered_seconds Age of the oldest unanswered mention.",
        "# TYPE socialwatch_oldest_unanswered_seconds gauge",
        f"socialwatch_oldest_unanswered_seconds {(report['oldest_unanswered'] or {}).get('age_seconds') or 0:.0f}",
        "# HELP socialwatch_store_bytes Size of the data directory.",
        "# TYPE socialwatch_store_bytes gauge",
        f"socialwatch_store_bytes {report['store']['bytes']}",
        "# HELP socialwatch_source_state Source state: 0 ok, 1 degraded, 2 failing, -1 disabled.",
        "# TYPE socialwatch_source_state gauge",
    ]
    for r in report["sources"]:
        out.append(f'socialwatch_source_state{{source="{label(r["name"])}",type="{label(str(r["type"]))}"}} '
                   f"{_STATE_VALUE.get(r['state'], 1)}")
    out += ["# HELP socialwatch_source_lag_seconds Age of the newest item of each source.",
            "# TYPE socialwatch_source_lag_seconds gauge"]
    for r in report["sources"]:
        if r["lag_seconds"] is not None:
            out.append(f'socialwatch_source_lag_seconds{{source="{label(r["name"])}"}} {r["lag_seconds"]:.0f}')
    out += ["# HELP socialwatch_source_calls_today API requests made today (UTC).",
            "# TYPE socialwatch_source_calls_today counter"]
    for r in report["sources"]:
        out.append(f'socialwatch_source_calls_today{{source="{label(r["name"])}"}} {r["calls_today"]}')
    return "\n".join(out) + "\n"
