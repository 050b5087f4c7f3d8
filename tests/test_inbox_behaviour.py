"""The triage inbox as a QA engineer tried it at 80x24: filters, the clock, views, search,
prompts, the composer, completion and the header (Textual's Pilot; see test_triage_tty.py for
the keys on a real terminal)."""

from __future__ import annotations

import collections
import json
import pathlib
from datetime import timedelta

import pytest

from tests.inbox_helpers import RECORDS, idle, make_app, run, screen_text, setup_store, until
from tests.test_cli import lines, sw, write_jsonl

#: Two Welsh mentions (a question, a thank-you) beside the English queue.
WELSH = [
    {"id": "twitter:500", "text": "Dim signal o gwbl ym Mhenrhyndeudraeth ers tridiau. Unrhyw newyddion?",
     "author": {"handle": "sian"}, "created_at": "2026-12-01T09:40:00Z", "lang": "cy"},
    {"id": "twitter:600", "text": "Diolch yn fawr am eich help heddiw, gwasanaeth gwych!", "author": {"handle": "dafydd"},
     "created_at": "2026-12-01T09:45:00Z", "lang": "cy"},
]


def _ids(app) -> list[str]:
    return list(app.table.ids)


def _screen(app) -> str:
    return screen_text(app)


# ---- 3: :filter takes every filter triage takes; the header shows them -------------------------
def test_every_triage_filter_option_is_a_filter_command_option_and_back() -> None:
    from socialwatch import filter_options
    from socialwatch.commands.queue import triage

    not_filters = {"--limit", "-n", "--json", "--list", "-h", "--help"}
    cli_options = {o for p in triage.params for o in p.opts} - not_filters
    assert cli_options == {o for p in filter_options.params() for o in p.opts}
    every = ["--source", "x", "--status", "open", "--min-priority", "50", "--angry", "--viral", "--needs-response",
             "--intent", "question", "--language", "cy", "--assignee", "tom", "--tag", "vip", "--match", "two words"]
    f = filter_options.parse(every)
    assert filter_options.parse(filter_options.words(f)) == f  # what the header shows reads back the same
    long_names = {o for p in filter_options.params() for o in p.opts if o.startswith("--")}
    assert set(w for w in filter_options.words(f) if w.startswith("--")) == long_names
    assert filter_options.describe(filter_options.parse(["--match", "two words"])) == "--match 'two words'"


@pytest.mark.parametrize("args", [["--language", "cy"], ["--needs-response", "--intent", "question"],
                                  ["--language", "cy", "--needs-response"], ["--intent", "praise"], ["--angry"],
                                  ["--min-priority", "80"], ["--source", "import"]])
def test_filter_command_shows_what_triage_lists_with_the_same_options(isolated_home: pathlib.Path, tmp_path: pathlib.Path,
                                                                    args: list[str]) -> None:
    from socialwatch import filter_options

    setup_store(isolated_home, tmp_path, RECORDS + WELSH)
    expected = [m["id"] for m in lines(sw("triage", "--json", *args)[1])]

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            await pilot.press("colon", *("filter " + " ".join(args)), "enter")
            assert "unknown" not in app.status_text and _ids(app) == expected
            shown = filter_options.describe(filter_options.parse(args))  # (the options' own order)
            assert f":filter {shown}" in _screen(app).splitlines()[1]  # the filter bar, under the views
    run(go())
    assert expected  # (each case lists something)


def test_a_filter_mistake_is_said_and_changes_nothing(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path, RECORDS + WELSH)
    questions = [m["id"] for m in lines(sw("triage", "--json", "--intent", "question")[1])]
    assert questions and len(questions) < 5  # (a filter that lists some, not all)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            await pilot.press("colon", *"filter --intent question", "enter")
            assert _ids(app) == questions
            await pilot.press("colon", *"filter --intent nonsense", "enter")
            assert "Invalid value for '--intent'" in app.status_text and _ids(app) == questions
            await pilot.press("colon", *"filter --lang cy", "enter")
            assert "No such option" in app.status_text and "--language" in app.status_text
            await pilot.press("colon", *"filter", "enter")  # no options: cleared
            assert len(_ids(app)) == 5 and "filters cleared" in app.status_text
    run(go())


