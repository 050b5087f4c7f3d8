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


def _ids(app) -> list[str]:
    return list(app.table.ids)


def test_keys_move_switch_views_search_filter_help_and_command_line(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    assert sw("--as", "tom", "assign", "twitter:300")[0] == 0
    assert sw("--as", "priya", "assign", "twitter:200")[0] == 0

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            assert _ids(app) == ["twitter:100", "twitter:200", "twitter:300"]
            await pilot.press("j")
            assert app.current == "twitter:200"
            await pilot.press("G")
            assert app.current == "twitter:300"
            await pilot.press("k", "g")
            assert app.current == "twitter:100"
            await pilot.press("1")  # mine
            assert _ids(app) == ["twitter:200"] and app.current == "twitter:200"
            await pilot.press("2")  # unassigned
            assert _ids(app) == ["twitter:100"]
            await pilot.press("3", "tab")  # all open, then the next view: pending
            assert app.inbox.view == "pending" and _ids(app) == []
            await pilot.press("shift+tab")
            assert app.inbox.view == "open"
            await pilot.press("slash")
            await pilot.press(*"bill", "enter")  # free-text search
            assert _ids(app) == ["twitter:200"]
            await pilot.press("escape")  # clears the search
            assert len(_ids(app)) == 3
            await pilot.press("colon", *"filter --angry", "enter")  # the triage filters
            assert _ids(app) == ["twitter:100"]
            await pilot.press("colon", *"view mine", "enter")
            assert app.inbox.view == "mine" and _ids(app) == []
            await pilot.press("colon", *"clear", "enter", "3")
            assert len(_ids(app)) == 3
            await pilot.press("colon", *"nonsense", "enter")
            assert "unknown command" in app.status_text
            await pilot.press("question_mark")
            await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            text = screen_text(app)
            assert "Inbox keys" in text and "reply in public" in text
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.press("enter")  # read: the conversation full screen at 80 columns
            assert app.screen.maximized is not None
            await pilot.press("escape")
            assert app.screen.maximized is None
            await pilot.press("q")
        assert app._exit  # q quits
    run(go())


def test_assign_tag_note_escalate_snooze_undo_claim(isolated_home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> None:
    setup_store(isolated_home, tmp_path, backend=backend)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("a", "enter")  # assign to me
            await idle(pilot, app)
            await pilot.press("a", *"sa", "tab", "enter")  # a colleague, completed from the known agents
            await idle(pilot, app)
            await pilot.press("t", *"outage vip", "enter")
            await idle(pilot, app)
            await pilot.press("n", *"called the customer", "enter")
            await idle(pilot, app)
            await pilot.press("e", *"bil", "tab", "enter", *"double charge", "enter")
            await idle(pilot, app)
            shown = json.loads(sw("show", "twitter:100", "--json")[1])
            assert shown["assignee"] == "sam" and set(shown["tags"]) >= {"outage", "vip"}
            assert shown["notes"][-1]["text"] == "called the customer" and shown["team"] == "billing"
            assert shown["escalations"][-1]["reason"] == "double charge"
            await pilot.press("u")  # undo the escalation
            await idle(pilot, app)
            shown = json.loads(sw("show", "twitter:100", "--json")[1])
            assert shown["team"] == "network" and not shown.get("escalations")  # as routing had set it
            assert "undid escalate" in app.status_text
            await pilot.press("s", "ctrl+u", *"2h", "enter")  # snooze: leaves the queue
            await until(pilot, lambda: "twitter:100" not in _ids(app))
            await idle(pilot, app)
            assert "twitter:100" not in [m["id"] for m in lines(sw("triage", "--json")[1])]
            await pilot.press("6")  # the snoozed view
            await until(pilot, lambda: _ids(app) == ["twitter:100"])
            await pilot.press("3", "u")  # undo the snooze: back in the queue
            await idle(pilot, app)
            await until(pilot, lambda: "twitter:100" in _ids(app))
            await pilot.press("c")  # claim the next unassigned: the DM
            await idle(pilot, app)
            await until(pilot, lambda: app.current == "twitter:200")
    run(go())
    assert json.loads(sw("show", "twitter:200", "--json")[1])["assignee"] == "priya"
    assert not json.loads(sw("show", "twitter:100", "--json")[1]).get("snoozed_until")
    actions = [e["action"] for e in lines(sw("history", "twitter:100", "--json")[1])]
    assert actions.count("undo") == 2


def test_resolve_ignore_and_a_refused_undo(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("d")  # done: the cursor moves on at once
            assert app.current == "twitter:200"
            await idle(pilot, app)
            await pilot.press("i")
            assert app.current == "twitter:300"
            await idle(pilot, app)
            assert sw("--as", "tom", "reopen", "twitter:200")[0] == 0  # someone changed it since
            await pilot.press("u")
            await idle(pilot, app)
            assert "changed since" in app.status_text
    run(go())
    assert json.loads(sw("show", "twitter:100", "--json")[1])["status"] == "resolved"
    assert json.loads(sw("show", "twitter:200", "--json")[1])["status"] == "open"  # tom's reopen stands
