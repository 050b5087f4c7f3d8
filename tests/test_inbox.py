"""The triage inbox (socialwatch/triage/), driven headless by Textual's Pilot."""

from __future__ import annotations

import json
import pathlib

from tests.inbox_helpers import idle, make_app, run, screen_text, setup_store, until
from tests.test_cli import lines, sw


def test_common_path_read_reply_with_a_saved_reply_send_and_resolve_next(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                          backend: str) -> None:
    setup_store(isolated_home, tmp_path, backend=backend)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100", what="the first mention")
            assert "WORST service ever" in screen_text(app)
            await pilot.press("r")  # reply: the composer, with the saved replies that suit it first
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            await pilot.press("enter")  # the highlighted saved reply: "sorry" (tags angry)
            await pilot.press("ctrl+r")  # send and resolve
            await until(pilot, lambda: app.current == "twitter:200", what="the next mention")
            await idle(pilot, app)
            assert "sent public reply" in app.status_text and "resolved" in app.status_text
    run(go())
    shown = json.loads(sw("show", "twitter:100", "--json")[1])
    assert shown["status"] == "resolved" and shown["first_response_at"]
    records = lines(sw("outbox", "--all", "--json")[1])
    assert len(records) == 1 and records[0]["state"] == "sent" and records[0]["visibility"] == "public"
    assert records[0]["text"] == "Hi @ann, I'm sorry about this. Could you DM us your account number? priya"
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["twitter:200", "twitter:300"]
