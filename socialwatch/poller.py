"""Polling: fetch a source since its cursor, score, route, store, then move the cursor.

One poll of one source holds that source's lock (`locks/source-NAME.lock`) so that the daemon
and cron polls never poll a source twice at once; the store lock is taken only while a batch
is written. Each batch is stored before its cursor, so a crash repeats at most one batch
(deduplicated on the id) and never skips one. Every poll is recorded in the source's health.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.app import App
from socialwatch.errors import Busy, ConfigError, SocialwatchError
from socialwatch.secrets import mask
from socialwatch.sources import BudgetExhausted, Source, SourceContext, SourceError, source_class

POLL_HISTORY = 20  # poll records kept per source


@dataclass
class PollReport:
    """What one poll of one source did."""

    source: str
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    angry: int = 0
    viral: int = 0
    calls: int = 0
    skipped: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    error: str | None = None
    state: str = "ok"
    busy: bool = False
    duration: float = 0.0
    newest: str | None = None  # created_at of the newest item fetched
    new_ids: list[str] = field(default_factory=list)
    config_error: bool = False  # the source's own settings are broken (a missing key or secret)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.busy

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("new_ids")
        data["duration"] = round(self.duration, 3)
        return data


def lock_for(app: App, name: str) -> Any:
    """The store's per-source poll lock (a lock file, or an advisory lock in PostgreSQL)."""
    return app.store.source_lock(name)


def build_source(app: App, name: str, *, since: datetime | None = None, one_shot: bool = True) -> Source:
    """Instantiate a configured source with its secrets resolved (ConfigError if it cannot)."""
    cfg = app.config
    table = cfg.sources.get(name)
    if table is None:
        known = ", ".join(sorted(cfg.sources)) or "none"
        raise ConfigError(f"no source named {name!r} (configured: {known})", path=str(cfg.path))
    resolved = cfg.resolve(table, f"sources.{name}")
    try:
        cls = source_class(resolved["type"])
    except KeyError:
        raise ConfigError(f"unknown source type {resolved['type']!r}", path=str(cfg.path), key=f"sources.{name}.type") from None
    cls.check_config(name, resolved, str(cfg.path))
    lookback = model.parse_duration(resolved.get("lookback", "24h")).total_seconds()
    context = SourceContext(
        name=name,
        brand=cfg.brand,
        lookback=lookback,
        since=since,
        one_shot=one_shot,
        extra={"config_dir": str(cfg.config_dir), "data_dir": str(cfg.data_dir)},
    )
    return cls(name, resolved, context)


def check_sources(app: App, names: list[str]) -> None:
    """Check that every named source is configured (ConfigError naming the known ones if not).

    A source's own settings (a missing key, an unset secret) are not checked here: they make
    that source fail when it is polled, while the others are polled as usual.
    """
    for name in names:
        if name not in app.config.sources:
            build_source(app, name)  # raises the "no source named" error


def source_problem(app: App, name: str) -> str | None:
    """Why a configured source cannot be built from its settings (masked), or None if it can.

    Checks what a poll checks before it fetches (secrets, the plugin's keys), without the network.
    """
    try:
        build_source(app, name, one_shot=False).close()
    except ConfigError as exc:
        return mask(str(exc))
    return None


def poll_source(
    app: App,
    name: str,
    *,
    since: datetime | None = None,
    wait: bool = False,
    one_shot: bool = True,
    stop: Callable[[], bool] | None = None,
) -> PollReport:
    """Poll one source; its errors are recorded in its health and returned, never raised.

    A source whose own settings are broken (a missing key, an unset secret) fails like any
    other source (`report.config_error`), so the others are still polled. Only an unknown
    source name, and errors of the configuration as a whole met while storing (e.g. the
    `[scoring]` table), are raised; the poll is then recorded as failed, never as a success.
    """
    if name not in app.config.sources:
        build_source(app, name)  # raises the "no source named" error
    report = PollReport(source=name)
    started = time.monotonic()
    interrupted = False
    lock = lock_for(app, name)
    try:
        lock.acquire(timeout=None if wait else 0)
    except Busy:
        report.busy = True
        report.state = "busy"
        return report
    try:
        try:
            source = build_source(app, name, since=since, one_shot=one_shot)
        except ConfigError as exc:
            report.error = mask(str(exc))
            report.state = "failing"
            report.config_error = True
        else:
            try:
                _run(app, source, report, stop)
            finally:
                source.close()
    except SourceError as exc:
        report.error = mask(str(exc))
        report.state = exc.state
    except ConfigError as exc:  # the file as a whole (not this source's table): stops the command
        report.error = mask(str(exc))
        report.state = "failing"
        raise
    except SocialwatchError as exc:
        report.error = mask(str(exc))
        report.state = "failing"
    except Exception as exc:  # a bug: recorded as a failure, never as a success
        report.error = mask(f"unexpected {type(exc).__name__}: {exc}")
        report.state = "failing"
        raise
    except BaseException:  # interrupted (Ctrl-C): neither a success nor the source's failure
        interrupted = True
        raise
    finally:
        report.duration = time.monotonic() - started
        try:
            if not interrupted:
                _record(app, name, report)
        finally:
            lock.release()
    return report


