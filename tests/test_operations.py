"""Operating socialwatch (issue 16): per-source configuration errors, the data path, `health`
and its Prometheus text, one daemon per store, JSON logs, masking of secret values, XLSX."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from socialwatch import secrets
from tests.conftest import ROOT, use_backend
from tests.test_cli import lines, sw, write_jsonl

SECRET = "sk-bearer-Zq81xW0p"


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    """An initialised home (demo source polled every second by a daemon), once per store backend."""
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text().replace('interval = "5m"', 'interval = "1s"'))
    return isolated_home


def add_to_config(home: pathlib.Path, text: str) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + "\n" + text + "\n")


def rows_by_name() -> dict[str, dict]:
    code, out, err = sw("sources", "--json")
    assert code == 0, err
    return {r["name"]: r for r in lines(out)}


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


def finish(proc: subprocess.Popen, timeout: float = 30) -> tuple[str, str]:
    """Wait for a process that should end by itself; kill it (and fail) if it does not."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{proc.args} did not exit by itself")


def stop(proc: subprocess.Popen) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def demo_polled() -> bool:
    return rows_by_name()["demo"]["state"] == "ok"


# ---- item 2: a source's config error is a failing poll, never a success ----------------------
def test_a_source_that_fails_on_its_config_is_failing_not_ok(home: pathlib.Path, monkeypatch) -> None:
    monkeypatch.setenv("SW_X_BEARER", SECRET)
    add_to_config(home, '[sources.x]\ntype = "twitter"\nbearer_token = "$SW_X_BEARER"\n')  # no user_id
    code, out, err = sw("poll", "--source", "x")
    assert code == 2 and "Error: x:" in err and "sources.x.user_id" in err
    assert "bearer token" in err and "***" not in err  # words are not secrets
    assert SECRET not in err + out
    row = rows_by_name()["x"]
    assert row["state"] == "failing" and row["last_success"] is None
    assert "user_id" in row["last_error"] and row["consecutive_failures"] == 1
    code, out, _ = sw("health", "--json")
    report = json.loads(out)
    assert code == 2 and report["state"] == "failing"
    assert any(r.startswith("source x is failing") and "user_id" in r for r in report["reasons"])
    code, out, _ = sw("health")
    assert code == 2 and "source x is failing" in out


def test_mask_hides_secret_values_never_words() -> None:
    words = "mentions with an app bearer token need `user_id`; the password: missing; access_token=none"
    assert secrets.mask(words) == words
    leaked = "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAA%3Dq7 and access_token=ya29-a0Af8 password=hunter22"
    masked = secrets.mask(leaked)
    assert "AAAAAAAAAAAAAAAAAAAAAMLheAAAA" not in masked and "ya29-a0Af8" not in masked and "hunter22" not in masked
    secrets.register("plain-registered-value")
    assert secrets.mask("got plain-registered-value back") == "got *** back"


# ---- item 16: one broken source never stops the others -----------------------------------------
def test_poll_goes_on_past_a_source_with_a_missing_secret(home: pathlib.Path, monkeypatch) -> None:
    monkeypatch.delenv("SW_UNSET_TOKEN", raising=False)
    add_to_config(home, '[sources.broken]\ntype = "mastodon"\ninstance = "mastodon.example"\n'
                        'access_token = "$SW_UNSET_TOKEN"\n')
    code, out, err = sw("poll")
    assert code == 2  # a source's own settings are broken: a configuration error, documented
    assert "demo: 120 new" in out
    assert "Error: broken:" in err and "SW_UNSET_TOKEN" in err and "sources.broken.access_token" in err
    rows = rows_by_name()
    assert rows["demo"]["state"] == "ok"
    assert rows["broken"]["state"] == "failing" and "SW_UNSET_TOKEN" in rows["broken"]["last_error"]
    assert rows["broken"]["last_success"] is None
    code, out, _ = sw("poll", "--json")
    reports = {r["source"]: r for r in lines(out)}
    assert code == 2 and reports["broken"]["config_error"] is True and reports["demo"]["config_error"] is False