def test_the_header_shows_the_filters_triage_was_started_with_and_those_typed(isolated_home: pathlib.Path,
                                                                             tmp_path: pathlib.Path) -> None:
    from socialwatch import filter_options

    setup_store(isolated_home, tmp_path, RECORDS + WELSH)

    async def go() -> None:
        app = make_app(filters=filter_options.parse(["--language", "cy", "--needs-response"]))
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            assert _ids(app) == ["twitter:500"]
            bar = _screen(app).splitlines()[1]
            assert "triage --needs-response --language cy" in bar and "esc" not in bar
            await pilot.press("colon", *"filter --intent question", "enter", "slash", *"signal", "enter")
            bar = _screen(app).splitlines()[1]
            assert "triage --needs-response --language cy · :filter --intent question · /signal" in bar
            await pilot.press("escape")  # clears what was typed in the inbox; the started-with filters stay
            bar = _screen(app).splitlines()[1]
            assert "triage --needs-response --language cy" in bar and ":filter" not in bar and "/signal" not in bar
            assert _ids(app) == ["twitter:500"]
    run(go())


def test_no_filter_no_filter_bar(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            assert _screen(app).splitlines()[1].startswith("pri flags")  # the queue's header, right under the views
    run(go())


def test_a_read_that_finishes_while_the_inbox_closes_draws_nothing(isolated_home: pathlib.Path,
                                                                 tmp_path: pathlib.Path) -> None:
    """A conversation read in a worker thread can come back while the app shuts down (its
    widgets already gone): it is dropped, not an error (this failed a CI run now and then)."""
    from socialwatch.triage.app import Later

    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.conv is not None)
            conv = app.conv
            drawn = []
            app.on_later(Later(drawn.append, (1,)))
            assert drawn == [1]  # while running: run
        app.conv = None  # (so that the late read is not "nothing new")
        app.on_later(Later(app._conversation_read, (conv,)))  # closed: no NoMatches from the gone pane
        app.on_later(Later(drawn.append, (2,)))
        assert drawn == [1]
    run(go())


