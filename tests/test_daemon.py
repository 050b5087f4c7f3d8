"""The daemon (`socialwatch run`), cron-safe polling, health and alerts, with real processes."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from socialwatch import alerts, health, poller, sla
from socialwatch.app import App
from socialwatch.scheduler import Daemon
from tests.conftest import use_backend
from tests.test_cli import lines, sw


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    """An initialised home polling the demo every second, once per store backend."""
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text().replace('interval = "5m"', 'interval = "1s"'))
    return isolated_home


def start_daemon(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "socialwatch", "run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ)


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def stored_ids() -> list[str]:
    return [m["id"] for m in lines(sw("export", "--format", "jsonl")[1])]


def test_sigterm_stops_gracefully_and_cron_poll_beside_is_safe(home: pathlib.Path) -> None:
    proc = start_daemon()
    try:
        assert wait_for(lambda: len(stored_ids()) >= 128), "the daemon stored nothing"
        code, out, err = sw("poll")  # cron beside the daemon: polls or skips the busy source
        assert code == 0, err
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "received SIGTERM" in err and "daemon stopped" in err
    assert err.count("poll demo") >= 2
    ids = stored_ids()
    assert len(ids) == len(set(ids))


def test_failing_source_backs_off_and_recovers_without_stopping_others(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.feed]\ntype = "file"\npath = "feed.jsonl"\ninterval = "1s"\n')
    proc = start_daemon("--log-format", "json")
    try:
        assert wait_for(lambda: any(r["name"] == "feed" and r["state"] == "failing" for r in lines(sw("sources", "--json")[1])))
        (home / "feed.jsonl").write_text(json.dumps({"id": "file:f1", "text": "hello from the feed"}) + "\n")
        assert wait_for(lambda: "file:f1" in stored_ids(), timeout=120), "the failing source did not recover"  # a hang guard: backoff doubles per failure
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(r.get("source") == "feed" and r.get("errors") == 1 for r in records)
    assert any(r["message"].startswith("backing off feed") for r in records)
    assert any(r.get("source") == "demo" and r.get("new", 0) > 0 for r in records)
    rows = {r["name"]: r for r in lines(sw("sources", "--json")[1])}
    assert rows["feed"]["state"] == "ok" and rows["demo"]["state"] == "ok"


def test_sighup_reloads_and_a_bad_config_keeps_the_old_one(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    good = config.read_text()
    proc = start_daemon()
    try:
        assert wait_for(lambda: len(stored_ids()) > 0)
        config.write_text(good + "\n[sources.broken\n")
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        assert proc.poll() is None
        config.write_text(good.replace('interval = "1s"', 'interval = "2s"'))
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "config reload failed; keeping the running configuration" in err
    assert "configuration reloaded" in err
    assert proc.returncode == 0


def test_no_secret_in_log_lines(home: pathlib.Path, monkeypatch) -> None:
    monkeypatch.setenv("SW_DAEMON_SECRET", "tok-abcdef-123456")
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.x]\ntype = "file"\npath = "$SW_DAEMON_SECRET"\ninterval = "1s"\n')
    proc = start_daemon()
    try:
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "poll x failed" in err
    assert "tok-abcdef-123456" not in err


def test_cron_poll_skips_a_source_being_polled_and_wait_waits(home: pathlib.Path) -> None:
    app = App()
    lock = poller.lock_for(app, "demo")
    lock.acquire()
    try:
        code, out, err = sw("poll")
        assert code == 0 and "already being polled" in err
    finally:
        lock.release()
    code, out, err = sw("poll", "--wait")
    assert code == 0 and "120 new" in out


def test_poll_exit_status_is_1_when_a_source_fails(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.feed]\ntype = "file"\npath = "missing.jsonl"\n')
    code, out, err = sw("poll")
    assert code == 1 and "Error: feed:" in err and "no such file" in err
    assert "demo: 120 new" in out


def test_budget_stops_polling_before_it_is_spent(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('type = "demo"', 'type = "demo"\nmax_requests_per_day = 1'))
    app = App()
    with app.store.session() as s:
        today = datetime.now(timezone.utc).date().isoformat()
        s.set_source_state("demo", {"health": {"calls_today": {"date": today, "count": 1}}})
    code, _, err = sw("poll")
    assert code == 1 and "budget" in err
    assert lines(sw("sources", "--json")[1])[0]["state"] == "degraded"


def test_daemon_job_records_errors_and_backoff_in_process(home: pathlib.Path) -> None:
    class FakeScheduler:
        def __init__(self) -> None:
            self.modified: list = []

        def modify_job(self, job_id, **kw) -> None:
            self.modified.append((job_id, kw))

    d = Daemon(None)
    d.scheduler = FakeScheduler()
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.feed]\ntype = "file"\npath = "missing.jsonl"\ninterval = "10s"\n')
    d.app.store.close()  # the daemon's own (pooled) store, replaced by one that sees the new source
    d.app = App()
    d.poll_job("feed")
    d.poll_job("feed")
    assert d.failures["feed"] == 2
    delays = [(kw["next_run_time"] - datetime.now(timezone.utc)).total_seconds() for _, kw in d.scheduler.modified]
    assert 17 < delays[0] < 23 and 35 < delays[1] < 45  # 10 s x 2^n, jittered by 10%


# ---- health --------------------------------------------------------------------------------------
def test_health_exit_status_and_formats(home: pathlib.Path) -> None:
    code, out, _ = sw("health", "--json")
    report = json.loads(out)
    assert code == 1 and report["state"] == "degraded"  # never polled yet
    sw("poll")
    code, out, _ = sw("health", "--format", "prometheus")
    assert "socialwatch_backlog 120" in out and 'socialwatch_source_state{source="demo",type="demo"} 0' in out
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.feed]\ntype = "file"\npath = "missing.jsonl"\n')
    sw("poll")
    code, out, _ = sw("health", "--json")
    assert code == 2 and json.loads(out)["state"] == "failing"


# ---- SLA arithmetic ------------------------------------------------------------------------------
def utc(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc)


def test_business_time_skips_nights_weekends_and_holidays() -> None:
    p = sla.policy({"timezone": "UTC", "hours": "09:00-17:00", "holidays": ["2026-11-25"]})
    # Friday 16:00 -> Monday 10:00: 1 h on Friday + 1 h on Monday
    assert p.elapsed(utc("2026-11-20T16:00"), utc("2026-11-23T10:00")).total_seconds() == 2 * 3600
    # Tuesday 16:30 -> Thursday 09:30 across the Wednesday holiday: 30 min + 30 min
    assert p.elapsed(utc("2026-11-24T16:30"), utc("2026-11-26T09:30")).total_seconds() == 3600
    assert p.due(utc("2026-11-20T16:30"), p.target(90)) == utc("2026-11-23T09:30")
    assert p.target(90).total_seconds() == 3600 and p.target(10).total_seconds() == 4 * 3600


def test_business_time_in_another_time_zone() -> None:
    p = sla.policy({"timezone": "America/New_York", "hours": "09:00-17:00"})
    # 13:00 UTC is 08:00 in New York (EST): the clock starts at 14:00 UTC
    assert p.elapsed(utc("2026-11-23T13:00"), utc("2026-11-23T15:00")).total_seconds() == 3600


def test_bad_sla_config_is_a_config_error(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sla]\ntimezone = "Mars/Olympus"\n')
    code, _, err = sw("triage", "--json")
    assert code == 2 and "sla.timezone" in err


# ---- alerts --------------------------------------------------------------------------------------
def test_alerts_fire_once_per_event_through_a_command(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    sink = tmp_path / "alerts.jsonl"
    script = tmp_path / "sink.sh"
    script.write_text(f'#!/bin/sh\ncat >> "{sink}"\necho >> "{sink}"\n')
    script.chmod(0o755)
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + f'\n[alerts]\nangry = true\ncooldown = "1h"\n'
                      f'[alerts.channels.pager]\ntype = "command"\ncommand = ["{script}"]\n')
    code, _, err = sw("poll")
    assert code == 0, err
    fired = lines(sink.read_text())
    assert fired and all(a["kind"] == "mention" and "angry" in a["reasons"] for a in fired)
    first = len(fired)
    app = App()
    again = alerts.Alerter(app).after_poll([a["mention_id"] for a in fired])
    assert again == []  # cool-down: no second alert for the same mention
    assert len(lines(sink.read_text())) == first


def test_spike_against_the_same_hour_of_previous_days(home: pathlib.Path) -> None:
    app = App()
    now = utc("2026-11-23T15:30")
    with app.store.session() as s:
        for d in range(1, 8):
            hour = f"2026-11-{23 - d:02d}T15"
            s.state_put("hourly", hour, {"hour": hour, "total": 4, "negative": 1})
        s.state_put("hourly", "2026-11-23T15", {"hour": "2026-11-23T15", "total": 30, "negative": 2})
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + "\n[alerts]\nspike_factor = 3.0\nspike_min = 10\n")
    fired = alerts.Alerter(App()).after_poll([], now=now)
    assert [a["what"] for a in fired] == ["total"] and fired[0]["baseline"] == 4.0


def test_slack_and_teams_payloads() -> None:
    alert = {"kind": "mention", "message": "angry: @ann", "url": "https://x.com/a/status/1", "key": "k"}
    assert alerts.payload(alert, "slack")["text"].startswith("*socialwatch: mention*")
    card = alerts.payload(alert, "teams")
    assert card["@type"] == "MessageCard" and card["potentialAction"][0]["targets"][0]["uri"] == alert["url"]


def test_health_summary_counts_sla_breaches(home: pathlib.Path) -> None:
    sw("poll")
    report = health.summary(App(), now=datetime.now(timezone.utc))
    assert report["backlog"] == 120 and report["unanswered"] == 120


from socialwatch.sources import Source  # noqa: E402


class Killer(Source):
    """A source whose fetch dies the hard way (as a crashing platform library would)."""

    type_name = "killer"

    def fetch(self):
        os.kill(os.getpid(), signal.SIGKILL)
        yield  # pragma: no cover


def test_a_poll_that_crashes_its_process_costs_one_poll_not_the_daemon(home: pathlib.Path, monkeypatch) -> None:
    from socialwatch import isolated, sources

    monkeypatch.setitem(sources.BUILTIN, "killer", "tests.test_daemon:Killer")
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.k]\ntype = "killer"\n')
    app = App()
    with pytest.raises(isolated.PollCrashed, match="signal 9"):
        isolated.poll_in_child(app, "k", {})
    report = isolated.poll_in_child(app, "demo", {})  # the next poll works
    assert report.new == 120
