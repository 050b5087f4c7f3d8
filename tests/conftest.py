"""Shared test set-up: every test gets its own SOCIALWATCH_HOME; no test touches the network."""

from __future__ import annotations

import os
import pathlib
import socket

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def shared_fixtures() -> pathlib.Path:
    """The shared recordings and data (`../shared/fixtures` beside the checkout, or $SOCIALWATCH_FIXTURES)."""
    env = os.environ.get("SOCIALWATCH_FIXTURES")
    candidates = [pathlib.Path(env)] if env else []
    candidates += [ROOT.parent / "shared" / "fixtures", ROOT.parent.parent / "shared" / "fixtures"]
    for path in candidates:
        if path.is_dir():
            return path
    raise RuntimeError("shared fixtures not found: set SOCIALWATCH_FIXTURES or check out ../shared beside the project")


@pytest.fixture
def fixtures_dir() -> pathlib.Path:
    return shared_fixtures()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch) -> pathlib.Path:
    """Each test's own SOCIALWATCH_HOME (config and data), and no user dirs touched."""
    home = tmp_path / "swhome"
    home.mkdir()
    monkeypatch.setenv("SOCIALWATCH_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("SOCIALWATCH_AGENT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return home


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a real network connection fails the test loudly."""

    def guard(*args, **kwargs):
        raise RuntimeError("tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)
