"""The interactive triage queue on a real pseudo-terminal: keys act on the store."""

from __future__ import annotations

import json
import os
import pathlib
import pty
import select
import subprocess
import sys
import termios
import time

from socialwatch import presence
from socialwatch.app import App
from tests.test_cli import lines, sw, write_jsonl


class Screen:
    """What the program printed on the terminal, read as it comes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = b""
        self.pos = 0

    def wait_for(self, needle: bytes, timeout: float = 30.0) -> bytes:
        """Wait until `needle` appears after the last match (a hang guard, not a speed target)."""
        deadline = time.monotonic() + timeout
        while needle not in self.seen[self.pos:]:
            assert time.monotonic() < deadline, f"no {needle!r} on the terminal; saw: {self.seen[-400:]!r}"
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    continue
                self.seen += chunk
        end = self.seen.index(needle, self.pos) + len(needle)
        shown, self.pos = self.seen[self.pos:end], end
        return shown


def _press(fd: int, key: bytes, timeout: float = 30.0) -> None:
    """Type `key` once the program reads single keys: click switches the terminal to raw mode
    (discarding what was typed before), so wait until canonical mode is off."""
    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ICANON:
        assert time.monotonic() < deadline, "the program never started reading a key"
        time.sleep(0.02)
    os.write(fd, key)


def test_keys_assign_resolve_and_quit(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    assert sw("init")[0] == 0
    records = [{"id": "file:t1", "text": "WORST service ever!!! cancel my account \x1b]0;pwned\x07", "author": {"handle": "ann"}},
               {"id": "file:t2", "text": "how do I change my plan?", "author": {"handle": "bob"}}]
    assert sw("import", str(write_jsonl(tmp_path / "t.jsonl", records)))[0] == 0
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "SOCIALWATCH_AGENT": "priya"}
    proc = subprocess.Popen([sys.executable, "-m", "socialwatch", "triage"], stdin=follower, stdout=follower,
                            stderr=follower, env=env, close_fds=True)
    os.close(follower)
    try:
        screen = Screen(leader)
        shown = screen.wait_for(b"[q]uit")
        assert b"file:t1" in shown and b"\x1b]0;" not in shown  # the hostile OSC is shown inert
        _press(leader, b"a")
        screen.wait_for(b"assigned to priya")
        screen.wait_for(b"[q]uit")
        _press(leader, b"r")
        screen.wait_for(b"resolved")
        assert b"file:t2" in screen.wait_for(b"[q]uit")  # the next mention
        # Another agent opening it would be told who is viewing it (a presence mark, apart from the mention).
        marks = presence.who_is_viewing(App().store, "file:t2", exclude="tom")
        assert [(m.agent, m.activity) for m in marks] == [("priya", "viewing")]
        assert presence.who_is_viewing(App().store, "file:t1") == []  # the mark moved on with her
        _press(leader, b"q")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert proc.returncode == 0
    t1 = json.loads(sw("show", "file:t1", "--json")[1])
    assert t1["status"] == "resolved" and t1["assignee"] == "priya"
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["file:t2"]
    assert "viewing" not in json.loads(sw("show", "file:t2", "--json")[1])  # viewing never changes the mention
    assert presence.everyone(App().store) == []  # quitting cleared the mark


def test_the_queue_is_live_other_agents_claims_and_new_mentions_show_up(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                        backend: str) -> None:
    from tests.conftest import use_backend

    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    records = [{"id": "file:t1", "text": "WORST service ever!!! cancel my account", "author": {"handle": "ann"}},
               {"id": "file:t2", "text": "how do I change my plan?", "author": {"handle": "bob"}},
               {"id": "file:t3", "text": "thanks, all good", "author": {"handle": "cy"}}]
    assert sw("import", str(write_jsonl(tmp_path / "t.jsonl", records)))[0] == 0
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "SOCIALWATCH_AGENT": "priya"}
    proc = subprocess.Popen([sys.executable, "-m", "socialwatch", "triage"], stdin=follower, stdout=follower,
                            stderr=follower, env=env, close_fds=True)
    os.close(follower)
    try:
        screen = Screen(leader)
        assert b"file:t1" in screen.wait_for(b"[q]uit")
        _press(leader, b"")  # wait until it reads keys (and watches the queue)
        time.sleep(0.5)
        code, out, err = sw("--as", "tom", "claim", "--json")
        assert code == 0 and json.loads(out)["id"] == "file:t1", err
        screen.wait_for(b"Heads up: tom claimed the mention you are on (file:t1)")
        assert sw("--as", "tom", "resolve", "file:t3")[0] == 0
        screen.wait_for(b"tom resolved file:t3")
        urgent = [{"id": "file:t4", "text": "FURIOUS!!! you charged me 3 times, cancel everything, lawyer", "author": {"handle": "dee"}}]
        assert sw("import", str(write_jsonl(tmp_path / "u.jsonl", urgent)))[0] == 0
        screen.wait_for(b"new mention(s) arrived" if backend == "postgres" else b"the queue changed")
        _press(leader, b"s")
        screen.wait_for("── 2/".encode())
        nxt = screen.wait_for(b"[q]uit")
        assert b"file:t4" in nxt and b"file:t3" not in nxt  # the refreshed queue: the new urgent one next
        _press(leader, b"q")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
