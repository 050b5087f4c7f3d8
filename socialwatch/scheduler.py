"""`socialwatch run`: the polling daemon (APScheduler 3.x BlockingScheduler).

One interval job per enabled source (its own `interval`, with jitter), `max_instances=1`,
coalescing, and a misfire grace of half an interval. Each job polls through `poller.poll_source`,
which holds the source's inter-process lock, so a cron `poll` beside the daemon never polls the
same source at once. A failing source backs off exponentially (interval × 2^failures, capped)
and recovers by itself; it never stops the others. A source whose own settings are broken (a
missing key, an unset secret) is logged at start-up and fails each poll like any failing source.

One daemon per store: `run` holds the store's daemon lock (daemonlock.py) for its whole life, so
a second daemon exits 2 naming the holder; cron polls do not take it.

Signals: SIGTERM/SIGINT stop gracefully (running polls finish their current batch and store it,
then the scheduler shuts down, exit 0); SIGHUP, or a change of the config file's contents,
reloads the configuration (a bad new config is logged and the old one keeps running).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pathlib
import random
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from socialwatch import isolated, model
from socialwatch.app import App
from socialwatch.errors import SocialwatchError
from socialwatch.logs import log

DEFAULT_INTERVAL = 300.0
BACKOFF_CAP = 3600.0
WATCH_EVERY = 5.0  # seconds between checks of the config file
HOUSEKEEPING_EVERY = 60.0  # seconds between alert checks that are not tied to a poll


def _malloc_trimmer() -> Any:
    """glibc's malloc_trim, or a no-op elsewhere.

    Each poll reads whole JSON files (megabytes, in buffers of varying size) between long-lived
    small objects; glibc keeps the freed heap pages, and a daemon's resident memory creeps up
    poll after poll although Python's own heap stays flat. Returning free pages after each poll
    keeps the daemon's footprint flat (see bench/bench_daemon_memory.py).
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        trim = libc.malloc_trim
        trim.argtypes = [ctypes.c_size_t]
        return lambda: trim(0)
    except (OSError, AttributeError):
        return lambda: None


def _pooled(app: App) -> App:
    """The daemon's concurrent jobs share the store's connection pool (a database's; files need none)."""
    app.store.use_pool(int(app.config.table("store").get("pool_size", 4)))
    return app


