"""The CLI through click's CliRunner: every command, its errors and exit statuses."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from socialwatch.cli import cli, main
from tests.conftest import use_backend


def sw(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """Run through `main`, the real entry point, capturing its exit status and output."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    code = 0
    stdin = io.StringIO(input or "")
    import sys

    old_stdin = sys.stdin
    sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def write_jsonl(path: pathlib.Path, records: list[dict]) -> pathlib.Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    """An initialised home, once per store backend (TinyDB files, PostgreSQL)."""
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    return isolated_home


@pytest.fixture
def imported(home: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    records = [
        {"id": "file:a1", "text": "@Northwind charged me twice and nobody answers!!! Cancel my account", "author": {"handle": "ann"}},
        {"id": "file:a2", "text": "@Northwind thanks, great service today", "author": {"handle": "bob"}},
        {"id": "file:a3", "text": "@Northwind how do I change my plan?", "author": {"handle": "ann"}},
        {"id": "file:a4", "text": "old complaint", "author": {"handle": "cy"}, "status": "resolved"},
    ]
    path = write_jsonl(tmp_path / "in.jsonl", records)
    code, out, err = sw("import", str(path))
    assert code == 0, err
    return home


def test_help_lists_every_command() -> None:
    code, out, _ = sw("--help")
    assert code == 0
    for command in ("init", "poll", "triage", "show", "score", "import", "sources", "reply", "draft", "claim"):
        assert command in out


def test_every_command_has_help() -> None:
    for name, command in cli.commands.items():
        assert command.help or command.callback.__doc__, name
        code, out, _ = sw(name, "--help")
        assert code == 0 and "Usage" in out, name


def test_init_writes_private_config_and_keeps_an_existing_one(isolated_home: pathlib.Path) -> None:
    code, _, err = sw("init")
    assert code == 0
    config = isolated_home / "socialwatch.toml"
    assert config.stat().st_mode & 0o077 == 0
    assert (isolated_home / "data").stat().st_mode & 0o077 == 0
    config.write_text(config.read_text() + "\n# mine\n")
    code, _, err = sw("init")
    assert code == 0 and "already exists" in err
    assert "# mine" in config.read_text()


def test_missing_config_is_a_config_error(isolated_home: pathlib.Path) -> None:
    code, _, err = sw("triage", "--json")
    assert code == 2
    assert err.startswith("Error:") and "socialwatch init" in err


def test_toml_syntax_error_names_the_file(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + "\n[brand\nname = = 1\n")
    code, _, err = sw("poll")
    assert code == 2
    assert err.startswith("Error:") and "socialwatch.toml" in err and "Traceback" not in err


def test_unknown_source_type_names_file_source_and_type(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.bogus]\ntype = "nope"\n')
    code, _, err = sw("poll")
    assert code == 2
    assert "socialwatch.toml" in err and "sources.bogus.type" in err and "'nope'" in err


def test_wrong_type_names_the_key(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('interval = "5m"', "interval = true"))
    code, _, err = sw("poll")
    assert code == 2 and "sources.demo.interval" in err


def test_missing_environment_variable_is_named_and_secrets_never_leak(home: pathlib.Path, monkeypatch) -> None:
    monkeypatch.delenv("SW_TEST_MISSING", raising=False)
    monkeypatch.setenv("SW_TEST_SECRET", "sk-very-secret-value")
    config = home / "socialwatch.toml"
    base = config.read_text()
    config.write_text(base + '\n[sources.other]\ntype = "demo"\nquery = "$SW_TEST_SECRET"\n'
                      '\n[sources.missing]\ntype = "demo"\nquery = "${SW_TEST_MISSING}"\n')
    code, out, err = sw("poll")
    assert code == 2 and "SW_TEST_MISSING" in err and "sources.missing.query" in err
    config.write_text(base + '\n[sources.other]\ntype = "demo"\nquery = "$SW_TEST_SECRET"\n')
    code, out, err = sw("poll")
    assert code == 0, err
    sw("sources", "--json")
    for path in home.rglob("*"):
        if path.is_file():
            assert b"sk-very-secret-value" not in path.read_bytes(), path


def test_import_reports_file_and_line_and_keeps_the_rest(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = [json.dumps({"id": f"file:g{i}", "text": f"text {i}"}) for i in range(5)]
    path.write_text("\n".join(good[:2] + ['{"id": "file:broken", "text": '] + good[2:] + ['{"id": 5, "text": []}']) + "\n")
    code, out, err = sw("import", str(path))
    assert code == 0
    assert "bad.jsonl:3:" in err and "bad.jsonl:7:" in err and "text" in err
    code, out, _ = sw("triage", "--json")
    assert sorted(m["id"] for m in lines(out)) == [f"file:g{i}" for i in range(5)]


def test_import_twice_stores_once(imported: pathlib.Path, tmp_path: pathlib.Path) -> None:
    code, out, err = sw("import", str(tmp_path / "in.jsonl"))
    assert code == 0 and "0 new, 4 duplicates" in out


def test_import_of_a_missing_file_is_a_clear_error(home: pathlib.Path) -> None:
    code, _, err = sw("import", "/nonexistent/file.jsonl")
    assert code == 1 and err.startswith("Error:") and "no such file" in err


def test_import_twcs_csv(home: pathlib.Path, fixtures_dir: pathlib.Path) -> None:
    code, out, err = sw("import", str(fixtures_dir / "twcs" / "twcs.csv"), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["new"] == 2778 and report["skipped"] == 0  # every inbound row, once
    assert report["responses"] > 1000  # brand answers linked to the mentions they answer
    code, out, _ = sw("show", "twitter:3399", "--json")  # the row with bare CRs in its text
    assert code == 0 and json.loads(out)["first_response_at"]


def test_triage_json_is_sorted_and_filtered(imported: pathlib.Path) -> None:
    code, out, _ = sw("triage", "--json")
    queue = lines(out)
    assert [m["id"] for m in queue][0] == "file:a1"
    prios = [m["priority"] for m in queue]
    assert prios == sorted(prios, reverse=True)
    assert "file:a4" not in [m["id"] for m in queue]  # closed history is not in the queue
    code, out, _ = sw("triage", "--json", "--angry")
    assert [m["id"] for m in lines(out)] == ["file:a1"]
    code, out, _ = sw("triage", "--json", "--limit", "1")
    assert len(lines(out)) == 1
    code, out, _ = sw("triage", "--json", "--min-priority", "100")
    assert lines(out) == []


def test_triage_without_a_terminal_prints_json_lines(imported: pathlib.Path) -> None:
    code, out, _ = sw("triage")
    assert code == 0 and len(lines(out)) == 3


def test_show_json_and_text_with_history(imported: pathlib.Path) -> None:
    code, out, _ = sw("show", "file:a1", "--json")
    m = json.loads(out)
    assert m["id"] == "file:a1" and m["score"]["angry"] is True
    assert [h["id"] for h in m["history"]] == ["file:a3"]
    code, out, _ = sw("show", "file:a1")
    assert code == 0 and "Other mentions by this author" in out and "factor" in out


def test_show_unknown_id(imported: pathlib.Path) -> None:
    code, _, err = sw("show", "no-such:id")
    assert code == 1 and err.startswith("Error:") and "no-such:id" in err


def test_score_plain_and_jsonl_and_explain(isolated_home: pathlib.Path) -> None:
    code, out, _ = sw("score", input="I love it\n" + json.dumps({"text": "WORST service ever!!! cancel my account"}) + "\n")
    assert code == 0
    scores = lines(out)
    assert scores[0]["angry"] is False and scores[1]["angry"] is True
    assert scores[1]["reasons"]
    code, out, _ = sw("score", "--explain", input="3 hours on hold, great job\n")
    assert "factor" in out and "waiting" in out


def test_score_reports_a_bad_json_line_and_goes_on(isolated_home: pathlib.Path) -> None:
    code, out, err = sw("score", input='{"text": \nfine text\n')
    assert code == 0 and "line 1" in err and len(lines(out)) == 1


def test_sources_lists_state(home: pathlib.Path) -> None:
    code, out, _ = sw("sources", "--json")
    rows = lines(out)
    assert rows[0]["name"] == "demo" and rows[0]["state"] == "never polled"


@pytest.mark.parametrize("backend", ["tinydb"], indirect=True)  # the files of the TinyDB store
def test_corrupt_store_is_refused_and_left_alone(imported: pathlib.Path) -> None:
    target = imported / "data" / "open.json"
    target.write_bytes(b'{"not": json')
    code, _, err = sw("triage", "--json")
    assert code == 1 and err.startswith("Error:") and "corrupt" in err
    code, _, err = sw("resolve", "file:a1")
    assert code == 1
    assert target.read_bytes() == b'{"not": json'


def test_traceback_flag_shows_the_traceback(isolated_home: pathlib.Path) -> None:
    code, _, err = sw("--traceback", "triage")
    assert code == 2 and "Traceback" in err and "Error:" in err


def test_version() -> None:
    code, out, _ = sw("--version")
    assert code == 0 and "socialwatch" in out


def test_environment_is_isolated(isolated_home: pathlib.Path) -> None:
    assert os.environ["SOCIALWATCH_HOME"] == str(isolated_home)


def test_the_example_config_is_valid_and_every_source_checks(monkeypatch) -> None:
    from socialwatch import config, poller
    from socialwatch.app import App
    from tests.conftest import ROOT

    example = ROOT / "config" / "socialwatch.example.toml"
    cfg = config.load(example)
    names = {ref for ref in _env_refs(cfg.data)}
    for name in names:
        monkeypatch.setenv(name, "dummy-value")
    monkeypatch.setenv("REDDIT_USERNAME", "northwind_help")
    app = App(example)
    for name in cfg.sources:
        poller.build_source(app, name).close()
    from socialwatch import outbox

    for name in cfg.responders:
        outbox.build_responder(app, name).close()


def _env_refs(value):
    from socialwatch.config import env_name

    if isinstance(value, dict):
        for v in value.values():
            yield from _env_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _env_refs(v)
    elif env_name(value):
        yield env_name(value)


def test_sources_test_runs_one_check(home: pathlib.Path) -> None:
    code, out, _ = sw("sources", "test", "demo")
    assert code == 0 and out.startswith("demo: demo source:")
    code, _, err = sw("sources", "test", "nope")
    assert code == 2 and "no source named 'nope'" in err


def test_a_big_import_is_prepared_in_parallel_and_keeps_line_numbers(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "big.jsonl"
    lines_ = [json.dumps({"id": f"file:b{i}", "text": f"text number {i}, awful service"}) for i in range(1, 4001)]
    lines_[3499] = '{"id": "file:broken", "text": '  # line 3500
    path.write_text("\n".join(lines_) + "\n")
    code, out, err = sw("import", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["new"] == 3999 and report["errors"] == ["big.jsonl:3500: not valid JSON (unexpected end of data)"]
    stored = {m["id"] for m in lines(sw("export", "--format", "jsonl")[1])}
    assert len(stored) == 3999 and "file:b3500" not in stored and all(m.startswith("file:b") for m in stored)


def test_a_big_import_keeps_exact_text_first_occurrences_and_threads(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # Big enough to be prepared by worker processes, which (for a database server) also encode
    # the rows: documents holding a NUL (kept as exact bytes beside the jsonb) must come through
    # as they are, a repeated id keeps its first line, and follow-ups join their threads.
    records = []
    for i in range(1, 3601):
        text = f"order {i} never arrived, awful"
        if i % 97 == 0:
            text = f"nul \x00 inside {i} \u2028 and an emoji \U0001f621"
        records.append({"id": f"file:n{i}", "text": text, "author": {"handle": f"cust{i % 40}"}})
    for i in range(1, 3601, 300):  # the same ids again, later in the file, with other text
        records.append({"id": f"file:n{i}", "text": "a later copy", "author": {"handle": "someone"}})
    for i in range(100, 3600, 250):  # the same customer writes again under their first message
        records.append({"id": f"file:r{i}", "text": f"still nothing about order {i}!!", "in_reply_to": f"file:n{i}",
                        "author": {"handle": f"cust{i % 40}"}})
    path = write_jsonl(tmp_path / "big.jsonl", records)
    code, out, err = sw("import", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    replies = len(range(100, 3600, 250))
    assert (report["new"], report["duplicates"], report["skipped"]) == (3600 + replies, 12, 0)
    exported = sw("export", "--format", "jsonl")[1]
    stored = {m["id"]: m for m in map(json.loads, exported.split("\n")[:-1])}  # (U+2028 is no line end here)
    assert len(stored) == 3600 + replies
    for i in range(97, 3601, 97):
        assert stored[f"file:n{i}"]["text"] == f"nul \x00 inside {i} \u2028 and an emoji \U0001f621"
    for i in range(1, 3601, 300):
        assert stored[f"file:n{i}"]["text"] == f"order {i} never arrived, awful"
    for i in range(100, 3600, 250):
        assert stored[f"file:r{i}"]["case_id"] == f"file:n{i}"
        assert stored[f"file:n{i}"]["followups"] == [f"file:r{i}"]


def test_a_big_twcs_import_links_answers_given_before_the_mention(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    # A brand answer earlier in the file than the tweet it answers (as in a file sorted oddly):
    # the mention is stored answered (first response, status pending), whichever process prepared it.
    rows = [",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"]
    n = 0
    for i in range(1, 1601):
        tweet, answer = 10_000 + i, 50_000 + i
        if i % 2:
            rows.append(f"{n},{answer},northwind,False,Tue Oct 31 23:00:00 +0000 2017,@c{i} so sorry - DM us,,{tweet}.0")
            n += 1
        rows.append(f"{n},{tweet},c{i},True,Tue Oct 31 22:00:00 +0000 2017,@northwind my router is broken again,"
                    f"{answer if i % 2 else ''},")
        n += 1
    path = tmp_path / "twcs.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = sw("import", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["new"], report["responses"]) == (1600, 800)
    stored = {m["id"]: m for m in lines(sw("export", "--format", "jsonl")[1])}
    answered = {mid for mid, m in stored.items() if m["first_response_at"]}
    assert answered == {f"twitter:{10_000 + i}" for i in range(1, 1601, 2)}
    assert all(stored[mid]["first_response_at"] == "2017-10-31T23:00:00Z" and stored[mid]["status"] == "pending"
               for mid in answered)
    assert all(m["status"] == "new" for mid, m in stored.items() if mid not in answered)
