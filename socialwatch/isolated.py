"""Running one poll in a forked child process (the daemon's way of polling).

A daemon that runs for months must not grow: each poll reads whole JSON files and platform
answers into memory, and although Python frees them, the allocator keeps the pages (measured:
the resident size crept up by half over a thousand polls while Python's own heap stayed flat).
A forked child does the poll and exits, so its memory goes back to the system every time, and
a crash in a platform library (even a segfault) costs one poll, not the daemon.

The child gets a fresh `App` for the same config (new lock objects and file descriptors, so it
never mistakes a lock its parent's other threads hold for its own) that shares the parent's
loaded scorer, and it honours SIGTERM/SIGINT the way the daemon promises: the current batch is
stored, then it stops. The report comes back pickled through a pipe.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from typing import Any

from socialwatch.app import App
from socialwatch.errors import SocialwatchError


class PollCrashed(SocialwatchError):
    """The child process died or could not report (the poll's batches may still be stored)."""


def _child(parent: App, name: str, write_fd: int) -> None:
    daemonlock = sys.modules.get("socialwatch.daemonlock")
    if daemonlock is not None:
        daemonlock.forget_in_child()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    outcome: Any
    try:
        from socialwatch import poller

        app = App(parent.config_path, agent=parent._agent)
        app.__dict__["config"] = parent.config
        if "scorer" in parent.__dict__:
            app.__dict__["scorer"] = parent.__dict__["scorer"]
        outcome = ("ok", poller.poll_source(app, name, one_shot=False, stop=stop.is_set))
    except SocialwatchError as exc:
        outcome = ("error", str(exc))
    except BaseException as exc:  # report everything; the parent decides
        outcome = ("crash", f"{type(exc).__name__}: {exc}")
    try:
        payload = pickle.dumps(outcome)
    except Exception as exc:
        payload = pickle.dumps(("crash", f"could not send the report: {exc}"))
    view = memoryview(payload)
    while view:
        written = os.write(write_fd, view)
        view = view[written:]


def poll_in_child(app: App, name: str, children: dict[int, str]) -> Any:
    """Poll source `name` in a forked child; returns its PollReport.

    `children` (pid -> source) is kept up to date so that the daemon can forward a stop signal.
    Raises SocialwatchError for a configuration problem and PollCrashed when the child died.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(read_fd)
            _child(app, name, write_fd)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    children[pid] = name
    try:
        chunks = []
        while True:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        _, status = os.waitpid(pid, 0)
        children.pop(pid, None)
    if not chunks:
        how = f"signal {-os.waitstatus_to_exitcode(status)}" if os.WIFSIGNALED(status) else f"exit {os.waitstatus_to_exitcode(status)}"
        raise PollCrashed(f"the poll of {name} died ({how}) before reporting")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "ok":
        return value
    if kind == "error":
        raise SocialwatchError(value)
    raise PollCrashed(f"the poll of {name} crashed: {value}")


def can_fork() -> bool:
    return hasattr(os, "fork")