def test_an_unknown_source_name_still_stops_poll_before_polling(home: pathlib.Path) -> None:
    code, out, err = sw("poll", "--source", "demo", "--source", "nope")
    assert code == 2 and "no source named 'nope'" in err and out == ""
    assert rows_by_name()["demo"]["state"] == "never polled"


def test_a_broken_file_as_a_whole_stops_everything(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace("[scoring]\n", '[scoring]\nangry_threshold = "very"\n', 1))
    code, out, err = sw("poll")
    assert code == 2 and out == "" and "scoring.angry_threshold" in err
    assert rows_by_name()["demo"]["state"] == "never polled"


def test_the_daemon_polls_the_others_and_reports_a_misconfigured_source(home: pathlib.Path, monkeypatch) -> None:
    monkeypatch.delenv("SW_UNSET_TOKEN", raising=False)
    add_to_config(home, '[sources.broken]\ntype = "mastodon"\ninstance = "mastodon.example"\n'
                        'access_token = "$SW_UNSET_TOKEN"\ninterval = "1s"\n')
    proc = start_daemon("--log-format", "json")
    try:
        assert wait_for(lambda: demo_polled() and rows_by_name()["broken"]["state"] == "failing"), \
            "the daemon did not poll the good source, or did not report the broken one"
        code, out, _ = sw("health", "--json")
        report = json.loads(out)
        assert code == 2 and any("source broken is failing" in r and "SW_UNSET_TOKEN" in r for r in report["reasons"])
    finally:
        _, err = stop(proc)
    assert proc.returncode == 0, err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(r["message"].startswith("source broken is misconfigured") and "SW_UNSET_TOKEN" in r["error"]
               for r in records)
    assert any(r.get("source") == "demo" and r.get("new", 0) > 0 for r in records)


# ---- item 5: a wrong data path is a configuration error ------------------------------------------
@pytest.mark.parametrize("backend", ["tinydb"], indirect=True)  # `[store] path` is the TinyDB store's
@pytest.mark.parametrize("command", [("triage", "--list"), ("triage", "--json"), ("export",), ("report",),
                                     ("poll",), ("health",), ("run",)])
def test_a_data_path_that_does_not_exist_is_a_config_error(home: pathlib.Path, command: tuple[str, ...]) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('path = "data"', 'path = "dtaa"', 1))
    code, out, err = sw(*command)
    assert code == 2, (out, err)
    assert err.startswith("Error:") and "store.path" in err and "dtaa" in err and "does not exist" in err
    assert "queue is empty" not in out + err
    assert not (home / "dtaa").exists()  # nothing made up on the way


@pytest.mark.parametrize("backend", ["tinydb"], indirect=True)
def test_an_unwritable_data_path_is_a_clear_config_error(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('path = "data"', 'path = "/proc/self"', 1))  # even root cannot write
    for command in (("poll",), ("tag", "file:x", "t")):
        code, _, err = sw(*command)
        assert code == 2, err
        assert "store.path" in err and "cannot write in the data directory /proc/self" in err and "unexpected" not in err
    config.write_text(config.read_text().replace('path = "/proc/self"', 'path = "/proc/no-such/data"', 1))
    code, _, err = sw("init")
    assert code == 2 and "store.path" in err and "cannot create the data directory" in err and "unexpected" not in err


@pytest.mark.parametrize("backend", ["tinydb"], indirect=True)
def test_a_full_disk_is_a_store_failure_not_a_config_error(home: pathlib.Path, monkeypatch) -> None:
    import errno

    from socialwatch.store import Session

    def full(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Session, "commit", full)
    code, _, err = sw("poll")
    assert code == 1 and "cannot write in the data directory" in err and "No space left on device" in err
    assert "store.path" not in err and "unexpected" not in err


