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


# ---- issue #16: viewing, collisions, replies and prompts on a real terminal ----------------------
TEMPLATES = '''
[templates.hello]
visibility = "public"
tags = ["mention", "dm"]
text = "Hi {author}, we are on it. {agent}"

[templates.private-hello]
visibility = "private"
tags = ["dm"]
text = "Hi {author}, thanks for your message. {agent}"
'''


def _controlling_tty() -> None:
    """In the child: a session of its own with the pty as controlling terminal, so that Ctrl-C
    typed on it is a SIGINT, as in a real terminal."""
    import fcntl

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _start(agent: str, *args: str, env: dict | None = None) -> tuple[subprocess.Popen, int, Screen]:
    """`socialwatch triage` as `agent` on a fresh pseudo-terminal."""
    leader, follower = pty.openpty()
    full_env = {**os.environ, "COLUMNS": "120", "SOCIALWATCH_AGENT": agent, **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "socialwatch", "triage", *args], stdin=follower, stdout=follower,
                            stderr=follower, env=full_env, close_fds=True, preexec_fn=_controlling_tty)
    os.close(follower)
    return proc, leader, Screen(leader)


def _stop(proc: subprocess.Popen, leader: int) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    os.close(leader)


def _type(screen: Screen, prompt: bytes, text: bytes) -> None:
    """Answer a line prompt once it is on the screen."""
    screen.wait_for(prompt)
    time.sleep(0.1)
    os.write(screen.fd, text)


def _setup(home: pathlib.Path, tmp_path: pathlib.Path, records: list[dict], backend: str = "tinydb") -> None:
    from tests.conftest import use_backend

    assert sw("init")[0] == 0
    use_backend(home, backend)
    (home / "templates.toml").write_text(TEMPLATES, encoding="utf-8")
    assert sw("import", str(write_jsonl(tmp_path / "t.jsonl", records)))[0] == 0


def _quiet_editor(tmp_path: pathlib.Path) -> dict:
    """An editor that accepts the text as it is (writes nothing, like :q in vi)."""
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nexit 0\n")
    editor.chmod(0o755)
    return {"EDITOR": str(editor), "VISUAL": str(editor)}


THREE = [{"id": "file:t1", "text": "WORST service ever!!! cancel my account", "author": {"handle": "ann"}},
         {"id": "file:t2", "text": "how do I change my plan?", "author": {"handle": "bob"}},
         {"id": "file:t3", "text": "thanks, all good", "author": {"handle": "cy"}}]


def test_viewing_mentions_alone_never_looks_like_a_change_of_the_queue(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                        backend: str) -> None:
    _setup(isolated_home, tmp_path, THREE, backend)
    proc, leader, screen = _start("priya")
    try:
        for _ in range(3):
            screen.wait_for(b"[q]uit")
            _press(leader, b"")
            time.sleep(2.5)  # the live queue looks for changes every second
            _press(leader, b"s")
        screen.wait_for(b"End of the queue")
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    assert proc.returncode == 0
    assert b"queue changed" not in screen.seen and b"new mention" not in screen.seen