def _run(app: App, source: Source, report: PollReport, stop: Callable[[], bool] | None) -> None:
    name = source.name
    state = app.store.source_states().get(name, {})
    left = _check_budget(source, state)
    if left is not None:
        source.context.extra["max_calls"] = left
    source.cursor = state.get("cursor")
    for batch in source.fetch():
        report.calls += batch.calls
        report.skipped.extend(batch.skipped)
        if batch.gap:
            report.gaps.append(batch.gap)
        mentions = app.enrich(batch.mentions)
        report.fetched += len(mentions)
        with app.store.session() as s:
            result = s.add(mentions)
            if result.new:
                from socialwatch.alerts import record_hourly
                from socialwatch.cases import join_threads

                join_threads(s, mentions, result.new)

                fresh = set(result.new)
                record_hourly(app, [m for m in mentions if m["id"] in fresh], s)
            if batch.cursor is not None:
                st = s.source_state(name)
                st["cursor"] = batch.cursor
                s.set_source_state(name, st)
        stored = set(result.new)
        report.new += len(result.new)
        report.new_ids.extend(result.new)
        report.duplicates += len(result.duplicates)
        for m in mentions:
            if report.newest is None or (m.get("created_at") or "") > report.newest:
                report.newest = m.get("created_at")
            if m["id"] in stored:
                report.angry += bool(m["score"].get("angry"))
                report.viral += bool(m["score"].get("viral"))
        after_stored = getattr(source, "after_stored", None)
        if after_stored is not None:
            after_stored(batch)
        if stop is not None and stop():
            break


def _check_budget(source: Source, state: dict) -> int | None:
    """Raise BudgetExhausted when today's requests are spent; else the requests left (None: no limit)."""
    limit = source.config.get("max_requests_per_day")
    if not limit:
        return None
    today = model.utcnow().date().isoformat()
    calls = (state.get("health") or {}).get("calls_today") or {}
    used = calls.get("count", 0) if calls.get("date") == today else 0
    if used >= limit:
        raise BudgetExhausted(
            f"source {source.name}: the daily request budget is spent ({used}/{limit} requests today, "
            "max_requests_per_day); polling resumes tomorrow (UTC)"
        )
    return limit - used


def _record(app: App, name: str, report: PollReport) -> None:
    """Write the poll into the source's health (never raises over a store problem it reports)."""
    if report.busy:
        return
    now = model.utcnow()
    with app.store.session() as s:
        st = s.source_state(name)
        health = dict(st.get("health") or {})
        today = now.date().isoformat()
        calls = health.get("calls_today") or {}
        count = calls.get("count", 0) if calls.get("date") == today else 0
        health["calls_today"] = {"date": today, "count": count + report.calls}
        health["last_poll"] = model.iso(now)
        if report.error is None:
            health["state"] = "degraded" if report.gaps or report.skipped else "ok"
            health["last_success"] = model.iso(now)
            health["consecutive_failures"] = 0
        else:
            health["state"] = report.state
            health["last_error"] = report.error
            health["last_error_at"] = model.iso(now)
            health["consecutive_failures"] = int(health.get("consecutive_failures", 0)) + 1
            health.setdefault("failing_since", model.iso(now))
        if report.error is None:
            health.pop("failing_since", None)
        if report.gaps:
            gaps = list(health.get("gaps") or [])
            gaps.extend({"at": model.iso(now), "note": g} for g in report.gaps)
            health["gaps"] = gaps[-20:]
        if report.newest and report.newest > (health.get("newest_item_at") or ""):
            health["newest_item_at"] = report.newest
        polls = list(st.get("polls") or [])
        polls.append({"at": model.iso(now), **{k: v for k, v in report.as_dict().items() if k != "skipped"},
                      "skipped": len(report.skipped)})
        st["polls"] = polls[-POLL_HISTORY:]
        st["health"] = health
        s.set_source_state(name, st)


def since_option(value: str | None) -> datetime | None:
    """`--since 3d` -> the UTC time three days ago (None passes through)."""
    if not value:
        return None
    try:
        return model.utcnow() - model.parse_duration(value)
    except ValueError:
        try:
            return model.parse_time(value)
        except ValueError:
            raise ConfigError(f"--since: expected a duration such as 3d or a date, got {value!r}") from None


__all__ = ["PollReport", "poll_source", "build_source", "check_sources", "source_problem", "since_option", "timedelta"]
