"""`snooze` and `undo`: the plain commands behind the inbox's keys, on both store backends."""

from __future__ import annotations

import json
import pathlib

from tests.test_cli import lines, sw, write_jsonl


def _queue() -> list[str]:
    return [m["id"] for m in lines(sw("triage", "--json")[1])]


def _setup(home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> None:
    from tests.conftest import use_backend

    assert sw("init")[0] == 0
    use_backend(home, backend)
    records = [{"id": "file:a", "text": "no signal since Monday!!! furious", "author": {"handle": "ann"}},
               {"id": "file:b", "text": "how do I change my plan?", "author": {"handle": "bob"}}]
    assert sw("import", str(write_jsonl(tmp_path / "q.jsonl", records)))[0] == 0


def test_snooze_leaves_the_queue_until_due_and_claim_skips_it(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                               backend: str, monkeypatch) -> None:
    from datetime import timedelta

    from socialwatch import model

    _setup(isolated_home, tmp_path, backend)
    code, out, err = sw("snooze", "file:a", "--for", "2h")
    assert code == 0, err
    assert "snoozed until" in out
    assert _queue() == ["file:b"]
    code, out, _ = sw("--as", "tom", "claim", "--json")
    assert code == 0 and json.loads(out)["id"] == "file:b"  # never the snoozed one
    assert sw("--as", "sam", "claim")[0] == 1  # nothing else to claim
    real = model.utcnow
    monkeypatch.setattr(model, "utcnow", lambda: real() + timedelta(hours=2, minutes=1))
    assert _queue() == ["file:a", "file:b"]  # due: back in its place by priority
    monkeypatch.setattr(model, "utcnow", real)
    assert sw("snooze", "file:a", "--clear")[0] == 0
    assert _queue() == ["file:a", "file:b"]


def test_snooze_refuses_bad_input(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    _setup(isolated_home, tmp_path, "tinydb")
    assert sw("snooze", "file:a")[0] == 2
    assert sw("snooze", "file:a", "--for", "2h", "--clear")[0] == 2
    code, _, err = sw("snooze", "file:a", "--until", "2001-01-01T00:00:00Z")
    assert code == 2 and "future" in err
    assert sw("snooze", "file:a", "--for", "soon")[0] == 2
    assert sw("resolve", "file:b")[0] == 0
    code, _, err = sw("snooze", "file:b", "--for", "1h")
    assert code == 2 and "only open mentions" in err
    assert _queue() == ["file:a"]


def test_undo_reverts_your_last_change_unless_someone_changed_it_since(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                      backend: str) -> None:
    _setup(isolated_home, tmp_path, backend)
    assert sw("--as", "priya", "tag", "file:a", "vip")[0] == 0
    assert sw("--as", "priya", "resolve", "file:a")[0] == 0
    code, out, err = sw("--as", "priya", "undo", "file:a")
    assert code == 0, err
    assert "undid resolve" in out
    m = json.loads(sw("show", "file:a", "--json")[1])
    assert m["status"] != "resolved" and "vip" in m["tags"]
    code, _, err = sw("--as", "priya", "undo", "file:a")  # the last thing priya did there was an undo
    assert code == 1 and "nothing of yours to undo" in err
    assert sw("--as", "priya", "assign", "file:b", "--to", "priya")[0] == 0
    assert sw("--as", "tom", "assign", "file:b", "--to", "tom")[0] == 0  # tom changed it since
    code, _, err = sw("--as", "priya", "undo", "file:b")
    assert code == 1 and "changed since" in err
    assert json.loads(sw("show", "file:b", "--json")[1])["assignee"] == "tom"
    actions = [e["action"] for e in lines(sw("history", "file:a", "--json")[1])]
    assert actions[-1] == "undo"


def test_undo_of_a_case_puts_its_follow_ups_back_too(isolated_home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> None:
    _setup(isolated_home, tmp_path, backend)
    follow = [{"id": "file:a2", "text": "still nothing!!!", "author": {"handle": "ann"}, "in_reply_to": "file:a"}]
    assert sw("import", str(write_jsonl(tmp_path / "f.jsonl", follow)))[0] == 0
    assert json.loads(sw("show", "file:a2", "--json")[1]).get("case_id") == "file:a"
    assert sw("--as", "priya", "resolve", "file:a")[0] == 0
    assert json.loads(sw("show", "file:a2", "--json")[1])["status"] == "resolved"
    assert sw("--as", "priya", "undo", "file:a")[0] == 0
    assert json.loads(sw("show", "file:a", "--json")[1])["status"] != "resolved"
    assert json.loads(sw("show", "file:a2", "--json")[1])["status"] != "resolved"
