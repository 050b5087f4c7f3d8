"""Source health: the state each poll leaves behind, summarised for `sources` and `health`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def daemon_status(app: App) -> dict:
    """Whether a daemon holds the store: {"running": bool, "pid", "host", "started_at"}."""
    info = app.store.daemon_lock().holder()
    if info is None:
        return {"running": False}
    return {"running": True, **{k: info.get(k) for k in ("pid", "host", "started_at")}}


def _source_reason(row: dict) -> str:
    state, name = row["state"], row["name"]
    if state == "never polled":
        return f"source {name} has never been polled"
    detail = row.get("last_error")
    if not detail and row.get("gaps"):
        detail = (row["gaps"][-1] or {}).get("note")
    return f"source {name} is {state}" + (f": {detail}" if detail else "")


def summary(app: App, now: datetime | None = None, *, backlog: bool = False, daemon: bool = False) -> dict:
    """Everything `socialwatch health` reports, with the overall state, its reasons and the
    exit status.

    The state is about the service: sources, store and (with `daemon`) the daemon.
    healthy (0): every enabled source ok; degraded (1): a source degraded or never polled;
    failing (2): a source failing or not entitled, the store unreachable, or (with `daemon`) no
    daemon running. The team's backlog (SLA breaches) is always reported, and counts as
    degraded only with `backlog`. `reasons` says why the state is not healthy.
    """
    from socialwatch import sla
    from socialwatch.errors import StoreError

    now = now or model.utcnow()
    policy = sla.policy(app.config.table("sla"), str(app.config.path))
    try:
        rows = source_rows(app, now)
        open_items = app.store.open_mentions()
        counts = app.store.count()
        size = app.store.size_bytes()
        running = daemon_status(app)
    except StoreError as exc:  # the store is unreachable: that is the health report
        return {"state": "failing", "exit_code": 2, "reasons": [f"store: {exc}"], "checked_at": model.iso(now),
                "up": False, "sources": [],
                "store": {"backend": app.store.backend, "where": app.store.describe(), "error": str(exc)},
                "daemon": None, "backlog_counts": backlog, "backlog": None, "unanswered": None,
                "oldest_unanswered": None, "sla_breaches": None, "sla_breach_ids": [],
                "sla_breach_ids_truncated": False}
    unanswered = [m for m in open_items if not m.get("first_response_at")]
    oldest = min(unanswered, key=lambda m: m.get("created_at") or "", default=None)
    # (as `show`, the queue and the inbox count it: business time, only what needs a response)
    breaches = [m for m in unanswered if sla.overdue(policy, m, now)]
    enabled = [r for r in rows if r["enabled"]]
    failing = [_source_reason(r) for r in enabled if r["state"] in ("failing", "not entitled")]
    degraded = [_source_reason(r) for r in enabled if r["state"] not in ("ok", "failing", "not entitled")]
    if daemon and not running["running"]:
        failing.append("no socialwatch daemon is running on this store")
    if backlog and breaches:
        degraded.append(f"{len(breaches)} unanswered mention{'s' if len(breaches) != 1 else ''} past "
                        "the first-response target (SLA)")
    if failing:
        state, code = "failing", 2
    elif degraded:
        state, code = "degraded", 1
    else:
        state, code = "healthy", 0
    return {
        "state": state,
        "exit_code": code,
        "reasons": failing + degraded,
        "checked_at": model.iso(now),
        "up": True,
        "sources": rows,
        "store": {"backend": app.store.backend, "where": app.store.describe(), "open": counts["open"],
                  "archived": counts["archived"], "bytes": size},
        "daemon": running,
        "backlog_counts": backlog,
        "backlog": len(open_items),
        "unanswered": len(unanswered),
        "oldest_unanswered": None if oldest is None else {
            "id": oldest["id"], "created_at": oldest.get("created_at"), "age_seconds": _age(oldest.get("created_at"), now)},
        "sla_breaches": len(breaches),
        "sla_breach_ids": [m["id"] for m in breaches[:MAX_BREACH_IDS]],
        "sla_breach_ids_truncated": len(breaches) > MAX_BREACH_IDS,
    }


def unusable(exc: Exception, exit_code: int) -> dict:
    """The health report of a configuration that cannot even be loaded (a wrong store path, a
    broken file): the service is down, and monitoring still gets a report saying why."""
    return {"state": "failing", "exit_code": exit_code, "reasons": [f"configuration: {exc}"],
            "checked_at": model.iso(model.utcnow()), "up": False, "sources": [], "store": None, "daemon": None,
            "backlog_counts": False, "backlog": None, "unanswered": None, "oldest_unanswered": None,
            "sla_breaches": None, "sla_breach_ids": [], "sla_breach_ids_truncated": False}


#: `sla_breach_ids` lists at most this many (the count is `sla_breaches`).
MAX_BREACH_IDS = 50

_STATE_VALUE = {"ok": 0, "degraded": 1, "never polled": 1, "failing": 2, "not entitled": 2, "disabled": -1}


def prometheus(report: dict) -> str:
    """The report in the Prometheus text exposition format (for the node exporter's textfile collector).

    `socialwatch_up` is 1 when the check could read the store, 0 when it could not;
    `socialwatch_health_status` is the exit status (0 healthy, 1 degraded, 2 failing).
    """

    def label(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    def gauge(name: str, doc: str, value: Any) -> list[str]:
        if value is None:
            return []
        return [f"# HELP {name} {doc}", f"# TYPE {name} gauge", f"{name} {value}"]

    oldest = report.get("oldest_unanswered")
    out = gauge("socialwatch_up", "1 when the health check could read the store, else 0.", int(bool(report.get("up"))))
    out += gauge("socialwatch_health_status", "Service health: 0 healthy, 1 degraded, 2 failing (the exit status).",
                 report["exit_code"])
    daemon = report.get("daemon")
    out += gauge("socialwatch_daemon_running", "1 when a socialwatch daemon holds the store, else 0.",
                 None if daemon is None else int(bool(daemon.get("running"))))
    out += gauge("socialwatch_backlog", "Open mentions.", report.get("backlog"))
    out += gauge("socialwatch_unanswered", "Open mentions without a first response.", report.get("unanswered"))
    out += gauge("socialwatch_sla_breaches", "Unanswered mentions past their first-response target.",
                 report.get("sla_breaches"))
    if report.get("unanswered") is not None:
        out += gauge("socialwatch_oldest_unanswered_seconds", "Age of the oldest unanswered mention.",
                     f"{(oldest or {}).get('age_seconds') or 0:.0f}")
    out += gauge("socialwatch_store_bytes", "Size of the store.", (report.get("store") or {}).get("bytes"))
    if report["sources"]:
        out += ["# HELP socialwatch_source_state Source state: 0 ok, 1 degraded, 2 failing, -1 disabled.",
                "# TYPE socialwatch_source_state gauge"]
        for r in report["sources"]:
            out.append(f'socialwatch_source_state{{source="{label(r["name"])}",type="{label(str(r["type"]))}"}} '
                       f"{_STATE_VALUE.get(r['state'], 1)}")
        out += ["# HELP socialwatch_source_lag_seconds Age of the newest item of each source.",
                "# TYPE socialwatch_source_lag_seconds gauge"]
        for r in report["sources"]:
            if r["lag_seconds"] is not None:
                out.append(f'socialwatch_source_lag_seconds{{source="{label(r["name"])}"}} {r["lag_seconds"]:.0f}')
        # a gauge, not a counter: it goes back to 0 at midnight UTC
        out += ["# HELP socialwatch_source_calls_today API requests made today (UTC; back to 0 each day).",
                "# TYPE socialwatch_source_calls_today gauge"]
        for r in report["sources"]:
            out.append(f'socialwatch_source_calls_today{{source="{label(r["name"])}"}} {r["calls_today"]}')
    return "\n".join(out) + "\n"
