"""The triage inbox on a real pseudo-terminal: the Textual app as an agent runs it (keys act on
the store, presence marks for the team, $EDITOR in the composer, hostile text kept inert)."""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable

from socialwatch import presence
from socialwatch.app import App
from tests.test_cli import lines, sw, write_jsonl


class Screen:
    """What the program wrote on the terminal, read as it comes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = b""
        self.pos = 0

    def pump(self, seconds: float = 0.1) -> None:
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if ready:
            try:
                self.seen += os.read(self.fd, 65536)
            except OSError:
                pass

    def wait_for(self, needle: bytes, timeout: float = 30.0) -> bytes:
        """Wait until `needle` is written after the last match (a hang guard, not a speed target);
        returns what was written up to it since the last match."""
        deadline = time.monotonic() + timeout
        while needle not in self.seen[self.pos:]:
            assert time.monotonic() < deadline, f"no {needle!r} on the terminal; saw: {self.seen[-600:]!r}"
            self.pump()
        end = self.seen.index(needle, self.pos) + len(needle)
        shown, self.pos = self.seen[self.pos:end], end
        return shown

    def until(self, cond: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        """Keep reading the terminal (so the program never blocks on it) until `cond()` holds."""
        deadline = time.monotonic() + timeout
        while not cond():
            assert time.monotonic() < deadline, f"timed out waiting for {what}; saw: {self.seen[-600:]!r}"
            self.pump()


def _terminal(cols: int = 80, rows: int = 24) -> tuple[int, int]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return leader, follower


def _controlling_tty() -> None:
    """In the child: a session of its own with the pty as controlling terminal."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _start(agent: str, *args: str, env: dict | None = None, cols: int = 80) -> tuple[subprocess.Popen, int, Screen]:
    """`socialwatch triage` as `agent` on a fresh 80x24 pseudo-terminal."""
    leader, follower = _terminal(cols)
    full_env = {**os.environ, "TERM": "xterm-256color", "SOCIALWATCH_AGENT": agent, **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "socialwatch", "triage", *args], stdin=follower, stdout=follower,
                            stderr=follower, env=full_env, close_fds=True, preexec_fn=_controlling_tty)
    os.close(follower)
    return proc, leader, Screen(leader)


def _stop(proc: subprocess.Popen, leader: int) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    os.close(leader)


def _quit(proc: subprocess.Popen, screen: Screen) -> None:
    os.write(screen.fd, b"q")
    screen.until(lambda: proc.poll() is not None, "the inbox to quit")


def _setup(home: pathlib.Path, tmp_path: pathlib.Path, records: list[dict], backend: str = "tinydb") -> None:
    from tests.conftest import use_backend

    assert sw("init")[0] == 0
    use_backend(home, backend)
    (home / "templates.toml").write_text(TEMPLATES, encoding="utf-8")
    assert sw("import", str(write_jsonl(tmp_path / "t.jsonl", records)))[0] == 0


def _show(mention_id: str) -> dict:
    return json.loads(sw("show", mention_id, "--json")[1])


TEMPLATES = '''
[templates.hello]
visibility = "public"
tags = ["mention", "dm"]
text = "Hi {author}, we are on it. {agent}"
'''

THREE = [{"id": "file:t1", "text": "WORST service ever!!! cancel my account \x1b]0;pwned\x07 \u202eevil", "author": {"handle": "ann"}},
         {"id": "file:t2", "text": "how do I change my plan?", "author": {"handle": "bob"}},
         {"id": "file:t3", "text": "thanks, all good", "author": {"handle": "cy"}}]