def test_the_default_data_directory_is_still_made_on_first_use(isolated_home: pathlib.Path) -> None:
    assert sw("init")[0] == 0
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text().replace('path = "data"', "", 1))
    (isolated_home / "data").rmdir()
    code, out, err = sw("poll")
    assert code == 0 and "120 new" in out, err
    assert (isolated_home / "data" / "open.json").exists()


# ---- item 6: health is about the service; the backlog counts only when asked --------------------
def test_health_exit_is_about_the_service_and_backlog_counts_only_when_asked(home: pathlib.Path,
                                                                           tmp_path: pathlib.Path) -> None:
    code, out, _ = sw("health")
    assert code == 1 and "source demo has never been polled" in out  # the reason, always
    assert sw("poll")[0] == 0
    # Complaints days past due in business time whatever day the suite runs on (the demo's
    # mentions are hours old: at a weekend or at night none of them is overdue yet).
    late = [{"id": f"twitter:{i}", "text": "my router is dead, please help", "created_at": "2026-01-05T09:00:00Z"}
            for i in range(3)]
    assert sw("import", str(write_jsonl(tmp_path / "late.jsonl", late)))[0] == 0
    code, out, _ = sw("health", "--json")
    report = json.loads(out)
    assert report["sla_breaches"] >= 3  # the team is behind ...
    assert code == 0 and report["state"] == "healthy" and report["reasons"] == []  # ... the service is fine
    code, out, _ = sw("health")
    assert code == 0 and out.startswith("socialwatch: HEALTHY") and "not counted in the status" in out
    code, out, _ = sw("health", "--backlog")
    assert code == 1 and out.startswith("socialwatch: DEGRADED")
    assert f"{report['sla_breaches']} unanswered mentions past the first-response target" in out
    code, out, _ = sw("health", "--backlog", "--json")
    assert code == 1 and json.loads(out)["reasons"] == [
        f"{report['sla_breaches']} unanswered mentions past the first-response target (SLA)"]


def test_health_prometheus_text(home: pathlib.Path) -> None:
    assert sw("poll")[0] == 0
    code, out, err = sw("health", "--format", "prometheus")
    assert code == 0 and err == ""
    metrics = out.splitlines()
    assert "socialwatch_up 1" in metrics and "socialwatch_health_status 0" in metrics
    assert "# TYPE socialwatch_source_calls_today gauge" in metrics
    assert "counter" not in out and "None" not in out
    assert "socialwatch_daemon_running 0" in metrics
    add_to_config(home, '[sources.feed]\ntype = "file"\npath = "missing.jsonl"\n')
    sw("poll")
    code, out, err = sw("health", "--format", "prometheus")
    assert code == 2 and "socialwatch_up 1" in out.splitlines() and "socialwatch_health_status 2" in out.splitlines()
    assert err.startswith("failing: source feed is failing")  # the reason, beside the metrics


@pytest.mark.parametrize("backend", ["tinydb"], indirect=True)
def test_health_on_a_config_error_still_gives_monitoring_its_metrics(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('path = "data"', 'path = "dtaa"', 1))
    code, out, err = sw("health", "--format", "prometheus")
    assert code == 2
    metrics = out.splitlines()
    assert "socialwatch_up 0" in metrics and "socialwatch_health_status 2" in metrics and "None" not in out
    assert err.startswith("failing: configuration: ") and "store.path" in err
    code, out, _ = sw("health", "--json")
    report = json.loads(out)
    assert code == 2 and report["up"] is False and "store.path" in report["reasons"][0]
    code, out, err = sw("health")  # people get the usual one-line error
    assert code == 2 and out == "" and err.startswith("Error:") and "store.path" in err


