"""Replies: exactly once through the outbox, templates, drafts, limits, reconcile, audit."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from socialwatch import outbox, templates, textlimits
from socialwatch.app import App
from socialwatch.errors import Conflict, UsageError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, SendResult
from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl

RECORDS = [
    {"id": "twitter:100", "text": "@Northwind my bill is wrong AGAIN", "author": {"handle": "ann", "name": "Ann {agent} @evil"},
     "tags": ["billing"]},
    {"id": "twitter:101", "text": "where is my order", "author": {"handle": "bob"}, "kind": "dm"},
    {"id": "reddit:t1_x", "text": "northwind support is slow", "author": {"handle": "cy"}},
]


@pytest.fixture
def home(isolated_home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> pathlib.Path:
    """An initialised home with three mentions, once per store backend."""
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    code, _, err = sw("import", str(write_jsonl(tmp_path / "in.jsonl", RECORDS)))
    assert code == 0, err
    return isolated_home


def outbox_lines(home: pathlib.Path) -> list[dict]:
    path = home / "outbox" / "replies.jsonl"
    return lines(path.read_text()) if path.exists() else []


def test_reply_goes_to_the_outbox_once_and_updates_the_mention(home: pathlib.Path) -> None:
    code, out, err = sw("--as", "priya", "reply", "twitter:100", "--text", "Sorry about that, looking now", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["state"] == "sent" and record["agent"] == "priya" and record["visibility"] == "public"
    assert [r["text"] for r in outbox_lines(home)] == ["Sorry about that, looking now"]
    m = json.loads(sw("show", "twitter:100", "--json")[1])
    assert m["status"] == "pending" and m["first_response_at"] and m["replied_by"] == "priya"
    code, _, err = sw("--as", "tom", "reply", "twitter:100", "--text", "another")
    assert code == 1 and "priya already replied" in err and "--again" in err
    code, _, err = sw("--as", "tom", "reply", "twitter:100", "--text", "another", "--again", "--resolve")
    assert code == 0, err
    assert len(outbox_lines(home)) == 2
    m = json.loads(sw("show", "twitter:100", "--json")[1])
    assert m["status"] == "resolved" and len(m["replies"]) == 2


def test_dm_defaults_to_private(home: pathlib.Path) -> None:
    code, out, _ = sw("reply", "twitter:101", "--text", "Hi Bob, checking your order", "--json")
    assert json.loads(out)["visibility"] == "private"
    assert outbox_lines(home)[0]["visibility"] == "private"


def test_length_limit_says_by_how_much(home: pathlib.Path) -> None:
    code, _, err = sw("reply", "twitter:100", "--text", "x" * 290)
    assert code == 2 and "10 weighted characters over" in err
    assert outbox_lines(home) == []
    m = json.loads(sw("show", "twitter:100", "--json")[1])
    assert m["first_response_at"] is None


def test_x_weighting_counts_urls_as_23_and_wide_chars_as_2() -> None:
    assert textlimits.x_weighted_length("see https://example.com/very/long/path " + "a" * 200) == 4 + 23 + 1 + 200
    assert textlimits.x_weighted_length("日本") == 4
    assert textlimits.check("reddit", "x" * 10_001) == "the reply is 1 characters over the reddit limit (10001/10000)"
    assert textlimits.check("twitter", "ok") is None


def test_templates_list_fill_and_missing_placeholder(home: pathlib.Path) -> None:
    code, out, _ = sw("templates", "--json")
    names = [t["name"] for t in lines(out)]
    assert "apology-delay" in names
    code, out, _ = sw("templates", "--for", "twitter:100", "--json")
    assert "billing-dm" in [t["name"] for t in lines(out)] and "thanks" not in [t["name"] for t in lines(out)]
    tpl_file = home / "templates.toml"
    tpl_file.write_text(tpl_file.read_text() + '\n[templates.order]\ntext = "Hi {author}, order {order} ({case})"\n')
    code, _, err = sw("reply", "twitter:100", "--template", "order")
    assert code == 2 and "{order}" in err and "--var" in err
    assert outbox_lines(home) == []
    code, out, err = sw("reply", "twitter:100", "--template", "order", "--var", "order=A-1", "--json")
    assert code == 0, err
    text = json.loads(out)["text"]
    assert text.startswith("Hi @ann, order A-1 (CASE-")


def test_placeholder_values_cannot_inject(home: pathlib.Path) -> None:
    app = App()
    m = app.store.get("twitter:100")
    tpl = templates.Template(name="t", text="Hi {name}, {agent} here")
    filled = templates.fill(tpl, templates.values_for(m, "priya", {"name": "NW"}))
    assert filled == "Hi Ann (agent) evil, priya here"


def test_draft_with_editor_then_reply_sends_the_draft(home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "Drafted reply from the editor\\n" > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setenv("VISUAL", str(editor))
    code, _, err = sw("--as", "aisha", "draft", "twitter:100")
    assert code == 0, err
    m = json.loads(sw("show", "twitter:100", "--json")[1])
    assert m["draft"]["text"] == "Drafted reply from the editor" and m["draft"]["agent"] == "aisha"
    code, _, err = sw("reply", "twitter:100")
    assert code == 0, err
    assert outbox_lines(home)[0]["text"] == "Drafted reply from the editor"
    assert json.loads(sw("show", "twitter:100", "--json")[1])["draft"] is None


def test_reply_without_draft_or_text_is_a_usage_error(home: pathlib.Path) -> None:
    code, _, err = sw("reply", "twitter:100")
    assert code == 2 and "no saved draft" in err


def test_history_shows_the_audit_trail(home: pathlib.Path) -> None:
    sw("--as", "tom", "tag", "twitter:100", "vip")
    sw("--as", "tom", "reply", "twitter:100", "--text", "hello")
    code, out, _ = sw("history", "twitter:100", "--json")
    actions = [e["action"] for e in lines(out)]
    assert actions == ["tag", "reply-sending", "reply-sent", "replied"]
    assert all(e["agent"] == "tom" for e in lines(out))
    assert lines(out)[0]["after"] == {"tags": ["billing", "vip"]}


# ---- failures, unknown outcomes, reconcile ---------------------------------------------------------
class Flaky(Responder):
    """A responder that fails in a chosen way, for the outbox's state machine."""

    mode = "ok"
    posted: list[str] = []

    def post_public(self, mention: dict, text: str, key: str) -> SendResult:
        if Flaky.mode == "fail":
            raise ReplyFailed("rate limited (429)")
        Flaky.posted.append(key)
        if Flaky.mode == "unknown":
            raise OutcomeUnknown("timed out after sending")
        if Flaky.mode == "unconfirmed":
            return SendResult(confirmed=False)
        return SendResult(reply_id="p1", url="https://x.com/i/web/status/1")

    post_private = post_public

    def find_reply(self, mention: dict, record: dict) -> SendResult | None:
        return SendResult(reply_id="found") if record["idempotency_key"] in Flaky.posted else None