def test_two_agents_on_one_mention_see_each_other_viewing_and_quitting_clears_it(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> None:
    _setup(isolated_home, tmp_path, THREE, backend)
    store = App().store
    priya, p_leader, p_screen = _start("priya")
    tom = t_leader = None
    try:
        assert b"file:t1" in p_screen.wait_for(b"[q]uit")
        _press(p_leader, b"")
        tom, t_leader, t_screen = _start("tom")
        shown = t_screen.wait_for(b"[q]uit")
        assert b"Heads up: priya is viewing it (for " in shown and b"opened" not in shown
        # priya, still reading, is told that tom arrived on her mention
        p_screen.wait_for(b"Heads up: tom is viewing it")
        _press(p_leader, b"q")
        priya.wait(timeout=30)
        assert [m.agent for m in presence.who_is_viewing(store, "file:t1")] == ["tom"]  # priya's mark cleared on quit
        _press(t_leader, b"q")
        tom.wait(timeout=30)
    finally:
        _stop(priya, p_leader)
        if tom is not None:
            _stop(tom, t_leader)
    assert priya.returncode == 0 and tom.returncode == 0
    assert presence.everyone(store) == []
    store.close()


def test_a_killed_triage_leaves_a_mark_that_expires_within_minutes(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from datetime import timedelta

    from socialwatch import model

    _setup(isolated_home, tmp_path, THREE)
    proc, leader, screen = _start("priya")
    try:
        screen.wait_for(b"[q]uit")
        proc.kill()
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    marks = presence.who_is_viewing(App().store, "file:t1")
    assert [m.agent for m in marks] == ["priya"]
    assert model.parse_time(marks[0].expires_at) <= model.utcnow() + timedelta(minutes=3)


def test_accepting_a_template_unchanged_in_the_editor_sends_it(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    _setup(isolated_home, tmp_path, [{"id": "file:t1", "text": "my order is late", "author": {"handle": "ann"}}])
    proc, leader, screen = _start("priya", env=_quiet_editor(tmp_path))
    try:
        screen.wait_for(b"[q]uit")
        _press(leader, b"p")
        assert b"1. hello (public)" in screen.wait_for(b"template number")
        os.write(leader, b"1\n")
        _type(screen, b"Send it?", b"y\n")
        _type(screen, b"Resolve the mention as well?", b"\n")
        screen.wait_for(b"sent via outbox")
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    assert b"not sent" not in screen.seen
    sent = lines((isolated_home / "outbox" / "replies.jsonl").read_text())
    assert [(r["text"], r["visibility"]) for r in sent] == [("Hi @ann, we are on it. priya", "public")]


def test_triage_offers_a_dm_only_private_templates_and_replies_privately(isolated_home: pathlib.Path,
                                                                       tmp_path: pathlib.Path) -> None:
    _setup(isolated_home, tmp_path, [{"id": "twitter:55", "text": "my bill is wrong", "author": {"handle": "ann"}, "kind": "dm"}])
    seen_by_others = tmp_path / "presence.txt"
    editor = tmp_path / "editor.sh"  # accepts the text unchanged, noting what others see meanwhile
    editor.write_text(f"#!/bin/sh\n{sys.executable} -c 'from socialwatch import presence; from socialwatch.app import App; "
                      f"print([(m.agent, m.activity) for m in presence.who_is_viewing(App().store, \"twitter:55\")])'"
                      f" > {seen_by_others}\n")
    editor.chmod(0o755)
    proc, leader, screen = _start("priya", env={"EDITOR": str(editor), "VISUAL": str(editor)})
    try:
        screen.wait_for(b"[q]uit")
        _press(leader, b"p")
        offered = screen.wait_for(b"template number")
        assert b"1. private-hello (private)" in offered and b"hello (public)" not in offered
        os.write(leader, b"1\n")
        assert b"private reply:" in screen.wait_for(b"Send it?")
        os.write(leader, b"y\n")
        _type(screen, b"Resolve the mention as well?", b"\n")
        screen.wait_for(b"sent via outbox")
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    sent = lines((isolated_home / "outbox" / "replies.jsonl").read_text())
    assert [(r["text"], r["visibility"]) for r in sent] == [("Hi @ann, thanks for your message. priya", "private")]
    assert seen_by_others.read_text().strip() == "[('priya', 'drafting')]"  # while the editor was open


def test_ctrl_c_at_a_prompt_cancels_the_prompt_not_triage(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    _setup(isolated_home, tmp_path, THREE[:1])
    proc, leader, screen = _start("priya")
    try:
        screen.wait_for(b"[q]uit")
        _press(leader, b"t")
        _type(screen, b"tags (comma separated)", b"vip\x03")
        screen.wait_for(b"cancelled")
        screen.wait_for(b"[q]uit")
        _press(leader, b"n")
        _type(screen, b"note", b"half a note\x03")
        screen.wait_for(b"cancelled")
        screen.wait_for(b"[q]uit")
        assert proc.poll() is None  # still in triage
        _press(leader, b"t")
        _type(screen, b"tags (comma separated)", b"billing\n")
        screen.wait_for(b"[q]uit")
        _press(leader, b"q")
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    assert proc.returncode == 0 and b"Aborted" not in screen.seen
    m = json.loads(sw("show", "file:t1", "--json")[1])
    assert "billing" in m["tags"] and "vip" not in m["tags"] and not m.get("notes")  # only what was confirmed


def _linked(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    _setup(home, tmp_path, [{"id": "file:t1", "text": "see my post", "author": {"handle": "ann"},
                             "url": "https://social.example/ann/1"}])


def test_open_without_a_browser_shows_the_link(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    _linked(isolated_home, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "socialwatch", "triage"], stdin=follower, stdout=follower,
                            stderr=follower, env={**env, "COLUMNS": "120", "SOCIALWATCH_AGENT": "priya"},
                            close_fds=True, preexec_fn=_controlling_tty)
    os.close(follower)
    screen = Screen(leader)
    try:
        screen.wait_for(b"[q]uit")
        _press(leader, b"o")
        assert b"no browser available here" in screen.wait_for(b"the link: https://social.example/ann/1")
        screen.wait_for(b"[q]uit")
        _press(leader, b"q")
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    assert proc.returncode == 0


def test_a_failing_browser_helper_writes_nothing_on_the_screen_and_leaves_no_zombie(isolated_home: pathlib.Path,
                                                                                    tmp_path: pathlib.Path) -> None:
    _linked(isolated_home, tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pid_file = tmp_path / "helper.pid"
    helper = bin_dir / "xdg-open"
    helper.write_text(f"#!/bin/sh\necho $$ > {pid_file}\necho 'xdg-open: no method available for opening' >&2\n"
                      "echo 'gio: operation not supported'\nexit 3\n")
    helper.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "DISPLAY": ":0", "BROWSER": ""}
    proc, leader, screen = _start("priya", env=env)
    try:
        screen.wait_for(b"[q]uit")
        _press(leader, b"o")
        said = screen.wait_for(b"the link: https://social.example/ann/1")
        assert b"could not open a browser (exit status 3)" in said
        pid = int(pid_file.read_text())
        try:
            state = pathlib.Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            state = "reaped"
        assert state == "reaped", f"the helper is left as {state}"
        _press(leader, b"q")
        proc.wait(timeout=30)
    finally:
        _stop(proc, leader)
    assert b"no method available" not in screen.seen and b"operation not supported" not in screen.seen
