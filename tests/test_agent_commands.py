"""What a care agent meets at the command line (issue #16): the channel of a reply to a DM,
templates, drafts, a readable history, native ids, customers and output that pipes whole."""

from __future__ import annotations

import json
import os
import pathlib
import pty
import subprocess
import sys

import pytest

from socialwatch import outbox, templates
from socialwatch.app import App
from socialwatch.errors import UsageError
from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl

RECORDS = [
    {"id": "twitter:1991411189945586210", "text": "@Northwind my bill is wrong AGAIN", "author": {"handle": "Ann_W"}},
    {"id": "twitter:101", "text": "where is my order", "author": {"handle": "bob"}, "kind": "dm"},
    {"id": "mastodon:777", "text": "northwind support is slow", "author": {"handle": "sian@toot.wales"}},
    {"id": "file:777", "text": "an old letter", "author": {"handle": "cy"}},
    {"id": "reddit:t1_abc", "text": "northwind outage again?", "author": {"handle": "redditor_9"}},
]


@pytest.fixture
def home(isolated_home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> pathlib.Path:
    """An initialised home with the mentions above, once per store backend."""
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    code, _, err = sw("import", str(write_jsonl(tmp_path / "in.jsonl", RECORDS)))
    assert code == 0, err
    return isolated_home


def sent(home: pathlib.Path) -> list[dict]:
    path = home / "outbox" / "replies.jsonl"
    return lines(path.read_text()) if path.exists() else []


# ---- item 1: a reply to a direct message is private ---------------------------------------------
def test_a_public_template_on_a_dm_is_sent_privately_and_says_so(home: pathlib.Path) -> None:
    code, out, err = sw("--as", "sam", "reply", "twitter:101", "--template", "apology-delay", "-y")
    assert code == 0, err
    assert "Sent private reply" in out and "public" not in out
    assert "apology-delay is written for a public reply; sending it privately" in err and "direct message" in err
    [record] = sent(home)
    assert record["visibility"] == "private" and record["text"].startswith("Hi @bob, ")  # {author} keeps its @
    assert json.loads(sw("outbox", "--all", "--json")[1])["visibility"] == "private"


def test_a_public_reply_to_a_dm_needs_an_explicit_public_and_a_confirmation(home: pathlib.Path) -> None:
    code, _, err = sw("--as", "sam", "reply", "twitter:101", "--text", "Hi Bob", "--public")
    assert code == 2 and "direct message" in err and "--yes" in err  # no terminal to confirm on
    assert sent(home) == []
    code, out, err = sw("--as", "sam", "reply", "twitter:101", "--text", "Hi Bob", "--public", "-y")
    assert code == 0, err
    assert "Sent public reply" in out and [r["visibility"] for r in sent(home)] == ["public"]


def test_the_library_refuses_an_unconfirmed_public_reply_to_a_dm(home: pathlib.Path) -> None:
    app = App(agent="sam")
    with pytest.raises(UsageError, match="direct message"):
        outbox.send(app, "twitter:101", "Hi Bob", visibility="public")
    assert sent(home) == [] and app.store.replies() == []
    result = outbox.send(app, "twitter:101", "Hi Bob", suggested="public")  # a template's word is no request
    assert result.record["visibility"] == "private"
    dm = app.store.get("twitter:101")
    assert outbox.choose_visibility(dm, None, "public").note
    assert outbox.choose_visibility(dm, "public").public_dm
    public = app.store.get("twitter:1991411189945586210")
    assert outbox.choose_visibility(public).value == "public"
    assert outbox.choose_visibility(public, None, "private").value == "private"  # a DM template moves it to DM, and says so
    assert outbox.choose_visibility(public, None, "private").note


@pytest.mark.parametrize("backend", ["tinydb"], indirect=True)
def test_a_public_reply_to_a_dm_is_confirmed_on_a_terminal(home: pathlib.Path) -> None:
    from tests.test_triage_tty import Screen, _controlling_tty

    def run(answer: bytes) -> tuple[int, bytes]:
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "socialwatch", "--as", "sam", "reply", "twitter:101", "--text",
                                 "Hi Bob", "--public"], stdin=follower, stdout=follower, stderr=follower,
                                env={**os.environ, "COLUMNS": "120"}, close_fds=True, preexec_fn=_controlling_tty)
        os.close(follower)
        screen = Screen(leader)
        try:
            shown = screen.wait_for(b"Reply in public anyway? [y/N]")
            os.write(leader, answer)
            proc.wait(timeout=30)
            screen.wait_for(b"\n")
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(leader)
        return proc.returncode, shown

    code, shown = run(b"\n")  # the default is no
    assert code == 1 and b"DIRECT MESSAGE" in shown and sent(home) == []
    code, _ = run(b"y\n")
    assert code == 0 and [r["visibility"] for r in sent(home)] == ["public"]