@pytest.fixture
def flaky(home: pathlib.Path, monkeypatch) -> App:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[responders.flaky]\ntype = "flaky"\nplatforms = ["twitter"]\n')
    from socialwatch import responders

    monkeypatch.setitem(responders.BUILTIN, "flaky", "tests.test_replies:Flaky")
    Flaky.mode = "ok"
    Flaky.posted = []
    return App()


def test_failed_reply_keeps_the_draft_and_can_be_retried(flaky: App) -> None:
    Flaky.mode = "fail"
    with pytest.raises(ReplyFailed):
        outbox.send(flaky, "twitter:100", "we are on it")
    [record] = outbox.records(flaky)
    assert record["state"] == "failed" and "429" in record["error"]
    assert flaky.store.get("twitter:100")["first_response_at"] is None
    Flaky.mode = "ok"
    result = outbox.retry(flaky, record["id"])
    assert result.record["state"] == "sent" and result.record["attempts"] == 2
    assert len(Flaky.posted) == 1


def test_unknown_outcome_is_never_retried_and_reconcile_settles_it(flaky: App) -> None:
    Flaky.mode = "unknown"
    with pytest.raises(Exception, match="reconcile"):
        outbox.send(flaky, "twitter:100", "we are on it")
    [record] = outbox.records(flaky)
    assert record["state"] == "unknown"
    with pytest.raises(Conflict, match="already replying"):
        outbox.send(flaky, "twitter:100", "second try")
    with pytest.raises(Conflict):
        outbox.retry(flaky, record["id"])
    results = outbox.reconcile(flaky)
    assert [r for _, r in results] == ["sent"]
    assert flaky.store.get("twitter:100")["first_response_at"]
    assert len(Flaky.posted) == 1


def test_reconcile_marks_an_attempt_that_never_arrived_as_failed(flaky: App) -> None:
    Flaky.mode = "unconfirmed"
    outbox.send(flaky, "twitter:100", "we are on it")
    Flaky.posted.clear()  # the platform has no such reply
    assert [r for _, r in outbox.reconcile(flaky)] == ["failed"]
    assert outbox.records(flaky)[0]["state"] == "failed"


def test_crash_between_call_and_update_leaves_sending_for_reconcile(flaky: App, monkeypatch) -> None:
    """The process dies after the platform call, before the outcome is stored."""

    def die(*args, **kwargs):
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after the call runs

    settle = outbox._settle
    monkeypatch.setattr(outbox, "_settle", die)
    with pytest.raises(KeyboardInterrupt):
        outbox.send(flaky, "twitter:100", "we are on it")
    monkeypatch.setattr(outbox, "_settle", settle)
    [record] = outbox.records(flaky)
    assert record["state"] == "sending"
    code, _, err = sw("reply", "twitter:100", "--text", "again?")
    assert code == 1 and "already replying" in err
    assert [r for _, r in outbox.reconcile(flaky)] == ["sent"]
    assert len(Flaky.posted) == 1


def test_two_processes_replying_at_once_post_once(home: pathlib.Path) -> None:
    env = {**os.environ}
    cmd = [sys.executable, "-m", "socialwatch", "reply", "twitter:100", "--text", "One reply only"]
    for _ in range(3):
        procs = [subprocess.Popen(cmd[:3] + ["--as", f"agent{n}"] + cmd[3:], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for n in range(2)]
        codes = [p.wait(timeout=60) for p in procs]
        assert sorted(codes)[0] == 0 or codes == [1, 1]
    assert len(outbox_lines(home)) == 1
    loser = [p.stderr.read() for p in procs]
    assert any("already replied" in e or "already replying" in e for e in loser)


def test_usage_errors() -> None:
    with pytest.raises(UsageError):
        templates.fill(templates.Template(name="x", text="{nope}"), {})


def test_a_responder_config_problem_leaves_no_record_behind(home: pathlib.Path, monkeypatch) -> None:
    monkeypatch.delenv("SW_UNSET_PATH", raising=False)
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('path = "outbox/replies.jsonl"', 'path = "$SW_UNSET_PATH"'))
    code, _, err = sw("reply", "twitter:100", "--text", "hello")
    assert code == 2 and "SW_UNSET_PATH" in err
    assert outbox.records(App()) == []
