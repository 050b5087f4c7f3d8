"""The deployment examples under config/deploy parse, and point at commands that exist."""

from __future__ import annotations

import configparser
import re
import shlex

from tests.conftest import ROOT
from tests.test_cli import sw

DEPLOY = ROOT / "config" / "deploy"
DOCKER_INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
                       "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def _socialwatch_args(command: str) -> list[str]:
    words = shlex.split(command)
    at = next(i for i, w in enumerate(words) if w.endswith("socialwatch"))
    args = []
    for w in words[at + 1:]:
        if w in (">/dev/null", "||", "&&", ";") or w.startswith(">"):
            break
        args.append(w)
    return args


def test_systemd_unit() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keep the case of systemd keys
    parser.read(DEPLOY / "socialwatch.service")
    assert set(parser.sections()) == {"Unit", "Service", "Install"}
    service = parser["Service"]
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM" and "HUP" in service["ExecReload"]
    args = _socialwatch_args(service["ExecStart"])
    assert args[0] == "run"
    assert sw(*args, "--help")[0] == 0  # the options exist


def test_crontab_lines() -> None:
    field = r"(\*|\d+|\*/\d+|\d+-\d+|\d+(,\d+)+)"
    entries = []
    for line in (DEPLOY / "crontab").read_text().splitlines():
        if not line.strip() or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        m = re.match(rf"^{field} {field} {field} {field} {field} (.+)$", line)
        assert m, line
        entries.append(m.group(m.lastindex))
    assert entries
    for command in entries:
        assert sw(*_socialwatch_args(command)[:1], "--help")[0] == 0


def test_dockerfile_instructions() -> None:
    lines = [line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0].startswith("FROM python:3.11")
    for line in lines:
        assert line.split()[0] in DOCKER_INSTRUCTIONS, line
    text = "\n".join(lines)
    assert "HEALTHCHECK" in text and "socialwatch health" in text and "STOPSIGNAL SIGTERM" in text
    assert "socialwatch run" in text