def test_health_json_says_when_the_breach_ids_are_cut(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    old = [{"id": f"twitter:{i}", "text": "my router is dead, please help", "created_at": "2026-01-05T09:00:00Z"}
           for i in range(60)]
    path = tmp_path / "old.jsonl"
    path.write_text("".join(json.dumps(m) + "\n" for m in old))
    assert sw("import", str(path))[0] == 0
    report = json.loads(sw("health", "--json")[1])
    assert report["sla_breaches"] == 60 and len(report["sla_breach_ids"]) == 50
    assert report["sla_breach_ids_truncated"] is True


def test_health_of_an_unreachable_store(isolated_home: pathlib.Path, monkeypatch) -> None:
    assert sw("init")[0] == 0
    monkeypatch.setenv("SOCIALWATCH_TEST_DB", "postgresql://sw:pw-Secret-771@127.0.0.1:1/nodb")
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text().replace('backend = "tinydb"', 'backend = "postgres"\nurl = "$SOCIALWATCH_TEST_DB"'))
    code, out, err = sw("health", "--format", "prometheus")
    assert code == 2 and "socialwatch_up 0" in out.splitlines() and "None" not in out
    assert "failing: store:" in err
    code, out, err = sw("health", "--json")
    report = json.loads(out)
    assert report["store"]["where"] == "postgres postgresql://sw:***@127.0.0.1:1/nodb"  # item 17: the password only
    assert "pw-Secret-771" not in out + err


def test_health_daemon_option_counts_a_missing_daemon(home: pathlib.Path) -> None:
    assert sw("poll")[0] == 0
    code, out, _ = sw("health", "--daemon", "--json")
    assert code == 2 and json.loads(out)["reasons"] == ["no socialwatch daemon is running on this store"]


def test_the_docker_healthcheck_keeps_the_reasons_and_ignores_the_backlog() -> None:
    text = (ROOT / "config" / "deploy" / "Dockerfile").read_text()
    check = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK"))
    assert "socialwatch health" in check and "--backlog" not in check and "/dev/null" not in check


# ---- item 14: one daemon per store -----------------------------------------------------------
def test_a_second_daemon_on_the_same_store_is_refused(home: pathlib.Path) -> None:
    import socket

    first = start_daemon()
    try:
        assert wait_for(demo_polled), "the first daemon did not poll"
        second = start_daemon("--log-format", "json")
        out, err = finish(second)
        assert second.returncode == 2, err
        record = json.loads(err.strip().splitlines()[-1])
        assert record["level"] == "error" and record["exit_code"] == 2
        assert f"pid {first.pid} on {socket.gethostname()}" in record["message"]
        third = start_daemon()
        _, err = finish(third)
        assert third.returncode == 2 and err.startswith("Error: another socialwatch daemon is running") \
            and f"pid {first.pid}" in err
        code, out, err = sw("poll")  # cron beside the daemon keeps working (per-source locks)
        assert code == 0, err
        code, out, _ = sw("health", "--daemon", "--json")
        daemon = json.loads(out)["daemon"]
        assert code == 0 and daemon["running"] and daemon["pid"] == first.pid
    finally:
        _, err = stop(first)
    assert first.returncode == 0, err
    assert err.count("socialwatch daemon started") == 1
    again = start_daemon()  # the lock went with the first daemon
    try:
        assert wait_for(lambda: json.loads(sw("health", "--json")[1])["daemon"]["running"])
    finally:
        _, err = stop(again)
    assert again.returncode == 0, err


def test_the_daemon_lock_outlives_no_daemon(home: pathlib.Path) -> None:
    # A daemon killed outright (SIGKILL: no clean-up at all) leaves no stale lock behind.
    first = start_daemon()
    try:
        assert wait_for(lambda: json.loads(sw("health", "--json")[1])["daemon"]["running"])
    finally:
        first.kill()
        first.communicate()
    assert wait_for(lambda: not json.loads(sw("health", "--json")[1])["daemon"]["running"], timeout=10)
    again = start_daemon()
    try:
        assert wait_for(lambda: json.loads(sw("health", "--json")[1])["daemon"]["running"])
    finally:
        _, err = stop(again)
    assert again.returncode == 0, err


