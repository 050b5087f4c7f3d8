"""The triage inbox (socialwatch/triage/), driven headless by Textual's Pilot."""

from __future__ import annotations

import json
import pathlib

from tests.inbox_helpers import idle, make_app, run, screen_text, setup_store, until
from tests.test_cli import lines, sw, write_jsonl


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
            await pilot.press("ctrl+t", "enter")  # the saved replies; the highlighted one: "sorry" (tags angry)
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
            await pilot.pause(0.1)
            shown = screen_text(app).splitlines()
            assert app.reading_full and not app.table.display and app.focused is app.pane
            assert app.pane.region.height == 24 - 2  # all but the view bar and the key bar
            assert shown[0].startswith("1:Mine") and "esc back" in shown[-1]  # neither is hidden
            await pilot.press("escape")
            assert not app.reading_full and app.table.display and app.focused is app.table
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


def test_a_dm_is_answered_privately_unless_the_agent_switches_and_confirms(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                          backend: str) -> None:
    setup_store(isolated_home, tmp_path, backend=backend)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("j", "r")  # the DM; "reply in public" key
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            composer = app.screen
            assert composer.visibility == "private" and "PRIVATE MESSAGE" in screen_text(app)
            assert [t.name for t in composer.shown] == ["billing-dm"]  # only replies written to be private
            await pilot.press("ctrl+t", "enter")
            assert composer.visibility == "private"
            await pilot.press("ctrl+p")  # switch to public: asks first
            await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
            await pilot.press("n")
            await until(pilot, lambda: app.screen is composer)
            assert composer.visibility == "private"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
            assert "sent private reply" in app.status_text
            # answered: the case waits on the customer, in the pending view, not in the work views
            await until(pilot, lambda: "twitter:200" not in app.table.ids, what="the answered DM to leave Open")
            await pilot.press("4")
            await until(pilot, lambda: app.current == "twitter:200", what="the DM in the pending view")
            # a second reply, switched to public and confirmed: the library gets the confirmation
            await pilot.press("r")
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            composer = app.screen
            await pilot.press(*"Public answer, as you asked.", "ctrl+p")  # (the composer opens in the reply text)
            await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
            await pilot.press("y")
            await until(pilot, lambda: app.screen is composer)
            assert composer.visibility == "public" and "PUBLIC REPLY" in screen_text(app)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
    run(go())
    records = lines(sw("outbox", "--all", "--json")[1])
    assert [(r["mention_id"], r["visibility"], r["state"]) for r in records][0] == ("twitter:200", "private", "sent")
    assert records[0]["text"].startswith("Hi bob, sorry about the bill. I've opened case CASE-")
    # the second reply needs --again in the library: refused, and the text kept as a draft
    assert len(records) == 1
    assert json.loads(sw("show", "twitter:200", "--json")[1])["draft"]["text"] == "Public answer, as you asked."