def test_templates_for_a_dm_are_the_private_ones(home: pathlib.Path) -> None:
    code, out, _ = sw("templates", "--for", "twitter:101", "--json")
    offered = lines(out)
    assert offered and {t["visibility"] for t in offered} == {"private"}
    assert "apology-delay" not in [t["name"] for t in offered]


def test_author_is_written_the_way_each_platform_mentions_people() -> None:
    assert templates.mention_form("twitter", "ann") == "@ann"
    assert templates.mention_form("bluesky", "ann.bsky.social") == "@ann.bsky.social"
    assert templates.mention_form("mastodon", "sian@toot.wales") == "@sian@toot.wales"
    assert templates.mention_form("reddit", "redditor_9") == "u/redditor_9"
    assert templates.mention_form("twitter", "ev@il") == "@evil"  # no second account slipped in
    assert templates.mention_form("twitter", None) == "there"
    dm = {"id": "twitter:1", "platform": "twitter", "kind": "dm", "author": {"handle": "bob"}}
    assert templates.values_for(dm, "sam", {})["author"] == "@bob"  # in a DM too


def test_a_draft_from_a_public_template_on_a_dm_is_private_even_unchanged(home: pathlib.Path, tmp_path: pathlib.Path,
                                                                          monkeypatch) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nexit 0\n")  # accepts the template as it is
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.setenv("VISUAL", str(editor))
    code, _, err = sw("--as", "sam", "draft", "twitter:101", "--template", "apology-delay")
    assert code == 0, err
    draft = json.loads(sw("show", "twitter:101", "--json")[1])["draft"]
    assert draft["visibility"] == "private" and draft["text"].startswith("Hi @bob, I'm really sorry")
    code, out, err = sw("--as", "sam", "reply", "twitter:101", "-y")
    assert code == 0 and "Sent private reply" in out, err


# ---- item 10: a readable history ------------------------------------------------------------------
def test_history_is_one_readable_line_per_event(home: pathlib.Path) -> None:
    mid = "twitter:1991411189945586210"
    note = "Called her back twice; she wants a refund of the March bill and a written apology from billing"
    reply = "Sorry Ann, I have refunded the March bill and asked billing to write to you today. Sam"
    assert sw("--as", "sam", "tag", mid, "vip")[0] == 0
    assert sw("--as", "sam", "note", mid, note)[0] == 0
    assert sw("--as", "sam", "reply", mid, "--text", reply, "-y")[0] == 0
    assert sw("--as", "tom", "resolve", mid)[0] == 0
    code, out, err = sw("history", mid)
    assert code == 0, err
    rows = out.splitlines()
    assert len(rows) == 6 and all(r[:4].isdigit() and " UTC  " in r for r in rows)
    assert "sam  tagged vip" in rows[0]
    assert f"sam  added a note: “{note}”" in rows[1]
    assert "started a public reply r" in rows[2] and f": “{reply}”" in rows[2]
    assert "reply r" in rows[3] and "sent" in rows[3]
    assert "replied (public, r" in rows[4] and "status new → pending" in rows[4]
    assert rows[5].endswith("tom  resolved it (status pending → resolved)")
    assert "{'" not in out and "[{" not in out and "'at'" not in out
    code, out, _ = sw("history", mid, "--json")
    assert [e["action"] for e in lines(out)] == ["tag", "note", "reply-sending", "reply-sent", "replied", "resolve"]


# ---- item 13: the smaller things ---------------------------------------------------------------------
def test_triage_list_json_prints_json_lines(home: pathlib.Path) -> None:
    code, out, _ = sw("triage", "--list", "--json")
    assert code == 0 and {m["id"] for m in lines(out)} >= {"twitter:101", "mastodon:777"}


def test_one_mention_is_one_mention(home: pathlib.Path) -> None:
    code, _, err = sw("resolve", "--where", "--match", "outage again")
    assert code == 2 and "1 mention matches: add --yes to resolve it" in err and "mentions match" not in err