# ---- 6: the inbox follows the clock ------------------------------------------------------------
def test_ages_sla_order_and_due_snoozes_follow_the_clock_without_moving_cursor_or_focus(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from socialwatch import model

    now = model.utcnow()
    records = [{**r, "created_at": model.iso(now - timedelta(minutes=20 + 5 * i))} for i, r in enumerate(RECORDS)]
    setup_store(isolated_home, tmp_path, records)
    assert sw("snooze", "twitter:300", "--for", "1m")[0] == 0
    offset = [timedelta(0)]

    async def go() -> None:
        app = make_app(clock=lambda: model.utcnow() + offset[0])
        app.clock_every = 0.2
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            assert _ids(app) == ["twitter:100", "twitter:200"] and "6:Snz 1" in _screen(app)
            await pilot.press("j", "n", *"half a no")  # on the DM, typing a note
            row = next(line for line in _screen(app).splitlines() if "@bob" in line)
            assert " 25m " in row
            offset[0] = timedelta(hours=1, minutes=2)  # an hour later: the snooze is due
            await until(pilot, lambda: "twitter:300" in _ids(app), what="the due snooze back in the queue")
            assert app.current == "twitter:200" and type(app.screen).__name__ == "Prompt"  # place and prompt kept
            assert app.screen.query_one("Input").value == "half a no"
            await pilot.press(*"te", "escape")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            text = _screen(app)
            row = next(line for line in text.splitlines() if "@bob" in line)
            assert " 1h " in row and " 25m " not in row  # the age moved on
            assert "6:Snz 0" in text and app.focused is app.table and app.current == "twitter:200"
    run(go())


def test_the_order_follows_the_waiting_factor_as_time_passes(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from socialwatch import model

    now = model.utcnow()
    # a billing question (60) waiting 23h (+14) above a likelier problem (65) just in; a day later both
    # have waited past the cap (+15): the likelier problem first
    setup_store(isolated_home, tmp_path, [
        {"id": "twitter:1", "text": "can you help with my bill?", "author": {"handle": "waiting"},
         "created_at": model.iso(now - timedelta(hours=23))},
        {"id": "twitter:2", "text": "is there an outage in Leeds?", "author": {"handle": "new"}, "created_at": model.iso(now)}])
    offset = [timedelta(0)]

    async def go() -> None:
        app = make_app(clock=lambda: model.utcnow() + offset[0])
        app.clock_every = 0.2
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            assert _ids(app) == ["twitter:1", "twitter:2"] and app.current == "twitter:1"
            before = [line.split()[0] for line in _screen(app).splitlines()[2:4]]
            offset[0] = timedelta(hours=24)  # a day later both have waited long: the likelier problem first
            await until(pilot, lambda: _ids(app) == ["twitter:2", "twitter:1"], what="the new order")
            after = [line.split()[0] for line in _screen(app).splitlines()[2:4]]
            later = app.now()
            assert after == [str(model.effective_priority(app.inbox.find(i), later)) for i in _ids(app)] and after != before
            assert app.current == "twitter:1"  # the cursor stayed on its mention
    run(go())


# ---- 11: the work views list what awaits us; pending has its own view ---------------------------
def test_pending_cases_are_in_their_own_view_and_never_above_what_awaits_us(isolated_home: pathlib.Path,
                                                                            tmp_path: pathlib.Path, backend: str) -> None:
    setup_store(isolated_home, tmp_path, backend=backend)
    assert sw("reply", "twitter:300", "--text", "Go to My Account > Plan.", "-y")[0] == 0  # answered: pending
    assert sw("unassign", "twitter:300")[0] == 0  # (the reply assigned it to the replier)
    assert sw("priority", "twitter:300", "100")[0] == 0  # unassigned and the highest: still never claimed
    assert json.loads(sw("show", "twitter:300", "--json")[1])["status"] == "pending"

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            assert _ids(app) == ["twitter:100", "twitter:200"]  # open: what awaits us
            assert "3:Open 2" in _screen(app) and "4:Pend 1" in _screen(app)
            for view in ("1", "2", "5"):
                await pilot.press(view)
                assert "twitter:300" not in _ids(app)
            await pilot.press("4")
            assert _ids(app) == ["twitter:300"]
            await pilot.press("3", "c")  # claim next: the best unassigned case that awaits us, never a pending one
            await idle(pilot, app)
            await until(pilot, lambda: app.current == "twitter:100", what="the claimed case")
    run(go())
    assert json.loads(sw("show", "twitter:100", "--json")[1])["assignee"] == "priya"
    assert not json.loads(sw("show", "twitter:300", "--json")[1]).get("assignee")


def test_triage_status_pending_opens_on_the_pending_view(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from socialwatch import filter_options

    setup_store(isolated_home, tmp_path)
    assert sw("reply", "twitter:300", "--text", "Go to My Account > Plan.", "-y")[0] == 0

    async def go() -> None:
        app = make_app(filters=filter_options.parse(["--status", "pending"]))
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            assert app.inbox.view == "pending" and _ids(app) == ["twitter:300"]
            await pilot.press("colon", *"filter --status new", "enter")
            assert app.inbox.view == "open"
    run(go())


# ---- 12: search by @handle -----------------------------------------------------------------------
def test_search_finds_an_author_with_or_without_the_at(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            for query in ("@bob", "bob", "@BO"):
                await pilot.press("slash", "ctrl+u", *query, "enter")
                assert _ids(app) == ["twitter:200"], query
                assert app.status_text == "1 match"
            await pilot.press("slash", "ctrl+u", *"@cancel", "enter")  # '@' means the author
            assert _ids(app) == []
    run(go())


# ---- 13: prompts: a value offered is replaced by typing; a failed action never moves the cursor -----
def test_snooze_prompt_offers_2h_typing_replaces_it_and_mistakes_never_move_the_cursor(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("j", "s", *"zz", "enter")  # a typo: said, and the cursor stays
            await pilot.pause(0.2)
            assert "not a duration or a time: 'zz'" in app.status_text and app.current == "twitter:200"
            await pilot.press("s", *"2020-01-01T00:00", "enter")  # refused by the library, after the row left
            await idle(pilot, app)
            await until(pilot, lambda: app.current == "twitter:200", what="the cursor back on the mention")
            assert "future" in app.status_text and _ids(app) == ["twitter:100", "twitter:200", "twitter:300"]
            await pilot.press("s", *"3h", "enter")  # typing replaces the offered 2h
            await idle(pilot, app)
            assert "twitter:200" not in _ids(app) and "snoozed until" in app.status_text
            await pilot.press("g", "s", "enter")  # enter takes the offered 2h
            await idle(pilot, app)
    run(go())
    from socialwatch import model

    for mention_id, hours in (("twitter:200", 3), ("twitter:100", 2)):
        until_at = model.parse_time(json.loads(sw("show", mention_id, "--json")[1])["snoozed_until"])
        assert abs((until_at - model.utcnow()).total_seconds() - hours * 3600) < 120


def test_the_search_prompt_offers_the_current_search_selected(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            await pilot.press("slash", *"bill", "enter")
            assert _ids(app) == ["twitter:200"]
            await pilot.press("slash", *"plan", "enter")  # replaces "bill"
            assert _ids(app) == ["twitter:300"] and app.inbox.query == "plan"
            await pilot.press("slash", "end", *" change", "enter")  # a cursor key keeps it
            assert app.inbox.query == "plan change"
    run(go())


# ---- 14: the composer: the reply text has the focus; the draft survives; it sends what is on screen ---
def test_the_composer_opens_in_the_reply_text_with_or_without_a_draft(isolated_home: pathlib.Path,
                                                                     tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    assert sw("--as", "priya", "draft", "twitter:300", "--text", "OLD DRAFT")[0] == 0

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            for target in ("twitter:100", "twitter:300"):  # no draft, a draft
                while app.current != target:
                    await pilot.press("j")
                await pilot.press("r")
                await until(pilot, lambda: type(app.screen).__name__ == "Composer")
                assert app.focused.id == "composer-text"
                await pilot.press("escape")
                await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.press("r", "ctrl+u", *"NEW TEXT")  # on the draft: the reply text, cursor at its end
            composer = app.screen
            shown = composer.query_one("TextArea").text
            assert shown == "NEW TEXT" and "NEW TEXT" in _screen(app)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
    run(go())
    assert [r["text"] for r in lines(sw("outbox", "--all", "--json")[1])] == ["NEW TEXT"]


def test_the_draft_survives_leaving_and_coming_back_at_once_and_what_is_sent_is_the_edit(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> None:
    setup_store(isolated_home, tmp_path, backend=backend)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            # a saved reply, edited; closed and reopened at once (before the store has the draft)
            await pilot.press("r", "ctrl+t", "enter", "ctrl+a", "ctrl+k", *"Hi Ann, we are on it.", "escape", "r")
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            assert app.screen.query_one("TextArea").text == "Hi Ann, we are on it." and app.focused.id == "composer-text"
            await pilot.press(*" Sorry!", "escape")  # edited again, closed
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
            await pilot.press("j", "k", "r")  # away and back
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            area = app.screen.query_one("TextArea")
            assert area.text == "Hi Ann, we are on it. Sorry!" and "Hi Ann, we are on it. Sorry!" in _screen(app)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
    run(go())
    records = lines(sw("outbox", "--all", "--json")[1])
    assert [(r["mention_id"], r["text"]) for r in records] == [("twitter:100", "Hi Ann, we are on it. Sorry!")]
    assert not json.loads(sw("show", "twitter:100", "--json")[1]).get("draft")


def test_text_typed_in_the_saved_reply_search_is_never_sent_nor_something_else(isolated_home: pathlib.Path,
                                                                               tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    assert sw("--as", "priya", "draft", "twitter:300", "--text", "OLD DRAFT")[0] == 0

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("G", "r", "ctrl+t", *"NEW TEXT", "ctrl+s")  # typed in the search: not sent, the draft neither
            await pilot.pause(0.2)
            assert type(app.screen).__name__ == "Composer"
            assert any("saved-reply search" in n.message for n in app._notifications)
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
    run(go())
    assert lines(sw("outbox", "--all", "--json")[1]) == []


# ---- 15: the limit follows the reply's channel ---------------------------------------------------
def test_the_composer_counts_an_x_dm_against_10000_and_a_public_reply_against_280(isolated_home: pathlib.Path,
                                                                                 tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    long_text = "Thanks for the details. " * 20  # 480 characters: too long for a post, fine for a DM

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            await pilot.press("j", "r")  # the DM: a private message
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            composer = app.screen
            assert " 0/10000 " in _screen(app)
            composer.query_one("TextArea").load_text(long_text)
            await pilot.pause(0.1)
            assert f" {len(long_text.strip())}/10000 " in _screen(app) and "over the limit" not in _screen(app)
            await pilot.press("ctrl+p")  # to public (confirmed): the post limit
            await until(pilot, lambda: type(app.screen).__name__ == "Confirm")
            await pilot.press("y")
            await until(pilot, lambda: app.screen is composer)
            assert f" {len(long_text.strip())}/280 " in _screen(app) and "over the limit" in _screen(app)
            await pilot.press("ctrl+p")  # back to private
            assert "/10000 " in _screen(app)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
            assert "sent private reply" in app.status_text
    run(go())
    records = lines(sw("outbox", "--all", "--json")[1])
    assert [(r["visibility"], r["state"], r["text"]) for r in records] == [("private", "sent", long_text.strip())]


def test_the_outbox_counts_a_private_message_against_the_private_limit(isolated_home: pathlib.Path,
                                                                       tmp_path: pathlib.Path, backend: str) -> None:
    from socialwatch import outbox, textlimits
    from socialwatch.app import App
    from socialwatch.errors import UsageError

    setup_store(isolated_home, tmp_path, backend=backend)
    app = App(agent="priya")
    with pytest.raises(UsageError, match="over the twitter limit"):
        outbox.send(app, "twitter:300", "x" * 300)  # a public reply: 280
    assert outbox.send(app, "twitter:300", "y" * 300, visibility="private").record["state"] == "sent"
    with pytest.raises(UsageError, match="private-message limit"):
        outbox.send(app, "twitter:200", "z" * 10_001, again=True)
    assert textlimits.measure("twitter", "é" * 300, visibility="private") == (300, 10_000)
    assert textlimits.measure("bluesky", "a" * 400, visibility="private") == (400, 1_000)
    assert textlimits.measure("mastodon", "a", visibility="private") == (1, 500)  # a direct status: the status limit
    app.store.close()


# ---- 16: completion by the command's argument ------------------------------------------------------
def test_the_command_line_completes_each_argument_from_its_kind(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path, RECORDS + WELSH)
    assert sw("tag", "twitter:100", "outage")[0] == 0

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            cases = [("assign t", "assign tom"), ("escalate b", "escalate billing"), ("tag o", "tag outage"),
                     ("ta", "tag"), ("view p", "view pending"), ("filter --intent q", "filter --intent question"),
                     ("filter --lang", "filter --language"), ("filter --language c", "filter --language cy"),
                     ("filter --needs", "filter --needs-response"), ("snooze 4", "snooze 4h")]
            for typed, completed in cases:
                await pilot.press("colon", *typed, "tab")
                assert app.screen.query_one("Input").value == completed, typed
                await pilot.press("escape")
                await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.press("colon", *"assign t", "tab", "enter")
            await idle(pilot, app)
    run(go())
    assert json.loads(sw("show", "twitter:100", "--json")[1])["assignee"] == "tom"


def test_the_command_line_completes_saved_replies_that_fit_and_template_fills_one(isolated_home: pathlib.Path,
                                                                                tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            for typed, completed in [("reply s", "reply sorry"), ("template t", "template thanks"),
                                     ("private b", "private billing-dm")]:
                await pilot.press("colon", *typed, "tab")
                assert app.screen.query_one("Input").value == completed, typed
                await pilot.press("escape")
                await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.press("j", "colon", *"template s", "tab")  # the DM: public replies do not fit
            assert app.screen.query_one("Input").value == "template s"
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.press("k", "colon", *"template sorry", "enter")
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            area = app.screen.query_one("TextArea")
            assert area.text.startswith("Hi @ann, I'm sorry") and app.focused is area
            await pilot.press(*" Thanks.", "ctrl+s")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
    run(go())
    assert [r["text"] for r in lines(sw("outbox", "--all", "--json")[1])] == [
        "Hi @ann, I'm sorry about this. Could you DM us your account number? priya Thanks."]


# ---- 21: the header at 80 columns; the read view keeps the key bar; the composer's help -------------
def test_at_80_columns_the_header_keeps_live_the_team_and_the_search(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)
    many = [{"id": f"twitter:9{i:03d}", "text": f"no signal in town {i}", "author": {"handle": f"u{i}"}} for i in range(120)]
    assert sw("import", str(write_jsonl(tmp_path / "many.jsonl", many)))[0] == 0  # three-digit counts
    assert sw("escalate", "twitter:300", "--to", "customer-retention", "--reason", "wants to leave")[0] == 0

    async def go() -> None:
        app = make_app(live_updates=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            await pilot.press("5")  # the team view, then the team with the longest name
            while app.inbox.team != "customer-retention":
                await pilot.press("5")
            await pilot.press("slash", *"signal", "enter")
            lines_shown = _screen(app).splitlines()
            assert len(lines_shown[0]) <= 80 and lines_shown[0].rstrip().endswith("priya · live")
            assert "5:Team custome" in lines_shown[0] and "3:Open" in lines_shown[0]
            assert "/signal" in lines_shown[1]
    run(go())


def test_the_view_counts_follow_the_search_and_the_filters(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path, RECORDS + WELSH)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            assert "3:Open 5" in _screen(app) and "2:Unasg 5" in _screen(app)
            await pilot.press("colon", *"filter --language cy", "enter")
            assert "3:Open 2" in _screen(app) and "2:Unasg 2" in _screen(app)  # what each view would list
            await pilot.press("slash", *"@sian", "enter")
            assert "3:Open 1" in _screen(app) and _ids(app) == ["twitter:500"]
            await pilot.press("escape")
            assert "3:Open 5" in _screen(app)
    run(go())


def test_at_80_columns_the_prompts_and_the_composer_read_whole(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from socialwatch import model

    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            await pilot.press("colon")
            await until(pilot, lambda: type(app.screen).__name__ == "Prompt")
            assert ":  (tab completes; :help lists the commands)" in _screen(app).splitlines()
            await pilot.press("escape", "s")
            await until(pilot, lambda: type(app.screen).__name__ == "Prompt")
            tomorrow = (model.utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
            assert f"until a time ({tomorrow}, UTC)" in _screen(app) and app.screen.query_one("Input").value == "2h"
            await pilot.press("escape", "r")
            await until(pilot, lambda: type(app.screen).__name__ == "Composer")
            last = _screen(app).splitlines()[-1]
            assert len(last) <= 80 and "^s send" in last and "^t saved replies" in last and last.endswith("f1 help")
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
    run(go())


def test_the_view_bar_gives_up_the_agent_before_live(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app(agent="a-very-long-agent-name-indeed", live_updates=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            first = _screen(app).splitlines()[0]
            assert first.rstrip().endswith("live") and "1:Mine" in first and "6:Snz" in first
    run(go())


def test_the_composer_help_closes_with_f1_and_question_mark_types_in_the_reply(isolated_home: pathlib.Path,
                                                                              tmp_path: pathlib.Path) -> None:
    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current is not None)
            await pilot.press("r", *"Is it working now?")
            composer = app.screen
            assert composer.query_one("TextArea").text == "Is it working now?"
            await pilot.press("f1")
            await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            text = _screen(app)
            assert "esc or f1 closes this help" in text and "? closes" not in text
            await pilot.press("f1")
            await until(pilot, lambda: app.screen is composer)
            await pilot.press("escape")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await pilot.press("question_mark")  # the inbox's help closes with ?
            await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
            assert "esc or ? closes this help" in _screen(app)
            await pilot.press("question_mark")
            await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
            await idle(pilot, app)
    run(go())


# ---- keys: in order, and never before the first screen ---------------------------------------------
def test_keys_sent_at_once_act_in_order_on_the_mention_the_cursor_is_on(isolated_home: pathlib.Path,
                                                                       tmp_path: pathlib.Path) -> None:
    from textual import events

    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            # all at once, as a fast typist's or a paste's keys arrive: move twice, resolve; reply
            for key, char in [("j", "j"), ("j", "j"), ("d", "d"), ("r", "r"),
                              *[(c if c != " " else "space", c) for c in "Fixed now"], ("ctrl+s", None)]:
                app.post_message(events.Key(key, char))
            await until(pilot, lambda: app.busy == 0 and type(app.screen).__name__ == "InboxScreen"
                        and "sent" in app.status_text, what="the keys to be done")
            await idle(pilot, app)
    run(go())
    assert json.loads(sw("show", "twitter:300", "--json")[1])["status"] == "resolved"
    assert json.loads(sw("show", "twitter:100", "--json")[1])["status"] == "new"
    records = lines(sw("outbox", "--all", "--json")[1])
    assert [(r["mention_id"], r["text"]) for r in records] == [("twitter:200", "Fixed now")]


def test_keys_typed_before_the_queue_is_shown_move_and_search_but_never_act_on_an_unseen_mention(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from textual import events

    from socialwatch.triage.keys import KeyQueue

    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        app.keys_ready = lambda: None  # the first screen "not shown yet": keys arrive meanwhile
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            # typed while starting: next, then a note whose letters are inbox keys, enter; a click
            early = [events.Key("j", "j"), events.Key("n", "n"),
                     *[events.Key(c if c != " " else "space", c) for c in "dial jk quit"], events.Key("enter", "\r")]
            for key in early:
                app.post_message(key)
            app.post_message(events.MouseDown(None, 5, 5, 0, 0, 1, False, False, False))
            await pilot.pause(0.3)
            assert app.current == "twitter:100" and type(app.screen).__name__ == "InboxScreen"  # nothing yet
            KeyQueue.keys_ready(app)  # the queue is on screen
            await until(pilot, lambda: "not done" in app.status_text, what="the early keys to be dealt with")
            await idle(pilot, app)
            # the move was done; the note (and every key typed after it) was not: the agent had
            # not seen the mention it would have gone on
            assert app.current == "twitter:200" and app.is_running
            assert type(app.screen).__name__ == "InboxScreen"
            assert "14 keys" in app.status_text and "'n'" in app.status_text
            # keys typed once the queue is on screen act as usual
            await pilot.press("n", *"seen it", "enter")
            await until(pilot, lambda: app.busy == 0 and "note" in app.status_text, what="the note")
            await idle(pilot, app)
    run(go())
    notes = json.loads(sw("show", "twitter:200", "--json")[1]).get("notes") or []
    assert [n["text"] for n in notes] == ["seen it"]
    assert [m["status"] for m in lines(sw("triage", "--json")[1])] == ["new", "new", "new"]


def test_a_search_typed_before_the_queue_is_shown_is_done_and_its_letters_stay_text(
        isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from textual import events

    from socialwatch.triage.keys import KeyQueue

    setup_store(isolated_home, tmp_path)

    async def go() -> None:
        app = make_app()
        app.keys_ready = lambda: None
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            for key in [events.Key("slash", "/"), *[events.Key(c, c) for c in "dia"], events.Key("enter", "\r")]:
                app.post_message(key)
            await pilot.pause(0.3)
            KeyQueue.keys_ready(app)
            await until(pilot, lambda: app.busy == 0 and type(app.screen).__name__ == "InboxScreen"
                        and "done in order" in app.status_text, what="the search")
            await idle(pilot, app)
            assert app.is_running
    run(go())
    assert [m["status"] for m in lines(sw("triage", "--json")[1])] == ["new", "new", "new"]


def test_letters_typed_at_once_into_any_prompt_are_text_never_inbox_keys(isolated_home: pathlib.Path,
                                                                       tmp_path: pathlib.Path) -> None:
    from textual import events

    setup_store(isolated_home, tmp_path)
    typed = "dijkqsu gx"  # done, ignore, next, previous, quit, snooze, undo, first, last...

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.current == "twitter:100")
            for opener in ("slash", "colon", "n", "t", "a", "e", "s", "r"):  # each prompt, and the composer
                for key, char in [(opener, {"slash": "/", "colon": ":"}.get(opener, opener)),
                                  *[(c if c != " " else "space", c) for c in typed]]:
                    app.post_message(events.Key(key, char))  # all at once, as a paste or a fast typist
                await until(pilot, lambda: type(app.screen).__name__ != "InboxScreen", what=opener)
                await until(pilot, lambda: app._typed == collections.deque() and not app._key_busy, what="the keys")
                box = app.screen.query_one("#composer-text" if opener == "r" else "Input")
                value = box.text if opener == "r" else box.value
                assert value == typed, opener  # (the snooze prompt's offered 2h is replaced)
                assert app.current == "twitter:100" and app.is_running
                await pilot.press("ctrl+c" if opener != "r" else "escape")
                await until(pilot, lambda: type(app.screen).__name__ == "InboxScreen")
                await idle(pilot, app)
    run(go())
    assert [m["status"] for m in lines(sw("triage", "--json")[1])] == ["new", "new", "new"]