def test_live_updates_and_collisions_from_another_process(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                         backend: str) -> None:
    import subprocess
    import sys

    setup_store(isolated_home, tmp_path, backend=backend)

    def other(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "socialwatch", "--as", "tom", *args], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr

    async def go() -> None:
        app = make_app(live_updates=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100" and app.conv is not None and app.conv.complete)
            await pilot.press("j", "j")  # the agent's place: twitter:300
            assert app.current == "twitter:300"
            other("claim", "--json")  # tom takes the top of the queue, in another process
            await until(pilot, lambda: (app.inbox.find("twitter:100") or {}).get("assignee") == "tom", what="tom's claim")
            assert app.current == "twitter:300" and app.focused is app.table  # place and focus kept
            assert any("tom" in row and "open" in row for row in screen_text(app).splitlines() if "@ann" in row)
            other("reply", "twitter:300", "--text", "Hi, go to My Account > Plan.", "-y")  # on the mention on screen
            await until(pilot, lambda: (app.inbox.find("twitter:300") or {}).get("status") == "pending", what="tom's reply")
            await until(pilot, lambda: any("tom replied" in n.message for n in app._notifications), what="a heads-up")
            # answered: it waits on the customer, in the pending view (the work views list what awaits us)
            assert "twitter:300" not in app.table.ids and app.focused is app.table
            await pilot.press("4")
            await until(pilot, lambda: app.current == "twitter:300", what="the answered mention in the pending view")
            await until(pilot, lambda: app.conv is not None and any(r.get("agent") == "tom" for r in app.conv.replies),
                        what="tom's reply in the conversation")
            await pilot.press("3", "G")  # back to all open, on its last mention
            place = app.current
            other("import", str(write_jsonl(tmp_path / "new.jsonl", [
                {"id": "twitter:400", "text": "FURIOUS!!! charged 3 times, cancel everything, lawyer",
                 "author": {"handle": "dee"}}])))
            await until(pilot, lambda: "twitter:400" in app.table.ids, what="the new mention")
            assert app.current == place  # the place kept
            # tom opens the DM in his own inbox process: priya, moving there, sees it
            from socialwatch import presence
            from socialwatch.app import App
            presence.mark_viewing(App().store, "tom", "twitter:200")
            await pilot.press("colon", *"view open", "enter")
            while app.current != "twitter:200":
                await pilot.press("k" if app.table.ids.index(app.current) > app.table.ids.index("twitter:200") else "j")
            await until(pilot, lambda: app.conv is not None and app.conv.complete and
                        any("tom is viewing it" in c for c in app.conv.collisions), what="tom's presence")
            assert "tom is viewing it" in screen_text(app)
    run(go())


def test_viewing_mentions_never_looks_like_a_change_to_the_queue(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                 backend: str) -> None:
    setup_store(isolated_home, tmp_path, backend=backend)
    seen: list[dict] = []

    async def go() -> None:
        app = make_app(live_updates=True)
        real = app.apply_changes
        app.apply_changes = lambda changes, *rest: (seen.extend(changes), real(changes, *rest))  # type: ignore[method-assign]
        async with app.run_test(size=(80, 24)) as pilot:
            for key in ("j", "j", "k", "k"):
                await pilot.press(key)
                await pilot.pause(0.8)  # (the live feed looks every second)
            await pilot.pause(1.5)
    run(go())
    assert seen == []


def test_hostile_text_is_shown_inert_and_huge_texts_are_clipped_in_the_list(isolated_home: pathlib.Path,
                                                                           tmp_path: pathlib.Path) -> None:
    huge = "A" * 60_000 + " END-OF-HUGE"
    setup_store(isolated_home, tmp_path, [
        {"id": "twitter:1", "text": "pwned \x1b]0;title\x07 \x1b[2J [bold red]markup[/] [@click=app.quit]x[/] \u202eevil\u202c",
         "author": {"handle": "[b]mallory\x1b[31m", "name": "\u202e Mallory"}},
        {"id": "twitter:2", "text": huge, "author": {"handle": "long"}}])

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            if app.current != "twitter:1":
                await pilot.press("j")
            await until(pilot, lambda: app.conv is not None and app.conv.complete and app.conv.mention["id"] == "twitter:1")
            text = screen_text(app)
            assert "\x1b" not in text and "\u202e" not in text
            assert "[bold red]markup[/]" in text and "[@click=app.quit]x[/]" in text  # as typed, not markup
            assert "\\x1b" in text and "<U+202E>" in text  # visible escapes
            row = next(line for line in text.splitlines() if "@long" in line)
            assert len(row) <= 80 and "END-OF-HUGE" not in row
            await pilot.press("k" if app.table.ids[0] == "twitter:2" else "j", "enter")  # the huge one, full screen
            await until(pilot, lambda: app.conv is not None and app.conv.mention["id"] == "twitter:2" and app.conv.complete)
            pane = app.pane
            assert pane.virtual_size.height > 200 and pane.max_scroll_y > 0
            await pilot.press("J", "J")
            assert pane.scroll_y > 0
            assert not app._exit  # the [@click=app.quit] link did nothing
    run(go())


def test_layout_stacked_at_80x24_side_by_side_when_wide_and_no_color(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                     monkeypatch) -> None:
    setup_store(isolated_home, tmp_path)

    async def go(size: tuple[int, int]) -> tuple[bool, int, int]:
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: app.current is not None)
            await pilot.pause(0.2)
            main = app.screen.query_one("#main")
            return main.has_class("stacked"), app.table.region.x, app.pane.region.x
    stacked, table_x, pane_x = run(go((80, 24)))
    assert stacked and table_x == pane_x == 0
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    assert app.no_color and app.ansi_color  # NO_COLOR honoured; the terminal's own ANSI colours otherwise
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not make_app().no_color
    stacked, table_x, pane_x = run(go((140, 40)))
    assert not stacked and pane_x > table_x