# ---- item 15: JSON logs in UTC, start-up errors as JSON ------------------------------------------
def test_json_log_times_are_utc_and_start_up_errors_are_json(home: pathlib.Path) -> None:
    proc = start_daemon("--log-format", "json")
    try:
        assert wait_for(demo_polled)
    finally:
        _, err = stop(proc)
    records = [json.loads(line) for line in err.splitlines()]
    for record in records:
        assert record["time"].endswith("Z")
        when = datetime.fromisoformat(record["time"])
        assert when.tzinfo is not None and abs(datetime.now(UTC) - when) < timedelta(minutes=5)
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + "\n[sources.broken\n")
    proc = start_daemon("--log-format", "json")
    out, err = finish(proc)
    assert proc.returncode == 2
    records = [json.loads(line) for line in err.splitlines()]  # every line is JSON, the error too
    assert records[-1]["level"] == "error" and "TOML syntax error" in records[-1]["message"]
    assert records[-1]["time"].endswith("Z")
    proc = start_daemon()
    _, err = finish(proc)
    assert proc.returncode == 2 and err.startswith("Error:") and "TOML syntax error" in err


def test_text_log_times_are_utc() -> None:
    import logging

    from socialwatch.logs import JsonFormatter, TextFormatter

    record = logging.LogRecord("socialwatch", logging.INFO, __file__, 1, "hello", None, None)
    record.created = datetime(2026, 12, 4, 15, 2, 3, 123000, tzinfo=UTC).timestamp()
    assert json.loads(JsonFormatter().format(record))["time"] == "2026-12-04T15:02:03.123Z"
    assert TextFormatter().format(record).startswith("2026-12-04T15:02:03.123Z info")


# ---- item 17: the store URL masked by its password only -----------------------------------------
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_store_url_shows_everything_but_its_password(home: pathlib.Path, monkeypatch) -> None:
    url = os.environ["SOCIALWATCH_TEST_DB"]
    assert url.startswith("postgresql://") and "@" in url
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    monkeypatch.setenv("SOCIALWATCH_TEST_DB", f"{scheme}://{user}:pw-Secret-771@{host}")
    shown = f"{scheme}://{user}:***@{host}"
    code, out, err = sw("db", "status", "--json")
    assert code == 0, err
    assert json.loads(out)["where"] == f"postgres {shown}"
    code, out, _ = sw("health", "--json")
    assert json.loads(out)["store"]["where"] == f"postgres {shown}"
    assert "pw-Secret-771" not in out


def test_register_dsn_keeps_all_but_the_password() -> None:
    secrets.register_dsn("postgresql://sw:p%40ss-word-9@db.internal:5432/socialwatch")
    secrets.register_dsn("host=db.internal password='conn info pw' dbname=sw")
    text = "cannot connect to postgresql://sw:p%40ss-word-9@db.internal:5432/socialwatch (p@ss-word-9); conn info pw"
    assert secrets.mask(text) == "cannot connect to postgresql://sw:***@db.internal:5432/socialwatch (***); ***"


# ---- item 18: XLSX from the README's install -------------------------------------------------------
def test_xlsx_export_works_from_the_plain_install(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    import configparser
    from importlib.metadata import requires

    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert "xlsxwriter" in setup["options"]["install_requires"].lower()  # the README's install brings it
    assert any(r.lower().startswith("xlsxwriter") for r in requires("socialwatch") or [])
    assert sw("poll")[0] == 0
    target = tmp_path / "mentions.xlsx"
    code, _, err = sw("export", "--format", "xlsx", "-o", str(target))
    assert code == 0 and "Exported 120 mentions" in err, err
    with zipfile.ZipFile(target) as book:  # (streamed in constant memory, its strings are inline in the sheet)
        strings = "".join(book.read(name).decode("utf-8") for name in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml")
                          if name in book.namelist())
    first = lines(sw("triage", "--json", "--limit", "1")[1])[0]
    assert first["id"] in strings


def test_xlsx_without_xlsxwriter_says_how_to_get_it(home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)  # as if it were missing
    code, _, err = sw("export", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "pip install xlsxwriter" in err and "--format csv" in err
    assert not (tmp_path / "x.xlsx").exists()
