"""Snapshots of the inbox's main screens (pytest-textual-snapshot): fixed data, a fixed clock.

Update them after a deliberate change of the screens with `pytest tests/test_inbox_snapshots.py
--snapshot-update`, look at the SVGs, and copy `..._main_80x24.svg` to docs/inbox-80x24.svg.
"""

from __future__ import annotations

import pathlib
from datetime import datetime, timezone

import pytest

from tests.inbox_helpers import make_app, setup_store, until

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # a Tuesday, in business hours


@pytest.fixture
def inbox(isolated_home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch):
    from socialwatch import model

    monkeypatch.setattr(model, "utcnow", lambda: NOW)
    setup_store(isolated_home, tmp_path)
    return make_app(clock=lambda: NOW)


async def _loaded(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.conv is not None and app.conv.complete, what="the conversation")
    await pilot.pause(0.2)


def test_main_screen_80x24(inbox, snap_compare) -> None:
    assert snap_compare(inbox, terminal_size=(80, 24), run_before=_loaded)


def test_main_screen_wide(inbox, snap_compare) -> None:
    assert snap_compare(inbox, terminal_size=(140, 36), run_before=_loaded)


def test_composer_with_a_saved_reply(inbox, snap_compare) -> None:
    async def compose(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("r")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "Composer")
        await pilot.press("ctrl+t", "enter")
        await pilot.pause(0.2)

    assert snap_compare(inbox, terminal_size=(80, 24), run_before=compose)


def test_help(inbox, snap_compare) -> None:
    async def help_screen(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
        await pilot.pause(0.2)

    assert snap_compare(inbox, terminal_size=(80, 24), run_before=help_screen)