def test_a_failed_or_unknown_send_is_visible_on_the_mention(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    (isolated_home / "outbox" / "replies.jsonl").mkdir(parents=True)  # the responder cannot write: unknown outcome

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("j", "j", "r", *"Go to My Account.", "ctrl+s")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
            assert "unknown" in app.status_text
            await until(pilot, lambda: app.inbox.sending.get("twitter:300") == "unknown", what="the reload")
            row = next(line for line in screen_text(app).splitlines() if "@cy" in line)
            assert "!" in row
            await until(pilot, lambda: app.conv is not None and app.conv.complete and app.conv.replies)
            assert "OUTCOME UNKNOWN" in screen_text(app) or app.conv.replies[0]["state"] == "unknown"
    run(go())
    assert lines(sw("outbox", "--json")[1])[0]["state"] == "unknown"


def test_the_composer_counts_against_the_platform_limit_and_refuses_too_long(isolated_home: pathlib.Path,
                                                                           tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("r", *("x" * 30))
            assert " 30/280 " in screen_text(app)
            app.screen.query_one("TextArea").load_text("y" * 290)
            await pilot.pause(0.1)
            assert " 290/280 " in screen_text(app) and "10 over the limit" in screen_text(app)
            await pilot.press("ctrl+s")  # refused: still composing
            await pilot.pause(0.2)
            assert type(app.screen).__name__ == "Composer"
            await pilot.press("escape")  # closing keeps the text as a draft
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
    run(go())
    assert lines(sw("outbox", "--all", "--json")[1]) == []
    assert json.loads(sw("show", "twitter:100", "--json")[1])["draft"]["text"] == "y" * 290


def test_ctrl_c_in_a_prompt_cancels_the_prompt_and_open_without_a_browser_shows_the_link(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch) -> None:
    records = [{**r, "url": f"https://social.example/{r['id']}"} for r in __import__("tests.inbox_helpers").inbox_helpers.RECORDS]
    setup_store(isolated_home, tmp_path, records)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("t", *"vip", "ctrl+c")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.press("n", *"half a note", "escape")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            assert not app._exit
            await pilot.press("o")
            await until(pilot, lambda: "the link: https://social.example/twitter:100" in app.status_text)
            assert "no browser available here" in app.status_text
    run(go())
    m = json.loads(sw("show", "twitter:100", "--json")[1])
    assert "vip" not in m["tags"] and not m.get("notes")


def test_triage_json_show_and_help_never_load_textual(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    import subprocess
    import sys

    setup_store(isolated_home, tmp_path)
    probe = ("import sys; from socialwatch.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print('TEXTUAL' if any(m == 'textual' or m.startswith(('textual.', 'rich')) for m in sys.modules) else 'CLEAN',"
             " file=sys.stderr)\n")
    for args in (["triage", "--json"], ["triage", "--list"], ["show", "twitter:100"], ["show", "twitter:100", "--json"],
                 ["--help"], ["triage", "--help"]):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60)
        assert done.stderr.strip().splitlines()[-1] == "CLEAN", (args, done.stderr)


def test_the_mouse_picks_mentions_and_views(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    assert sw("--as", "priya", "assign", "twitter:300")[0] == 0

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.click("#queue", offset=(20, 3))  # the third row (under the header)
            await until(pilot, lambda: app.current == "twitter:300", what="the clicked row")
            bar = app.screen.query_one("#views")
            start, _, _ = next(span for span in bar.spans if span[2] == "mine")
            await pilot.click("#views", offset=(start + 2, 0))
            await until(pilot, lambda: app.inbox.view == "mine", what="the clicked view")
            assert app.table.ids == ["twitter:300"]
    run(go())


def test_the_conversation_shows_the_cases_satisfaction_survey(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from socialwatch import workflow
    from socialwatch.app import App

    setup_store(isolated_home, tmp_path)

    def surveyed(m: dict) -> None:
        m["csat_survey"] = {"state": "sent", "sent_at": "2026-12-01T09:30:00Z"}
        m["csat"] = {"score": 4, "satisfied": True, "comment": "quick \x1b[31mhelp", "answered_at": "2026-12-01T09:40:00Z"}

    workflow.change(App(agent="priya"), "twitter:100", "test", surveyed)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(100, 40)) as pilot:
            await until(pilot, lambda: app.conv is not None and app.conv.complete)
            text = screen_text(app)
            assert "CSAT survey sent" in text and "answer 4/5 (satisfied" in text and "quick \\x1b[31mhelp" in text
    run(go())


def test_the_team_view_cycles_through_the_teams(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    assert sw("escalate", "twitter:300", "--to", "sales", "--reason", "upgrade")[0] == 0

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            teams = {m["id"]: m.get("team") for m in app.inbox.mentions}
            with_team = sorted(i for i, t in teams.items() if t)
            await pilot.press("5")  # every mention that has a team
            assert app.inbox.view == "team" and app.inbox.team is None and sorted(app.table.ids) == with_team
            seen = []
            for _ in app.inbox.teams():
                await pilot.press("5")  # again: the next team
                seen.append(app.inbox.team)
                assert app.table.ids == [i for i in app.table.ids if teams[i] == app.inbox.team]
            assert seen == app.inbox.teams() and "sales" in seen
            await pilot.press("5")  # after the last team: all teams again
            assert app.inbox.team is None
    run(go())
