"""Opening a link in the agent's browser from a terminal program, without messing up the screen.

`click.launch` and `webbrowser` start `xdg-open` with the terminal as its stdout and stderr, so
on a machine without a browser its complaints land in the middle of the triage screen, and the
process is never waited for (a defunct child stays behind until the program exits). Here the
launcher writes nowhere, runs in a session of its own, and is always reaped; when no browser
can be started the caller gets the reason and shows the link instead.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading

#: How long to wait for the launcher to report a failure before assuming the browser started.
WAIT = 1.0


def launcher() -> list[str] | None:
    """The command that opens a URL here: $BROWSER, macOS `open`, or `xdg-open` when there is a
    graphical display; None when there is none (a server, an SSH session, a container)."""
    configured = os.environ.get("BROWSER", "").strip()
    if configured:
        first = configured.split(os.pathsep)[0]
        try:
            parts = shlex.split(first)
        except ValueError:
            parts = []
        if parts:
            return parts
    if sys.platform == "darwin":
        return ["open"]
    if (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and shutil.which("xdg-open"):
        return ["xdg-open"]
    return None


def open_url(url: str, wait: float = WAIT) -> str | None:
    """Open `url` in a browser; None when it was handed over, else why it could not be.

    The launcher's output goes to /dev/null; a launcher that fails within `wait` seconds is
    reported, one still running after that is left to its browser and reaped by a daemon
    thread (no zombie either way)."""
    command = launcher()
    if command is None:
        return "no browser available here (no graphical display and $BROWSER is not set)"
    args = [a.replace("%s", url) for a in command] if any("%s" in a for a in command) else [*command, url]
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
    except OSError as exc:
        return f"could not start {command[0]}: {exc.strerror or exc}"
    try:
        code = proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        threading.Thread(target=proc.wait, name="browser-reaper", daemon=True).start()
        return None
    if code != 0:
        return f"{os.path.basename(command[0])} could not open a browser (exit status {code})"
    return None
