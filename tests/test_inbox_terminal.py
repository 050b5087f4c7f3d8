"""The inbox on a real pseudo-terminal (80x24), as an agent runs it: `socialwatch triage` in its
own process, keys written to the terminal, the screen read back.

Pilot (tests/test_inbox*.py) drives the app headless; this checks what only a terminal shows:
Ctrl-C in a prompt cancels the prompt and leaves the inbox running, `o` with no browser neither
writes a launcher's errors onto the screen nor leaves a defunct process, `q` ends the inbox with
status 0, the terminal given back, and the "viewing" mark cleared for colleagues (issue 16, items
8 and 13; issue 18).
"""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from tests.inbox_helpers import RECORDS, setup_store, sw

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[PX^_].*?\x1b\\|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b.")


class Terminal:
    """A process on a pseudo-terminal of 80x24: write keys, read what it shows."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: pathlib.Path) -> None:
        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(args, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd,
                                     start_new_session=True, close_fds=True)
        os.close(follower)
        self.seen = b""

    def read(self, timeout: float = 0.2) -> bytes:
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return self.seen
            ready, _, _ = select.select([self.leader], [], [], left)
            if not ready:
                return self.seen
            try:
                chunk = os.read(self.leader, 65536)
            except OSError:  # the process has ended and closed the terminal
                return self.seen
            if not chunk:
                return self.seen
            self.seen += chunk

    def text(self) -> str:
        """Everything shown so far, escape sequences taken out."""
        return ANSI.sub(b"", self.seen).decode("utf-8", "replace")

    def wait_for(self, words: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while words not in self.text():
            assert self.proc.poll() is None, f"the inbox ended ({self.proc.returncode}): {self.text()[-800:]}"
            assert time.monotonic() < deadline, f"{words!r} never shown: {self.text()[-800:]}"
            self.read(0.2)

    def press(self, keys: str, settle: float = 0.6) -> None:
        os.write(self.leader, keys.encode())
        self.read(settle)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.leader)


def children_states(pid: int) -> list[str]:
    """The states (R, S, Z...) of `pid`'s child processes, from /proc."""
    states = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            states.append(fields[0])
    return states


def start_inbox(home: pathlib.Path, tmp_path: pathlib.Path, **extra_env: str) -> Terminal:
    """`socialwatch --as sam triage` on a pseudo-terminal, its first screen shown. PATH holds
    only `tmp_path/bin` (python is run by its full path): nothing there opens a browser unless
    a test puts a launcher in it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "NO_COLOR")}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", PATH=str(bin_dir), SOCIALWATCH_HOME=str(home))
    env.update(extra_env)
    term = Terminal([sys.executable, "-m", "socialwatch", "--as", "sam", "triage"], env, tmp_path)
    try:
        term.wait_for("Open")
        term.read(1.0)
    except BaseException:
        term.close()
        raise
    return term


@pytest.fixture
def inbox(isolated_home: pathlib.Path, tmp_path: pathlib.Path):
    setup_store(isolated_home, tmp_path)
    term = start_inbox(isolated_home, tmp_path)
    try:
        yield term
    finally:
        term.close()


def test_ctrl_c_in_a_prompt_cancels_it_and_the_inbox_runs_on(inbox: Terminal) -> None:
    inbox.press("n")  # the note prompt
    inbox.wait_for("internal note")
    before = len(inbox.seen)
    inbox.press("\x03", settle=1.0)  # Ctrl-C: cancel the prompt, not the inbox
    assert inbox.proc.poll() is None, inbox.text()[-500:]
    inbox.press("j")  # the inbox still takes keys after the prompt closed
    assert inbox.proc.poll() is None and len(inbox.seen) > before
    code, out, _ = sw("show", "twitter:100", "--json")
    assert code == 0 and not json.loads(out).get("notes")  # nothing was noted
    inbox.press("q", settle=0)
    assert inbox.proc.wait(timeout=15) == 0


@pytest.mark.parametrize("launcher", ["none", "failing xdg-open"])
def test_open_without_a_browser_writes_no_errors_on_the_screen_and_leaves_no_defunct_process(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path, launcher: str) -> None:
    linked = [{**r, "url": f"https://x.com/{r['author']['handle']}/status/{r['id'].split(':')[1]}"} for r in RECORDS]
    setup_store(isolated_home, tmp_path, linked)
    extra = {}
    if launcher != "none":  # a desktop without a browser: xdg-open complains on stderr and fails
        fake = tmp_path / "bin" / "xdg-open"
        fake.parent.mkdir(exist_ok=True)
        fake.write_text("#!/bin/sh\necho 'xdg-open: no method available for opening it' >&2\nexit 3\n")
        fake.chmod(0o755)
        extra = {"DISPLAY": ":99"}
    inbox = start_inbox(isolated_home, tmp_path, **extra)
    try:
        inbox.press("o", settle=2.5)
        assert inbox.proc.poll() is None
        shown = inbox.text()
        assert "no method available" not in shown and "Traceback" not in shown
        assert ("could not open a browser" if extra else "no browser available") in shown  # said, on the status line
        assert "Z" not in children_states(inbox.proc.pid)  # the launcher was reaped
        inbox.press("q", settle=0)
        assert inbox.proc.wait(timeout=15) == 0
    finally:
        inbox.close()


def test_quitting_gives_the_terminal_back_and_clears_the_viewing_mark(inbox: Terminal) -> None:
    current = json.loads(sw("triage", "--json", "--limit", "1")[1])["id"]
    deadline = time.monotonic() + 10
    while "viewing" not in sw("--as", "tom", "show", current)[2]:  # a colleague sees who is on it
        assert time.monotonic() < deadline, "the viewing mark never showed"
        inbox.read(0.3)
    inbox.press("q", settle=0)
    assert inbox.proc.wait(timeout=15) == 0
    inbox.read(0.5)
    assert b"\x1b[?1049l" in inbox.seen  # the alternate screen left: the agent's shell is back as it was
    assert "viewing" not in sw("--as", "tom", "show", current)[2]