class Daemon:
    """The long-running poller; `run()` blocks until a stop signal."""

    def __init__(self, config_path: str | None, agent: str | None = None) -> None:
        self.config_path = config_path
        self.agent = agent
        self.app = _pooled(App(config_path, agent=agent))
        self.stopping = threading.Event()
        self.failures: dict[str, int] = {}
        self._config_digest = self._digest()
        self.scheduler: Any = None
        self.polls = 0
        self._last_periodic = 0.0
        self._trim = _malloc_trimmer()
        self.children: dict[int, str] = {}  # pid -> source of polls running in child processes
        self.daemon_lock: Any = None  # one daemon per store (daemonlock.py)
        self._served = threading.Event()  # run() is over (with or without starting the scheduler)
        self.exit_code = 0

    # ---- configuration -------------------------------------------------------------------
    def _config_file(self) -> pathlib.Path:
        return self.app.config.path

    def _digest(self) -> str | None:
        try:
            return hashlib.sha256(self._config_file().read_bytes()).hexdigest()
        except (OSError, SocialwatchError):
            return None

    def _check(self, app: App) -> dict[str, str]:
        """Validate the configuration as a whole, so a broken file fails at start (or at reload);
        returns the enabled sources whose own settings are broken, with the reason.

        Such a source stays scheduled: each of its polls fails (recorded as failing, with the
        reason, for `sources` and `health`) and backs off, while the other sources are polled.
        """
        from socialwatch import alerts, poller

        app.config  # noqa: B018 - load and validate the file
        app.scorer  # noqa: B018 - load and validate [scoring] now
        alerts.Alerter(app)  # validate [alerts]
        from socialwatch import csat

        csat.settings(app.config)  # validate [csat]
        problems = {}
        for name in app.config.enabled_sources():
            problem = poller.source_problem(app, name)
            if problem is not None:
                problems[name] = problem
        return problems

    @staticmethod
    def _report_problems(problems: dict[str, str]) -> None:
        for name, problem in problems.items():
            log(logging.ERROR, f"source {name} is misconfigured: it will be reported failing; the other sources are polled",
                source=name, error=problem)

    def reload(self, reason: str) -> bool:
        """Load the config again; keep the old one (and say why) if the new one is bad."""
        candidate = App(self.config_path, agent=self.agent)
        new_lock = None
        try:
            problems = self._check(candidate)
            if candidate.store.describe() != self.app.store.describe():  # the config moved the store
                new_lock = candidate.store.daemon_lock().acquire()
        except SocialwatchError as exc:
            log(logging.ERROR, "config reload failed; keeping the running configuration", reason=reason, error=str(exc))
            self._config_digest = self._digest()
            return False
        self._report_problems(problems)
        old, self.app = self.app, _pooled(candidate)
        if new_lock is not None:
            self.daemon_lock.release()
            self.daemon_lock = new_lock
        if old.store is not self.app.store:
            old.store.close()
        self._config_digest = self._digest()
        self.failures.clear()
        self._schedule()
        self._schedule_surveys()
        log(logging.INFO, "configuration reloaded", reason=reason, sources=",".join(self.app.config.enabled_sources()))
        return True

    # ---- jobs ----------------------------------------------------------------------------
    def _interval(self, name: str) -> float:
        table = self.app.config.sources.get(name, {})
        return model.parse_duration(table.get("interval", DEFAULT_INTERVAL)).total_seconds()

    def _schedule(self) -> None:
        sched = self.scheduler
        for job in sched.get_jobs():
            if job.id.startswith("poll:"):
                job.remove()
        now = datetime.now(UTC)
        for name in self.app.config.enabled_sources():
            interval = max(self._interval(name), 0.1)
            sched.add_job(
                self.poll_job,
                "interval",
                args=[name],
                id=f"poll:{name}",
                seconds=interval,
                jitter=min(interval * 0.1, 30.0),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(int(interval / 2), 1),
                next_run_time=now,
                replace_existing=True,
            )

    def poll_job(self, name: str) -> None:
        """One poll of one source; errors are recorded, logged and backed off, never raised."""
        from socialwatch import poller

        if self.stopping.is_set():
            return
        app = self.app
        try:
            if self._isolate():
                report = isolated.poll_in_child(app, name, self.children)
            else:
                report = poller.poll_source(app, name, one_shot=False, stop=self.stopping.is_set)
        except SocialwatchError as exc:  # a config problem (e.g. a variable unset since start)
            log(logging.ERROR, f"poll {name} failed", source=name, error=str(exc))
            self._backoff(name)
            return
        except Exception as exc:  # a bug must not kill the daemon or the job
            log(logging.ERROR, f"poll {name} crashed", source=name, error=f"{type(exc).__name__}: {exc}")
            self._backoff(name)
            return
        self.polls += 1
        fields = {"source": name, "new": report.new, "duplicates": report.duplicates, "angry": report.angry,
                  "viral": report.viral, "calls": report.calls, "duration": round(report.duration, 3),
                  "state": report.state, "errors": 0 if report.ok else 1}
        if report.busy:
            log(logging.INFO, f"poll {name} skipped: another process is polling it", **fields)
            return
        if report.error:
            level = logging.ERROR if report.config_error else logging.WARNING
            log(level, f"poll {name} failed", **fields, error=report.error)
            self._backoff(name)
        else:
            log(logging.INFO, f"poll {name}", **fields)
            if self.failures.pop(name, 0):
                self._reset(name)
        for gap in report.gaps:
            log(logging.WARNING, f"poll {name}: gap", source=name, note=gap)
        self._alert(report.new_ids)
        self._trim()

    def _schedule_surveys(self) -> None:
        """The job that sends due satisfaction surveys ([csat] check_every), when CSAT is on."""
        from socialwatch import csat

        st = csat.settings(self.app.config)
        try:
            self.scheduler.remove_job("csat")
        except Exception:  # (none yet)
            pass
        if st is None:
            return
        every = st.check_every.total_seconds()
        self.scheduler.add_job(self.survey_job, "interval", seconds=every, id="csat", max_instances=1, coalesce=True,
                               misfire_grace_time=max(int(every), 1), next_run_time=datetime.now(UTC))

    def survey_job(self) -> None:
        """Send the surveys that are due; each one exactly once (see `socialwatch.csat`), logged."""
        if self.stopping.is_set():
            return
        try:
            from socialwatch import csat

            for result in csat.send_due(self.app):
                if result.state == "taken":
                    continue
                level = logging.WARNING if result.state in ("failed", "unknown") else logging.INFO
                log(level, f"csat survey {result.state}", case=result.case, detail=result.detail, record=result.record)
        except Exception as exc:  # a bug or a store problem must not kill the daemon
            log(logging.ERROR, "csat surveys failed", error=f"{type(exc).__name__}: {exc}")

    def _isolate(self) -> bool:
        """Poll in forked children (the default), unless `[daemon] isolate = false`."""
        return bool(self.app.config.table("daemon").get("isolate", True)) and isolated.can_fork()

    def _backoff(self, name: str) -> None:
        n = self.failures.get(name, 0) + 1
        self.failures[name] = n
        delay = min(self._interval(name) * (2 ** min(n, 16)), BACKOFF_CAP)
        delay = delay * random.uniform(0.9, 1.1)
        try:
            self.scheduler.modify_job(f"poll:{name}", next_run_time=datetime.now(UTC) + timedelta(seconds=delay))
        except Exception:  # the job may be gone after a reload
            return
        log(logging.INFO, f"backing off {name}", source=name, failures=n, next_poll_in=round(delay, 1))

    def _reset(self, name: str) -> None:
        interval = self._interval(name)
        try:
            self.scheduler.modify_job(f"poll:{name}", next_run_time=datetime.now(UTC) + timedelta(seconds=interval))
        except Exception:
            pass

    def _alert(self, new_ids: list[str]) -> None:
        try:
            from socialwatch import alerts

            alerts.Alerter(self.app).after_poll(new_ids)
        except Exception as exc:
            log(logging.ERROR, "alerts failed", error=f"{type(exc).__name__}: {exc}")

    def _keep_lock(self) -> None:
        """Take the daemon lock again if it was lost (a database connection that dropped);
        stop when another daemon took the store meanwhile."""
        if self.daemon_lock is None or self.daemon_lock.alive():
            return
        lock = self.app.store.daemon_lock()
        try:
            self.daemon_lock = lock.acquire(timeout=0)
        except SocialwatchError as exc:
            log(logging.ERROR, "lost the store's daemon lock: stopping", error=str(exc))
            self.exit_code = 2
            self._stop(signal.SIGTERM, None)
            return
        log(logging.WARNING, "the store's daemon lock was lost (connection dropped) and is taken again")

    def housekeeping(self) -> None:
        """Reload on a changed config file; run the alert checks that are not tied to a poll."""
        self._keep_lock()
        if self.stopping.is_set():
            return
        digest = self._digest()
        if digest is not None and digest != self._config_digest:
            self.reload("config file changed")
        if time.monotonic() - self._last_periodic < HOUSEKEEPING_EVERY:
            return
        self._last_periodic = time.monotonic()
        try:
            from socialwatch import alerts

            alerts.Alerter(self.app).periodic()
        except Exception as exc:
            log(logging.ERROR, "alerts failed", error=f"{type(exc).__name__}: {exc}")

    # ---- lifecycle -----------------------------------------------------------------------
    def _stop(self, signum: int, frame: Any) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        log(logging.INFO, f"received {signal.Signals(signum).name}: finishing running polls and stopping")
        for pid in list(self.children):  # the polls in children store their batch, then stop
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        threading.Thread(target=self._shutdown, daemon=True).start()

    def _shutdown(self) -> None:
        # A stop signal can come while the daemon is still starting: wait for the scheduler to run
        # (`_serve` does not start it once `stopping` is set, and then says so in `_served`).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self._served.is_set():
            scheduler = self.scheduler
            if scheduler is not None and scheduler.running:
                try:
                    scheduler.shutdown(wait=True)
                except Exception:
                    pass
                return
            time.sleep(0.05)

    def _hup(self, signum: int, frame: Any) -> None:
        threading.Thread(target=self.reload, args=("SIGHUP",), daemon=True).start()

    def run(self) -> int:
        """Start polling; returns the exit status (0 after a graceful stop).

        Raises AlreadyRunning (exit 2) when another daemon holds the store.
        """
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        problems = self._check(self.app)
        self.daemon_lock = self.app.store.daemon_lock().acquire()
        try:
            return self._serve(problems)
        finally:
            self._served.set()
            self.daemon_lock.release()
            self.app.store.close()

    def _serve(self, problems: dict[str, str]) -> int:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        # APScheduler's own warnings go through our handlers; a run skipped because the previous
        # poll of that source is still going is expected with short intervals, not news.
        ours = logging.getLogger("socialwatch")
        aps = logging.getLogger("apscheduler")
        aps.setLevel(logging.WARNING)
        aps.propagate = False
        for handler in ours.handlers:
            aps.addHandler(handler)
        logging.getLogger("apscheduler.executors").setLevel(logging.ERROR)
        sources = list(self.app.config.enabled_sources())
        workers = max(2, min(len(sources) + 1, 10))
        self.scheduler = BlockingScheduler(executors={"default": ThreadPoolExecutor(workers)}, timezone=UTC)
        self._schedule()
        self.scheduler.add_job(self.housekeeping, "interval", seconds=WATCH_EVERY, id="housekeeping", max_instances=1,
                               coalesce=True, misfire_grace_time=int(WATCH_EVERY))
        self._schedule_surveys()
        signal.signal(signal.SIGHUP, self._hup)
        log(logging.INFO, "socialwatch daemon started", sources=",".join(sources),
            config=str(self.app.config.path))
        self._report_problems(problems)
        if self.stopping.is_set():  # stopped while starting
            log(logging.INFO, "socialwatch daemon stopped", polls=self.polls)
            return self.exit_code
        self.scheduler.start()  # blocks until shutdown
        log(logging.INFO, "socialwatch daemon stopped", polls=self.polls)
        return self.exit_code
