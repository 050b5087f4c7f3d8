"""Inter-process locks on lock files (POSIX `flock`).

`flock` locks belong to an open file description: they are released by the kernel when the
process dies, even by SIGKILL, so a crashed poller never leaves a stale lock behind. The
standard library's fcntl costs nothing to import, unlike lock libraries that pull in asyncio,
which matters for `triage` start-up time.
"""

from __future__ import annotations

import errno
import fcntl
import os
import pathlib
import time
from collections.abc import Callable
from types import TracebackType

from socialwatch.errors import Busy


class FileLock:
    """An exclusive lock on `path`, re-entrant within one object.

    `acquire(timeout=None)` waits forever, `timeout=0` tries once and raises Busy, a positive
    timeout waits up to that many seconds and then raises Busy.
    """

    def __init__(self, path: pathlib.Path, what: str = "the store",
                 on_os_error: Callable[[OSError], Exception] | None = None) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None
        self._depth = 0
        self._on_os_error = on_os_error  # turns "cannot create the lock file" into an error for people

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            if self._on_os_error is None:
                raise
            raise self._on_os_error(exc) from None

    def acquire(self, timeout: float | None = None) -> "FileLock":
        if self._depth:
            self._depth += 1
            return self
        fd = self._open()
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if timeout is None else fcntl.LOCK_NB))
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(fd)
                    raise Busy(f"{self.what} is locked by another process") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        self._fd = fd
        self._depth = 1
        return self

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    @property
    def held(self) -> bool:
        return self._depth > 0

    def __enter__(self) -> "FileLock":
        return self.acquire()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
