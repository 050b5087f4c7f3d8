"""Daemon memory and CPU over many poll cycles (run by hand; needs psutil).

    .venv/bin/python bench/bench_daemon_memory.py [--cycles 1000] [--interval 0.1]

Starts `socialwatch run` on the demo source with a short interval while an "agent" resolves
the queue every few seconds (as a team would: the open work stays small, history grows), and
samples the daemon's resident memory. Target: RSS grows by less than 10% between the end of
warm-up (the first 10% of cycles) and the last cycle. Also reports the CPU the daemon used
while idle between jobs (target: near zero).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import signal
import subprocess
import sys
import tempfile
import time

import psutil

BIN = pathlib.Path(sys.executable).parent
SW = str(BIN / "socialwatch")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=0.1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SOCIALWATCH_HOME": home}
        subprocess.run([SW, "init"], env=env, check=True, stderr=subprocess.DEVNULL)
        config = pathlib.Path(home) / "socialwatch.toml"
        config.write_text(re.sub(r'interval = "5m"', f'interval = "{args.interval}s"', config.read_text()))
        log = pathlib.Path(home) / "daemon.log"
        daemon = subprocess.Popen([SW, "run", "--log-file", str(log)], env=env)
        proc = psutil.Process(daemon.pid)
        warm = max(args.cycles // 10, 20)
        samples: list[tuple[int, int]] = []
        last_resolve = time.monotonic()
        try:
            while True:
                time.sleep(0.5)
                polls = log.read_text().count("poll demo source=") if log.exists() else 0
                samples.append((polls, proc.memory_info().rss))
                if time.monotonic() - last_resolve > 3:
                    subprocess.run([SW, "--as", "bench", "resolve", "--where", "--yes"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    last_resolve = time.monotonic()
                if polls >= args.cycles:
                    break
                if daemon.poll() is not None:
                    raise SystemExit("the daemon died")
            # idle CPU: a long interval, then measure CPU seconds over 5 s of wall time
            config.write_text(re.sub(r'interval = "[0-9.]+s"', 'interval = "1h"', config.read_text()))
            time.sleep(7)  # the config watcher reloads within 5 s
            cpu0 = sum(proc.cpu_times()[:2])
            time.sleep(5)
            idle_cpu = (sum(proc.cpu_times()[:2]) - cpu0) / 5
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
        after_warmup = next(rss for polls, rss in samples if polls >= warm)
        final = samples[-1][1]
        growth = (final - after_warmup) / after_warmup
        print(f"daemon: {samples[-1][0]} polls at {args.interval}s; RSS after warm-up ({warm} polls) "
              f"{after_warmup / 1e6:.1f} MB, at the end {final / 1e6:.1f} MB: {growth:+.1%} (target < +10%)")
        print(f"idle CPU between jobs: {idle_cpu:.1%} of one core; exit status after SIGTERM {daemon.returncode}")


if __name__ == "__main__":
    main()
