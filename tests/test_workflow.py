"""Team workflow: claim without collisions, assignment, bulk cleanup, overrides, customers, export."""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl


def records(n: int, prefix: str = "q", **extra: object) -> list[dict]:
    return [{"id": f"file:{prefix}{i}", "text": f"problem number {i} with my bill", "author": {"handle": f"cust{i}"},
             **extra} for i in range(n)]


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    """An initialised home, once per store backend (TinyDB files, PostgreSQL)."""
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    return isolated_home


def load(tmp_path: pathlib.Path, recs: list[dict]) -> None:
    code, _, err = sw("import", str(write_jsonl(tmp_path / "recs.jsonl", recs)))
    assert code == 0, err


def test_claim_takes_the_highest_priority_unassigned(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [{"id": "file:calm", "text": "hello there"},
                    {"id": "file:angry", "text": "WORST service EVER!!! cancel my account, useless"}])
    code, out, _ = sw("--as", "priya", "claim", "--json")
    m = json.loads(out)
    assert code == 0 and m["id"] == "file:angry" and m["assignee"] == "priya" and m["status"] == "open"
    assert json.loads(sw("--as", "tom", "claim", "--json")[1])["id"] == "file:calm"
    code, _, err = sw("claim")
    assert code == 1 and "Nothing to claim" in err


def test_concurrent_claims_never_hand_out_one_mention_twice(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, records(24))
    script = ("import subprocess, sys\n"
              "for _ in range(8):\n"
              "    p = subprocess.run([sys.executable, '-m', 'socialwatch', '--as', sys.argv[1], 'claim', '--json'],"
              " capture_output=True, text=True)\n"
              "    print(p.stdout.strip() if p.returncode == 0 else 'NONE', flush=True)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, f"agent{n}"], stdout=subprocess.PIPE, text=True, env=os.environ)
             for n in range(4)]
    claimed = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        claimed += [json.loads(line)["id"] for line in out.splitlines() if line.startswith("{")]
    assert len(claimed) == 24 and len(set(claimed)) == 24


def test_assign_unassign_and_filters(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, records(3))
    assert sw("assign", "file:q0", "--to", "aisha")[0] == 0
    assert [m["id"] for m in lines(sw("triage", "--json", "--assignee", "aisha")[1])] == ["file:q0"]
    assert len(lines(sw("triage", "--json", "--assignee", "none")[1])) == 2
    assert sw("unassign", "file:q0")[0] == 0
    assert lines(sw("triage", "--json", "--assignee", "aisha")[1]) == []


def test_resolve_ignore_reopen(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, records(3))
    assert sw("resolve", "file:q0", "file:q1")[0] == 0
    assert sw("ignore", "file:q2")[0] == 0
    assert lines(sw("triage", "--json")[1]) == []
    m = json.loads(sw("show", "file:q0", "--json")[1])
    assert m["status"] == "resolved" and m["resolved_at"]
    assert sw("reopen", "file:q0")[0] == 0
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["file:q0"]
    assert json.loads(sw("show", "file:q0", "--json")[1])["resolved_at"] is None


def test_bulk_resolve_where_asks_unless_yes(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, records(5) + [{"id": "file:other", "text": "something else entirely"}])
    code, _, err = sw("resolve", "--where", "--match", "problem number")
    assert code == 2 and "--yes" in err
    code, out, _ = sw("resolve", "--where", "--match", "problem number", "--yes")
    assert code == 0 and out.count("resolved") == 5
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["file:other"]
    code, _, err = sw("resolve", "file:other", "--where")
    assert code == 2


def test_tags_notes_priority_sentiment_escalate_are_audited(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, records(1))
    sw("--as", "tom", "tag", "file:q0", "vip", "billing")
    sw("--as", "tom", "untag", "file:q0", "billing")
    sw("--as", "tom", "note", "file:q0", "called back, waiting on finance")
    sw("--as", "tom", "priority", "file:q0", "95")
    sw("--as", "tom", "sentiment", "file:q0", "negative")
    sw("--as", "tom", "escalate", "file:q0", "--to", "finance", "--reason", "refund over limit")
    m = json.loads(sw("show", "file:q0", "--json")[1])
    assert "vip" in m["tags"] and "billing" not in m["tags"]
    assert m["notes"][0]["text"] == "called back, waiting on finance" and m["notes"][0]["agent"] == "tom"
    assert m["priority"] == 95 and m["priority_override"] == 95 and m["score"]["priority"] < 95
    assert m["sentiment_override"] == "negative"
    assert m["team"] == "finance" and m["escalations"][0]["reason"] == "refund over limit"
    actions = [e["action"] for e in lines(sw("history", "file:q0", "--json")[1])]
    assert actions == ["tag", "untag", "note", "priority", "sentiment", "escalate"]
    sw("priority", "file:q0", "auto")
    m = json.loads(sw("show", "file:q0", "--json")[1])
    assert m["priority_override"] is None and m["priority"] == m["score"]["priority"]
    assert sw("priority", "file:q0", "101")[0] == 2


