"""Driving the triage inbox in tests: Textual's headless Pilot, a store filled through the CLI."""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.test_cli import sw, write_jsonl

NOW_ISO = "2026-12-01T10:00:00Z"

#: A small queue: an angry public complaint, a DM, a calm question, a thread follow-up.
RECORDS = [
    {"id": "twitter:100", "text": "WORST service ever!!! no signal for 3 days, cancel my account", "kind": "mention",
     "author": {"handle": "ann", "name": "Ann", "followers": 120}, "created_at": "2026-12-01T08:00:00Z", "lang": "en"},
    {"id": "twitter:200", "text": "My bill is wrong again, charged twice. Account 4411.", "kind": "dm",
     "author": {"handle": "bob"}, "created_at": "2026-12-01T09:00:00Z", "lang": "en"},
    {"id": "twitter:300", "text": "how do I change my plan?", "author": {"handle": "cy"},
     "created_at": "2026-12-01T09:30:00Z", "lang": "en"},
]

TEMPLATES = '''
[templates.sorry]
visibility = "public"
tags = ["angry", "outage"]
description = "Apologise and move to DM"
text = "Hi {author}, I'm sorry about this. Could you DM us your account number? {agent}"

[templates.billing-dm]
visibility = "private"
tags = ["billing", "dm"]
description = "Private follow-up on a bill"
text = "Hi {name}, sorry about the bill. I've opened case {case}. {agent}"

[templates.thanks]
visibility = "public"
tags = ["praise"]
description = "Thank a happy customer"
text = "Thanks so much {author}! {agent}"
'''


def setup_store(home: pathlib.Path, tmp: pathlib.Path, records: list[dict] | None = None, backend: str = "tinydb") -> None:
    """`socialwatch init` in `home`, the backend chosen, the records imported, our templates."""
    from tests.conftest import use_backend

    code, _, err = sw("init")
    assert code == 0, err
    use_backend(home, backend)
    config = home / "socialwatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[triage]\nagents = ["sam", "tom"]\n', encoding="utf-8")
    (home / "templates.toml").write_text(TEMPLATES, encoding="utf-8")
    code, _, err = sw("import", str(write_jsonl(tmp / "queue.jsonl", records or RECORDS)))
    assert code == 0, err


def make_app(agent: str = "priya", live_updates: bool = False, clock: Callable[[], Any] | None = None, **kw: Any) -> Any:
    """The inbox on this test's store, as `agent`."""
    from socialwatch.app import App
    from socialwatch.triage.app import InboxApp

    return InboxApp(App(agent=agent), live_updates=live_updates, clock=clock, **kw)


async def until(pilot: Any, cond: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Let the app run until `cond()` holds (a hang guard, not a speed target)."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what or cond}"
        await pilot.pause(0.05)


async def idle(pilot: Any, app: Any) -> None:
    """Wait until the app's actions and workers are done."""
    await until(pilot, lambda: app.busy == 0, what="the actions to finish")
    await pilot.pause(0.1)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def screen_text(app: Any) -> str:
    """What the terminal shows, as plain text lines (the active screen's compositor)."""
    return "\n".join(strip.text.rstrip() for strip in app.screen._compositor.render_strips())