def test_piped_tables_are_never_cut(home: pathlib.Path, monkeypatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    long_reply = "We are sorry about the outage. " * 8
    assert sw("--as", "sam", "reply", "twitter:1991411189945586210", "--text", long_reply.strip(), "-y")[0] == 0
    code, out, _ = sw("outbox", "--all")
    record = lines(sw("outbox", "--all", "--json")[1])[0]
    assert code == 0 and record["id"] in out and record["updated_at"] in out and long_reply.strip() in out
    assert "…" not in out
    config = home / "socialwatch.toml"
    missing = tmp_path / ("a-rather-long-directory-name-for-a-feed" * 2) / "mentions.jsonl"
    config.write_text(config.read_text() + f'\n[sources.feed]\ntype = "file"\npath = "{missing}"\n')
    sw("poll", "--source", "feed")
    error = next(r for r in lines(sw("sources", "--json")[1]) if r["name"] == "feed")["last_error"]
    code, out, _ = sw("sources")
    assert error and error in out and "…" not in out


def test_customer_ignores_case_and_at_and_shows_status_and_assignee(home: pathlib.Path) -> None:
    mid = "twitter:1991411189945586210"
    assert sw("--as", "sam", "assign", mid)[0] == 0
    for typed in ("ann_w", "@ANN_W", "Ann_W", "u/ann_w"):
        code, out, err = sw("customer", typed)
        assert code == 0 and mid in out, (typed, err)
        assert "status" in out.splitlines()[0] and "assignee" in out.splitlines()[0]
        assert "open" in out and "sam" in out
    code, out, err = sw("customer", "sian")  # a Mastodon handle by its first part
    assert code == 0 and "mastodon:777" in out and "@sian@toot.wales" in err
    assert [m["id"] for m in lines(sw("customer", "@Sian@Toot.Wales", "--json")[1])] == ["mastodon:777"]
    code, _, err = sw("customer", "nobody")
    assert code == 0 and "No mentions by @nobody" in err


def test_a_native_id_alone_works_everywhere_when_it_is_unambiguous(home: pathlib.Path) -> None:
    native, full = "1991411189945586210", "twitter:1991411189945586210"
    code, out, err = sw("show", native, "--json")
    assert code == 0 and json.loads(out)["id"] == full, err
    for args in (("tag", native, "vip"), ("note", native, "checked"), ("assign", native), ("priority", native, "70"),
                 ("--as", "sam", "reply", native, "--text", "On it", "-y"), ("history", native)):
        code, out, err = sw(*args)
        assert code == 0, (args, err)
        assert full in out + err, args  # each command names the mention by its full id
    code, out, _ = sw("history", native)
    assert "tagged vip" in out and "added a note" in out
    assert sw("resolve", native)[0] == 0
    code, out, _ = sw("show", native, "--json")  # archived now: still found
    assert code == 0 and json.loads(out)["status"] == "resolved"
    assert sw("reopen", native)[0] == 0
    code, out, err = sw("templates", "--for", "101", "--json")
    assert code == 0 and {t["visibility"] for t in lines(out)} == {"private"}, err
    code, _, err = sw("show", "777")
    assert code == 2 and "file:777" in err and "mastodon:777" in err and "full id" in err
    code, _, err = sw("tag", "777", "x")
    assert code == 2 and "several mentions" in err
    code, _, err = sw("show", "424242")
    assert code == 1 and "424242" in err
    code, _, err = sw("resolve", "t1_abc", "101")
    assert code == 0, err
    assert {json.loads(sw("show", i, "--json")[1])["status"] for i in ("reddit:t1_abc", "twitter:101")} == {"resolved"}


def test_show_says_who_else_is_viewing_the_mention(home: pathlib.Path) -> None:
    from socialwatch import presence

    store = App().store
    presence.mark_viewing(store, "tom", "twitter:101")
    code, out, err = sw("--as", "sam", "show", "twitter:101")
    assert code == 0 and "Heads up: tom is viewing it (for " in err and "Heads up" not in out
    assert "Heads up" not in sw("--as", "tom", "show", "twitter:101")[2]  # not about yourself
    presence.clear(store, "tom")
    assert "Heads up" not in sw("--as", "sam", "show", "twitter:101")[2]
    store.close()
