"""A real, throwaway PostgreSQL server for the test suite.

The server lives in its own temporary directory under /tmp, listens on a free loopback port
and a unix socket inside that directory, and shares nothing with any other run.  Its binaries
come from (in order): $SOCIALWATCH_TEST_PG_BIN, `pg_config --bindir`, Debian's
/usr/lib/postgresql/*/bin (highest version), $PATH, and the binaries bundled in the
`pgserver` wheel (located on disk only; pgserver's own server management is not used).

initdb and postgres refuse to run as root, so when the tests run as root the server runs as
the `nobody` user (65534) and its directory is owned by that user.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import psycopg
from psycopg import sql

ENV_BIN = "SOCIALWATCH_TEST_PG_BIN"
SUPERUSER = "socialwatch_test"
NOBODY = 65534
REQUIRED = ("initdb", "postgres")
START_TIMEOUT = 30.0
DEBIAN_ROOT = pathlib.Path("/usr/lib/postgresql")
INSTALL_HINT = "install Debian's postgresql package or `pip install pgserver`"


class PgBinariesNotFound(RuntimeError):
    """No directory holding both `initdb` and `postgres` was found."""


def _has_binaries(directory: pathlib.Path) -> bool:
    return all(os.access(directory / name, os.X_OK) and (directory / name).is_file() for name in REQUIRED)


def _version_key(path: pathlib.Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin: numeric parts of the version."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def _pgserver_bin() -> pathlib.Path | None:
    """The bin dir bundled in the installed `pgserver` package, found without importing it."""
    try:
        spec = importlib.util.find_spec("pgserver")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = pathlib.Path(location) / "pginstall" / "bin"
        if candidate.is_dir():
            return candidate
    return None


def find_pg_bin() -> pathlib.Path:
    """The directory holding PostgreSQL's `initdb` and `postgres`.

    Looks at $SOCIALWATCH_TEST_PG_BIN (and only there when it is set), then `pg_config --bindir`,
    then /usr/lib/postgresql/*/bin (highest version first), then $PATH, then pgserver's bundled
    binaries.  Raises PgBinariesNotFound listing every place looked at.
    """
    looked: list[str] = []

    explicit = os.environ.get(ENV_BIN)
    if explicit:
        directory = pathlib.Path(explicit)
        if _has_binaries(directory):
            return directory
        raise PgBinariesNotFound(
            f"PostgreSQL server binaries (initdb, postgres) not found in ${ENV_BIN}={explicit}; "
            f"point it at a PostgreSQL bin directory, or unset it and {INSTALL_HINT}"
        )

    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            directory = pathlib.Path(out.stdout.strip())
            if out.stdout.strip() and _has_binaries(directory):
                return directory
            looked.append(f"`pg_config --bindir` ({directory})")
        except (OSError, subprocess.SubprocessError) as exc:
            looked.append(f"`pg_config --bindir` (failed: {exc})")
    else:
        looked.append("`pg_config --bindir` (no pg_config on PATH)")

    debian = sorted(DEBIAN_ROOT.glob("*/bin"), key=_version_key, reverse=True)
    for directory in debian:
        if _has_binaries(directory):
            return directory
    looked.append(f"{DEBIAN_ROOT}/*/bin" + (f" ({', '.join(map(str, debian))})" if debian else " (none)"))

    on_path = [shutil.which(name) for name in REQUIRED]
    if all(on_path):
        directory = pathlib.Path(on_path[0]).resolve().parent  # follow e.g. /usr/local/bin symlinks
        if _has_binaries(directory):
            return directory
        directory = pathlib.Path(on_path[0]).parent
        if _has_binaries(directory):
            return directory
    looked.append("$PATH")

    bundled = _pgserver_bin()
    if bundled is not None and _has_binaries(bundled):
        return bundled
    looked.append(f"the pgserver package ({bundled if bundled else 'not installed'})")

    raise PgBinariesNotFound(
        "PostgreSQL server binaries (initdb, postgres) not found; looked in: "
        + "; ".join(looked)
        + f". To run the PostgreSQL tests, {INSTALL_HINT} (or set ${ENV_BIN} to a bin directory)"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _die_with_parent() -> None:
    """In the server's child process: get SIGINT (fast shutdown) if the test process dies."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG


class PgTestServer:
    """A throwaway PostgreSQL server on a loopback port, in its own temporary directory.

    Usage: ``server = PgTestServer(); server.start(); ... server.url ...; server.stop()``
    (or as a context manager).  start() raises RuntimeError with a clear reason on failure.
    """

    def __init__(self, bin_dir: pathlib.Path | None = None, user: str = SUPERUSER, dbname: str = "postgres",
                 settings: dict[str, str] | None = None) -> None:
        self.bin_dir = bin_dir
        self.settings = dict(settings or {})  # server settings over the defaults of `_launch`
        self.user = user
        self.dbname = dbname
        self.port: int | None = None
        self.base: pathlib.Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._as_root = os.geteuid() == 0
        self.startup_seconds: float | None = None

    # -- locations ------------------------------------------------------------------------
    @property
    def data_dir(self) -> pathlib.Path:
        """The cluster's data directory."""
        assert self.base is not None, "server not started"
        return self.base / "data"

    @property
    def log_path(self) -> pathlib.Path:
        """The server's log file (its stderr)."""
        assert self.base is not None, "server not started"
        return self.base / "postgres.log"

    @property
    def url(self) -> str:
        """libpq URL of the server's default database."""
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        """libpq URL of database `dbname` on this server."""
        if self.port is None:
            raise RuntimeError("PostgreSQL test server is not started")
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    # -- processes ------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        assert self.bin_dir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        env["LANG"] = "C"
        # Self-contained builds (pgserver) keep their shared libraries beside bin/.
        lib_dirs = [self.bin_dir.parent / "lib", self.bin_dir.parent.parent.parent / "pgserver.libs"]
        extra = [str(d) for d in lib_dirs if d.is_dir() and any(d.glob("libpq*.so*"))]
        if extra:
            env["LD_LIBRARY_PATH"] = os.pathsep.join(extra + [p for p in [env.get("LD_LIBRARY_PATH")] if p])
        return env

    def _popen_kwargs(self) -> dict:
        kwargs: dict = {"env": self._env(), "cwd": str(self.base), "stdin": subprocess.DEVNULL}
        if self._as_root:
            kwargs.update(user=NOBODY, group=NOBODY, extra_groups=[])
        return kwargs

    def start(self) -> PgTestServer:
        """initdb a fresh cluster and start postgres; wait until it accepts connections."""
        if self.proc is not None:
            return self
        began = time.monotonic()
        if self.bin_dir is None:
            self.bin_dir = find_pg_bin()
        # Under /tmp explicitly: pytest's own temp dirs are root-only and not traversable by nobody.
        self.base = pathlib.Path(tempfile.mkdtemp(prefix="socialwatch-pg-", dir="/tmp" if self._as_root else None))
        try:
            if self._as_root:
                os.chown(self.base, NOBODY, NOBODY)
            self._initdb()
            last_error = ""
            for _attempt in range(3):  # the port chosen can be taken by someone else in between
                self.port = free_port()
                last_error = self._launch()
                if not last_error:
                    break
                if "could not bind" not in last_error and "Address already in use" not in last_error:
                    break
            if last_error:
                raise RuntimeError(last_error)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def _initdb(self) -> None:
        assert self.bin_dir is not None
        cmd = [
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "-U", self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ]  # fmt: skip
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **self._popen_kwargs())
        except (OSError, subprocess.SubprocessError) as exc:
            raise RuntimeError(f"PostgreSQL test server: could not run initdb ({cmd[0]}): {exc}") from exc
        if result.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL test server: initdb ({cmd[0]}) failed with exit code {result.returncode}:\n"
                + _tail(result.stderr or result.stdout)
            )

    def _launch(self) -> str:
        """Start postgres on self.port; '' once it accepts connections, else the failure's reason."""
        assert self.bin_dir is not None and self.port is not None
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.base),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "shared_buffers": "32MB",
            "logging_collector": "off",
            **self.settings,
        }
        cmd = [str(self.bin_dir / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        with open(self.log_path, "ab") as log:
            if self._as_root:
                os.chown(self.log_path, NOBODY, NOBODY)
            self.proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C at the terminal is for pytest, not for the server
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                **self._popen_kwargs(),
            )
        deadline = time.monotonic() + START_TIMEOUT
        last_exc: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                return (
                    f"PostgreSQL test server: postgres ({cmd[0]}) exited with code {code} on start; "
                    f"log tail:\n{self._log_tail()}"
                )
            try:
                with psycopg.connect(self.url, connect_timeout=2, autocommit=True) as conn:
                    conn.execute("SELECT 1")
                return ""
            except psycopg.OperationalError as exc:
                last_exc = exc
                time.sleep(0.05)
        self._kill()
        return (
            f"PostgreSQL test server: postgres did not accept connections on 127.0.0.1:{self.port} within "
            f"{START_TIMEOUT:.0f}s (last error: {last_exc}); log tail:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"))
        except OSError as exc:
            return f"(no log: {exc})"

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)  # fast shutdown: abort sessions, checkpoint, exit
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the postmaster and its backends (own session)
            proc.wait(timeout=10)

    def stop(self) -> None:
        """Shut the server down (fast shutdown, then SIGKILL) and remove its directory."""
        self._kill()
        self.port = None
        base, self.base = self.base, None
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)

    def __enter__(self) -> PgTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ------------------------------------------------------------------------
    def create_database(self, name: str) -> str:
        """Create a fresh, empty database `name` (from template0) and return its URL."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name`, closing any connections still open to it."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