def test_customer_history_across_sources(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [{"id": "twitter:1", "text": "a", "author": {"handle": "Kim"}},
                    {"id": "reddit:t1_b", "text": "b", "author": {"handle": "kim"}, "status": "resolved"},
                    {"id": "twitter:2", "text": "c", "author": {"handle": "lee"}}])
    code, out, _ = sw("customer", "@kim", "--json")
    assert sorted(m["id"] for m in lines(out)) == ["reddit:t1_b", "twitter:1"]


def test_export_csv_is_safe_and_round_trips(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    texts = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
             'Refund me, "now", please\nsecond line', "Great 😀👍🏽", "الخدمة سيئة جدا"]
    load(tmp_path, [{"id": f"file:x{i}", "text": t} for i, t in enumerate(texts)])
    out = tmp_path / "out.csv"
    code, _, err = sw("export", "-o", str(out), "--bom")
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    by_id = {r["id"]: r for r in rows}
    for i, t in enumerate(texts):
        cell = by_id[f"file:x{i}"]["text"]
        if t.startswith(("=", "+", "-", "@", "\t", "\r")):
            assert cell == "'" + t
        else:
            assert cell == t
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            if value.startswith("-"):
                float(value)  # only plain numbers may start with a minus


def test_export_filters_columns_and_jsonl(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, records(3) + [{"id": "file:done", "text": "thanks, all good", "status": "resolved"}])
    code, out, _ = sw("export", "--format", "jsonl")
    assert sorted(m["id"] for m in lines(out)) == ["file:done", "file:q0", "file:q1", "file:q2"]
    code, out, _ = sw("export", "--status", "resolved", "--columns", "id,status")
    assert out.splitlines() == ["\ufeffid,status", "file:done,resolved"]  # --for excel (the default) starts with a BOM
    code, out, _ = sw("export", "--status", "resolved", "--columns", "id,status", "--for", "analysis")
    assert out.splitlines() == ["id,status", "file:done,resolved"]
    code, _, err = sw("export", "--columns", "id,nope")
    assert code == 2 and "nope" in err
    code, out, _ = sw("export", "--since", "1h", "--format", "jsonl")
    assert len(lines(out)) == 4
    code, out, _ = sw("export", "--until", "1h", "--format", "jsonl")
    assert lines(out) == []


def test_a_customer_follow_up_joins_its_case_and_reopens_it(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [{"id": "twitter:1", "text": "my router is dead", "author": {"handle": "kim"}}])
    assert sw("reply", "twitter:1", "--text", "Sorry Kim, DM us?")[0] == 0
    assert sw("resolve", "twitter:1")[0] == 0
    code, _, err = sw("import", str(write_jsonl(tmp_path / "f.jsonl", [
        {"id": "twitter:2", "text": "still dead!!", "author": {"handle": "kim"}, "in_reply_to": "twitter:1"},
        {"id": "twitter:3", "text": "me too", "author": {"handle": "lee"}, "in_reply_to": "twitter:1"}])))
    assert code == 0, err
    queue = {m["id"]: m for m in lines(sw("triage", "--json")[1])}
    assert set(queue) == {"twitter:1", "twitter:3"}  # kim's follow-up joined her case; lee is someone else
    case = queue["twitter:1"]
    assert case["status"] == "open" and case["followups"] == ["twitter:2"] and case["reopened"] == 1
    shown = json.loads(sw("show", "twitter:1", "--json")[1])
    assert [t["id"] for t in shown["thread"]] == ["twitter:2"]
    assert sw("resolve", "twitter:1")[0] == 0
    assert json.loads(sw("show", "twitter:2", "--json")[1])["status"] == "resolved"


def test_the_fast_export_row_matches_the_documented_columns(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from socialwatch import export
    from socialwatch.app import App

    load(tmp_path, records(3, tags=["a", "b"]) + [{"id": "file:z", "text": "=1", "status": "resolved"}])
    sw("priority", "file:q1", "90")
    sw("sentiment", "file:q2", "positive")
    for m in App().store.iter_all():
        assert export._full_row(m) == [getter(m) for getter, _ in export.COLUMNS.values()]


def test_resolving_several_ids_with_one_unknown_changes_nothing(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, records(2))
    code, _, err = sw("resolve", "file:q0", "file:nope", "file:q1")
    assert code == 1 and "file:nope" in err
    assert len(lines(sw("triage", "--json")[1])) == 2