def test_keys_act_on_the_store_and_hostile_text_stays_inert(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    _setup(isolated_home, tmp_path, THREE)
    proc, leader, screen = _start("priya")
    try:
        screen.wait_for(b"WORST service ever")
        os.write(leader, b"a")
        screen.wait_for(b"assign to")  # the prompt (enter: yourself)
        os.write(leader, b"\r")
        screen.until(lambda: _show("file:t1").get("assignee") == "priya", "the assignment")
        os.write(leader, b"d")
        screen.until(lambda: _show("file:t1")["status"] == "resolved", "the resolve")
        _quit(proc, screen)
    finally:
        _stop(proc, leader)
    assert proc.returncode == 0
    assert b"\x1b]0;pwned" not in screen.seen and "\u202e".encode() not in screen.seen  # shown as visible escapes
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["file:t2", "file:t3"]


def test_two_agents_see_each_other_viewing_and_quitting_clears_the_mark(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                        backend: str) -> None:
    _setup(isolated_home, tmp_path, THREE, backend)
    store = App().store
    priya, p_leader, p_screen = _start("priya")
    tom = t_leader = None
    try:
        p_screen.until(lambda: [m.agent for m in presence.who_is_viewing(store, "file:t1")] == ["priya"], "priya's mark")
        tom, t_leader, t_screen = _start("tom")
        t_screen.wait_for(b"priya is viewing it")  # tom arrives: he is told at once
        p_screen.wait_for(b"tom is viewing it")  # priya, still reading, is told that tom arrived
        _quit(priya, p_screen)
        t_screen.until(lambda: [m.agent for m in presence.who_is_viewing(store, "file:t1")] == ["tom"],
                       "priya's mark to go when she quits")
        _quit(tom, t_screen)
    finally:
        _stop(priya, p_leader)
        if tom is not None:
            _stop(tom, t_leader)
    assert priya.returncode == 0 and tom.returncode == 0
    assert presence.everyone(store) == []
    store.close()


def test_a_killed_inbox_leaves_a_mark_that_expires_within_minutes(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from datetime import timedelta

    from socialwatch import model

    _setup(isolated_home, tmp_path, THREE)
    store = App().store
    proc, leader, screen = _start("priya")
    try:
        screen.until(lambda: bool(presence.who_is_viewing(store, "file:t1")), "priya's mark")
        proc.kill()
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    marks = presence.who_is_viewing(store, "file:t1")
    assert [m.agent for m in marks] == ["priya"]
    assert model.parse_time(marks[0].expires_at) <= model.utcnow() + timedelta(minutes=3)


def test_editor_in_the_composer_marks_drafting_and_the_reply_to_a_dm_goes_privately(isolated_home: pathlib.Path,
                                                                                   tmp_path: pathlib.Path) -> None:
    _setup(isolated_home, tmp_path, [{"id": "twitter:55", "text": "my bill is wrong", "author": {"handle": "ann"}, "kind": "dm"}])
    seen_by_others = tmp_path / "presence.txt"
    editor = tmp_path / "editor.sh"  # writes the reply, noting what others see meanwhile
    editor.write_text("#!/bin/sh\n"
                      f"{sys.executable} -c 'from socialwatch import presence; from socialwatch.app import App; "
                      f"print([(m.agent, m.activity) for m in presence.who_is_viewing(App().store, \"twitter:55\")])'"
                      f" > {seen_by_others}\n"
                      "printf 'Hi ann, sorry about the bill: I am on it.' > \"$1\"\n")
    editor.chmod(0o755)
    proc, leader, screen = _start("priya", env={"EDITOR": str(editor), "VISUAL": str(editor)})
    try:
        screen.wait_for(b"my bill is wrong")
        os.write(leader, b"r")
        screen.wait_for(b"PRIVATE MESSAGE")  # a DM: answered privately
        time.sleep(0.5)
        os.write(leader, b"\x0f")  # ctrl+o: $EDITOR
        screen.until(seen_by_others.exists, "the editor")
        screen.wait_for(b"I am on it")
        os.write(leader, b"\x13")  # ctrl+s: send
        screen.until(lambda: (isolated_home / "outbox" / "replies.jsonl").exists(), "the reply")
        time.sleep(0.3)
        _quit(proc, screen)
    finally:
        _stop(proc, leader)
    sent = lines((isolated_home / "outbox" / "replies.jsonl").read_text())
    assert [(r["text"], r["visibility"]) for r in sent] == [("Hi ann, sorry about the bill: I am on it.", "private")]
    assert seen_by_others.read_text().strip() == "[('priya', 'drafting')]"  # while the editor was open
