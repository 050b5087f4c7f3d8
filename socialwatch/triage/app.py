"""The inbox application: the queue beside the conversation, live with the team.

Threads: the Textual event loop never waits for the store. The queue is read once before the
first screen; afterwards a worker thread follows the team's changes (`live.Feed`) and re-reads
the queue, another reads the conversation of the mention under the cursor, and the agent's
actions run one at a time on an action thread (store writes, the outbox's platform call). The
screen keeps the cursor on the same mention (by id) through every refresh, and never takes
the focus from what the agent is doing. Every `CLOCK_EVERY` seconds the queue is redrawn as of
the clock (ages, SLA countdowns, the waiting factor's priorities and order, snoozes that came
due), the cursor and focus where they were.

Keys are handled one after the other (`keys.KeyQueue`); the `:` command line is
`commands.CommandLine`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from socialwatch import filter_options, model
from socialwatch.errors import SocialwatchError
from socialwatch.render import safe
from socialwatch.triage import inbox as ib
from socialwatch.triage import live
from socialwatch.triage.actions import Actions, Done, parse_when
from socialwatch.triage.commands import COMMANDS, SNOOZE_WORDS, CommandLine
from socialwatch.triage.keys import KeyQueue
from socialwatch.triage.widgets import (
    ConversationPane,
    FilterBar,
    HelpScreen,
    Prompt,
    QueueTable,
    ViewBar,
    conversation_view,
)

#: How often the inbox refreshes this agent's presence mark and looks at others' (seconds).
PRESENCE_EVERY = 3.0

#: How often the queue is redrawn as of the clock: ages, SLA countdowns, live priorities and
#: order, snoozes that came due (seconds).
CLOCK_EVERY = 30.0

#: At least this many columns: the queue and the conversation side by side; fewer: stacked.
SIDE_BY_SIDE = 120

#: The key bar (status line) while reading a conversation full screen.
READ_KEYS = "esc back · J/K scroll · j/k next/previous · r reply · d done · a assign · ? help"

KEYS = [
    ("j / k, ↓ / ↑", "next / previous mention (the conversation follows)"),
    ("g / G", "first / last mention"),
    ("enter", "read: the conversation full screen (narrow terminals) or focused (esc: back)"),
    ("J / K, pgdn / pgup", "scroll the conversation"),
    ("1-6, tab / shift+tab", "views: mine, unassigned, all open (new and open: what awaits us), pending (waiting "
                             "on the customer), by team (again: next team), snoozed"),
    ("/", "search the queue (text, @author, id, tags); esc clears"),
    (":", "command line (:help lists the commands)"),
    ("r / R", "reply in public / by private message (a DM is always answered privately unless you switch)"),
    ("n", "add an internal note"),
    ("t", "tag (t then -tag removes one)"),
    ("a", "assign: enter for yourself, or a colleague (tab completes)"),
    ("e", "escalate to a team, with a reason"),
    ("c", "claim the next unassigned mention awaiting an answer (atomic)"),
    ("d", "done: resolve (the cursor moves to the next mention)"),
    ("i", "ignore (needs no answer)"),
    ("s", "snooze: for 2h, 1d, or until a time; back in the queue when due"),
    ("u", "undo your last action (unless someone changed it since)"),
    ("o", "open the mention on its platform in the browser"),
    ("ctrl+l", "re-read the queue now (it follows the team live, and the clock every 30 s)"),
    ("?", "this help"),
    ("q", "quit"),
]

FLAG_LEGEND = ("Flags: A angry · V viral · D direct message · R a risk · ! a reply failed or has an unknown outcome · "
               "~ a reply is being sent · d a saved draft · +N the customer's follow-ups. "
               "SLA: time left to the first-response target (negative: overdue).")


class Later(Message):
    """A call for the event loop, posted from a worker thread (posting never blocks, so a
    thread never waits for a loop that is shutting down)."""

    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        super().__init__()
        self.fn = fn
        self.args = args


class InboxScreen(Screen):
    """The main screen: view bar, queue, conversation, status line."""

    DEFAULT_CSS = """
    InboxScreen { layout: vertical; }
    #main { height: 1fr; layout: horizontal; }
    #main.stacked { layout: vertical; }
    #main QueueTable { width: 3fr; }
    #main ConversationPane { width: 2fr; }
    #main.stacked QueueTable { width: 1fr; height: 2fr; }
    #main.stacked ConversationPane { width: 1fr; height: 3fr; border-left: none; border-top: hkey $foreground 30%; }
    #main.reading QueueTable { display: none; }
    #main.reading ConversationPane { width: 1fr; height: 1fr; border-left: none; border-top: none; }
    #status { height: 1; background: $panel; }
    """

    BINDINGS = [
        Binding("j,down", "app.move(1)", "next", show=False),
        Binding("k,up", "app.move(-1)", "previous", show=False),
        Binding("g,home", "app.jump(0)", "first", show=False),
        Binding("G,end", "app.jump(-1)", "last", show=False),
        Binding("J,pagedown", "app.scroll_conversation(1)", "scroll down", show=False),
        Binding("K,pageup", "app.scroll_conversation(-1)", "scroll up", show=False),
        Binding("enter", "app.read", "read", show=False),
        Binding("escape", "app.back", "back", show=False),
        Binding("slash", "app.search", "search", show=False),
        Binding("colon", "app.command", "command", show=False),
        Binding("question_mark", "app.help", "help", show=False),
        Binding("tab", "app.next_view(1)", "next view", show=False),
        Binding("shift+tab", "app.next_view(-1)", "previous view", show=False),
        *[Binding(str(n), f"app.view('{key}')", label, show=False) for n, (key, label) in enumerate(ib.VIEWS, 1)],
        Binding("r", "app.reply(False)", "reply", show=False),
        Binding("R", "app.reply(True)", "private reply", show=False),
        Binding("n", "app.note", "note", show=False),
        Binding("t", "app.tag", "tag", show=False),
        Binding("a", "app.assign", "assign", show=False),
        Binding("e", "app.escalate", "escalate", show=False),
        Binding("c", "app.claim", "claim next", show=False),
        Binding("d", "app.resolve", "done", show=False),
        Binding("i", "app.ignore", "ignore", show=False),
        Binding("s", "app.snooze", "snooze", show=False),
        Binding("u", "app.undo", "undo", show=False),
        Binding("o", "app.open_url", "open", show=False),
        Binding("ctrl+l", "app.refresh", "refresh", show=False),
        Binding("q,ctrl+c", "app.leave", "quit", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield ViewBar(self.app.pick_view, id="views")  # type: ignore[attr-defined]
        yield FilterBar(id="filters")
        with Container(id="main"):
            yield QueueTable(id="queue")
            yield ConversationPane(id="conversation")
        yield Static(id="status")

    def on_mount(self) -> None:
        self.app.start()  # type: ignore[attr-defined]

    def on_resize(self, event: Any) -> None:
        self.app.relayout()  # type: ignore[attr-defined]


class InboxApp(KeyQueue, CommandLine, App):
    """`socialwatch triage` on a terminal (see the module docstring)."""

    TITLE = "socialwatch inbox"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, sw: Any, filters: Any = None, limit: int | None = None, clock: Callable[[], datetime] | None = None,
                 live_updates: bool = True) -> None:
        super().__init__(ansi_color=True)
        self.sw = sw
        self.inbox = ib.Inbox(sw, filters, limit=limit, clock=clock)
        self.actions = Actions(sw)
        self.live_updates = live_updates
        self.current: str | None = None
        self.conv: ib.Conversation | None = None
        self.status_text = ""
        self.live_state = "live" if live_updates else "not live"
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="inbox-actions")
        self._readers: dict[str, tuple[threading.Lock, Any]] = {}
        self._readers_lock = threading.Lock()
        self._quitting = False
        self.busy = 0
        self.tracker: Any = None
        self.cache: dict[str, ib.Conversation] = {}  # conversations read (ahead), by mention id
        self.drafts: dict[str, dict] = {}  # drafts this agent closed the composer on, by mention id
        self.clock_every = CLOCK_EVERY
        self.reading_full = False  # the conversation full screen (narrow terminals)
        self.start_keys()  # keys: ignored until the first screen is shown; then one after the other
        self.inbox.load()  # before the first screen, so that it shows the queue at once

    # ---- set-up -------------------------------------------------------------------------------
    def later(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` on the event loop (callable from any thread)."""
        self.post_message(Later(fn, args))

    def on_later(self, message: Later) -> None:
        # (not once the app is closing: a read that finishes then would find its widgets gone)
        if not self._quitting and self.is_running:
            message.fn(*message.args)

    def get_default_screen(self) -> Screen:
        return InboxScreen()

    def on_mount(self) -> None:
        self.theme = "ansi-dark"

    def start(self) -> None:
        """The inbox screen is up: show the queue, follow the team and the clock."""
        self.relayout()
        self.fill(keep=None)
        self.table.focus()
        if self.live_updates:
            self.follow_team()
            self.set_interval(PRESENCE_EVERY, self.tick_presence)
        self.set_interval(self.clock_every, self.tick_clock)
        self.status("? help · r reply · d done · a assign · n note · / search · q quit")
        self.keys_ready()

    def relayout(self) -> None:
        try:
            main = self.screen.query_one("#main")
        except Exception:  # noqa: BLE001 - not the inbox screen
            return
        main.set_class(self.size.width < SIDE_BY_SIDE, "stacked")
        if self.reading_full and self.size.width >= SIDE_BY_SIDE:
            self._stop_reading()  # wide again: the queue and the conversation side by side
        self.show_views()

    @property
    def table(self) -> QueueTable:
        return self.get_screen_inbox().query_one(QueueTable)

    def get_screen_inbox(self) -> Screen:
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                return screen
        return self.screen

    @property
    def pane(self) -> ConversationPane:
        return self.get_screen_inbox().query_one(ConversationPane)

    def now(self) -> datetime:
        return self.inbox.clock()

    @contextlib.contextmanager
    def reading(self, name: str) -> Iterator[Any]:
        """The store the workers named `name` read from (see live.reader_store), one at a time."""
        with self._readers_lock:
            if name not in self._readers:
                self._readers[name] = (threading.Lock(), live.reader_store(self.sw.store))
            lock, store = self._readers[name]
        with lock:
            yield store

    # ---- the queue ----------------------------------------------------------------------------
    def fill(self, keep: str | None, fallback: int | None = None, conversation: bool = True) -> None:
        """Show the current view, the cursor on `keep` (by id) when it is still there.
        `conversation=False`: the conversation pane is redrawn in place (not scrolled home)
        unless the cursor moved to another mention."""
        table = self.table
        index = table.cursor_row if fallback is None else fallback
        rows = self.inbox.rows()
        before = self.current
        self.current = table.fill(rows, keep, index)
        self.show_views()
        if conversation or self.current != before or self.conv is None:
            self.load_conversation()
        else:
            self.show_conversation(self.conv, home=False)

    def show_views(self) -> None:
        """The view bar (views, counts, who, live) and the filter bar (search and filters)."""
        try:
            screen = self.get_screen_inbox()
            bar = screen.query_one(ViewBar)
            filters = screen.query_one(FilterBar)
        except Exception:  # noqa: BLE001 - not mounted yet, or quitting
            return
        bar.show(self.inbox.view, self.inbox.counts(), self.inbox.team, safe(self.sw.agent), self.live_state,
                 bar.size.width or self.size.width)
        started, typed = self.inbox.filters_text()
        filters.show(safe(started), safe(typed), ib.short(self.inbox.query, 40) if self.inbox.query else "")

    def tick_clock(self) -> None:
        """Every `clock_every` seconds: the queue as of now (ages, SLA, priorities and order,
        snoozes come due), the cursor on its mention, the focus and any open prompt untouched;
        without live updates (or offline), the store is read again as well."""
        if self._quitting:
            return
        self.inbox.rerank()
        self.fill(keep=self.current, conversation=False)
        if self.live_state != "live":
            self.reload()

    def pick_view(self, key: str) -> None:
        self.action_view(key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._follow_cursor()

    def _follow_cursor(self) -> None:
        """The mention under the cursor is the one the keys act on, from the moment it moves."""
        new = self.table.current
        if new != self.current:
            self.current = new
            self.load_conversation()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_read()

    # ---- the conversation ---------------------------------------------------------------------
    def load_conversation(self) -> None:
        mention = self.inbox.find(self.current) if self.current else None
        if mention is None:
            self.conv = None
            self.pane.show_text(Text("The queue is empty here. 1-6 switch views; c claims the next mention." if not self.current
                                     else "", style="dim"))
            return
        cached = self.cache.get(mention["id"])
        if cached is not None and cached.mention == mention:
            self.show_conversation(cached, home=True)  # read ahead: whole at once
        else:
            # at once from the queue in memory; whole (thread, history, activity) from the worker
            self.show_conversation(ib.Conversation(mention=mention), home=True)
        self.read_conversation(mention["id"], self._neighbours())

    def _neighbours(self) -> list[str]:
        """The mentions the agent will likely read next (read ahead, so that j/k show them whole)."""
        ids = self.table.ids
        if self.current not in self.table.keys:
            return []
        i = ids.index(self.current)
        return [ids[j] for j in (i + 1, i - 1, i + 2) if 0 <= j < len(ids)]

    @work(thread=True, exclusive=True, group="conversation")
    def read_conversation(self, mention_id: str, ahead: list[str] | None = None) -> None:
        from textual.worker import get_current_worker

        try:
            with self.reading("conversation") as store:
                conv = self.inbox.conversation(mention_id, store)
        except SocialwatchError as exc:
            self.later(self.status, f"{mention_id}: {exc}", True)
            return
        self.cache[mention_id] = conv
        if not self._quitting:
            self.later(self._conversation_read, conv)
        self._mark_viewing(mention_id)
        worker = get_current_worker()
        for other in ahead or []:
            if worker.is_cancelled or self._quitting:
                return
            if other in self.cache:
                continue
            try:
                with self.reading("conversation") as store:
                    self.cache[other] = self.inbox.conversation(other, store)
            except SocialwatchError:
                continue

    def _conversation_read(self, conv: ib.Conversation) -> None:
        if conv.mention["id"] != self.current:
            return  # the agent moved on meanwhile
        shown = self.conv
        if (shown is not None and shown.complete and shown.mention == conv.mention and shown.collisions == conv.collisions
                and len(shown.events) == len(conv.events) and shown.replies == conv.replies
                and [h["id"] for h in shown.history] == [h["id"] for h in conv.history]):
            self.conv = conv
            return  # nothing new to draw
        self.show_conversation(conv, home=False)

    def forget(self, ids: list[str | None]) -> None:
        """Conversations read ahead that changed (None: any of them)."""
        if None in ids:
            self.cache.clear()
        for i in ids:
            self.cache.pop(i, None)  # type: ignore[arg-type]

    def show_conversation(self, conv: ib.Conversation, home: bool) -> None:
        self.conv = conv
        m = conv.mention
        sla_text, overdue = self.inbox.sla_left(m, self.now())
        self.pane.show_text(conversation_view(conv, self.sw.agent, self.now(), sla_text, overdue), home=home)

    def _mark_viewing(self, mention_id: str) -> None:
        """Tell the team this agent has the mention open (a presence mark, apart from the queue:
        it never looks like a change to anyone's live queue; never an error)."""
        with self.reading("presence") as store:
            if self.tracker is None:
                from socialwatch import presence

                self.tracker = presence.Tracker(store, self.sw.agent)
            if not self._quitting:
                self.tracker.on(mention_id)

    @work(thread=True, exclusive=True, group="presence")
    def tick_presence(self) -> None:
        """Every few seconds: refresh this agent's mark; show who else arrived on the mention."""
        from socialwatch import presence

        mention_id = self.current
        with self.reading("presence") as store:
            if self.tracker is not None and not self._quitting:
                self.tracker.tick()
            if not mention_id:
                return
            try:
                marks = [m.describe() for m in presence.who_is_viewing(store, mention_id, exclude=self.sw.agent)]
            except Exception:  # noqa: BLE001 - presence is a courtesy
                return
        self.later(self._presence_seen, mention_id, marks)

    def _presence_seen(self, mention_id: str, marks: list[str]) -> None:
        conv = self.conv
        if conv is None or conv.mention["id"] != mention_id or mention_id != self.current:
            return
        others = [c for c in conv.collisions if " is viewing it" not in c and " is drafting a reply" not in c]
        collisions = marks + others
        if collisions != conv.collisions:
            conv.collisions = collisions
            self.show_conversation(conv, home=False)

    # ---- live -------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="live")
    def follow_team(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        feed = live.Feed(live.reader_store(self.sw.store))
        if not feed.live:
            self.later(self._set_live, "not live")
        reader = live.reader_store(self.sw.store)
        try:
            while not worker.is_cancelled and not self._quitting:
                changes = feed.wait()
                if not changes or worker.is_cancelled or self._quitting:
                    continue
                try:
                    mentions, sending = self.inbox.read(reader)
                except SocialwatchError:
                    continue
                if not self._quitting:
                    self.later(self.apply_changes, changes, mentions, sending)
        finally:
            feed.close()

    def _set_live(self, state: str) -> None:
        self.live_state = state
        self.show_views()

    def apply_changes(self, changes: list[dict], mentions: list[dict], sending: dict[str, str]) -> None:
        """Others changed the queue: show it, keeping the agent's place; say what concerns them."""
        me = self.sw.agent
        current = self.current
        for c in changes:
            agent, action, mid = c.get("agent"), c.get("action"), c.get("id")
            if action == "offline":
                self._set_live("offline")
            if agent == me or agent is None:
                continue
            if mid == current and action in ("claim", "assign", "resolve", "ignore", "replied", "reply-sending"):
                verb = {"claim": "claimed", "assign": "assigned", "resolve": "resolved", "ignore": "ignored",
                        "replied": "replied to", "reply-sending": "is replying to"}[action]
                self.notify(f"{safe(str(agent))} {verb} the mention you are on", severity="warning", timeout=8)
        self.forget([c.get("id") for c in changes])
        self.inbox.accept(mentions, sending)
        self.refresh_queue()
        if current and any(c.get("id") == current for c in changes):
            self.read_conversation(current)

    def refresh_queue(self) -> None:
        """Redraw the queue from memory; the cursor stays on its mention (else its row)."""
        self.fill(keep=self.current)

    @work(thread=True, exclusive=True, group="reload")
    def reload(self) -> None:
        try:
            with self.reading("reload") as store:
                mentions, sending = self.inbox.read(store)
        except SocialwatchError as exc:
            self.later(self.status, str(exc), True)
            return
        if not self._quitting:
            self.later(self._reloaded, mentions, sending)

    def _reloaded(self, mentions: list[dict], sending: dict[str, str]) -> None:
        self.inbox.accept(mentions, sending)
        self.refresh_queue()

    # ---- running actions ------------------------------------------------------------------------
    def act(self, what: Callable[[], Done], optimistic_leave: str | None = None) -> None:
        """Run an action on the action thread; show its outcome; re-read the queue after it.

        `optimistic_leave`: the mention leaves this agent's queue (resolve, ignore, snooze, send
        and resolve): the cursor moves to the next one at once, before the store answers."""
        back: tuple[list[dict], str | None] | None = None
        if optimistic_leave:
            back = (self._leave(optimistic_leave), self.current)
        self.busy += 1

        def job() -> None:
            try:
                done = what()
            except SocialwatchError as exc:
                self.later(self._action_failed, str(exc), back)
                return
            except Exception as exc:  # noqa: BLE001 - never lose the screen over a bug: say it
                self.later(self._action_failed, f"unexpected {type(exc).__name__}: {exc}", back)
                return
            self.later(self._action_done, done)

        # after the next frame: the screen shows the agent's move before the store work (which
        # holds the interpreter for a while on a big TinyDB store) begins
        self.call_after_refresh(self._executor.submit, job)

    def _leave(self, mention_id: str) -> list[dict]:
        """The mention leaves the queue on screen at once; returns it (to put back on failure)."""
        table = self.table
        index = table.cursor_row
        gone = [m for m in self.inbox.mentions if m["id"] == mention_id]
        self.inbox.mentions = [m for m in self.inbox.mentions if m["id"] != mention_id]
        rows = self.inbox.rows()
        self.current = table.fill(rows, None, index)
        self.show_views()
        self.load_conversation()
        return gone

    def _action_done(self, done: Done) -> None:
        self.busy -= 1
        self.forget([done.mention.get("id") if done.mention else None])
        self.status(done.message)
        if done.focus and done.mention is not None:
            self.current = done.mention["id"]
            if not self.inbox.in_view(done.mention, self.inbox.view, self.now()):
                self.inbox.view = "mine"
        if done.mention is not None and done.mention.get("id") and not done.moved_on:
            self._update_local(done.mention)
        self.reload()
        if done.mention is not None and done.mention.get("id") == self.current:
            self.read_conversation(self.current)

    def _update_local(self, mention: dict) -> None:
        if "status" not in mention:
            return
        for i, m in enumerate(self.inbox.mentions):
            if m["id"] == mention["id"]:
                if model.is_open(mention):
                    self.inbox.mentions[i] = mention
                else:
                    del self.inbox.mentions[i]
                break
        self.refresh_queue()

    def _action_failed(self, message: str, back: tuple[list[dict], str | None] | None = None) -> None:
        """An action failed: say so; a mention it had taken off the screen comes back, and the
        cursor with it unless the agent has moved on since (a failed action never moves it)."""
        self.busy -= 1
        if back is not None:
            gone, moved_to = back
            known = {m["id"] for m in self.inbox.mentions}
            returned = [m for m in gone if m["id"] not in known]
            if returned:
                self.inbox.mentions.extend(returned)
                self.inbox.rerank()
                keep = returned[0]["id"] if self.current == moved_to else self.current
                self.fill(keep=keep)
        self.status(message, True)
        self.reload()

    def status(self, message: str, error: bool = False) -> None:
        self.status_text = message
        text = Text(" " + message, style="bold red" if error else "")
        try:
            self.get_screen_inbox().query_one("#status", Static).update(text)
        except Exception:  # noqa: BLE001 - the screen is gone (quitting)
            pass
        if error:
            self.bell()

    def _need_current(self) -> dict | None:
        self._follow_cursor()
        if not self.current:
            self.status("no mention selected", True)
            return None
        return self.inbox.find(self.current) or (self.conv.mention if self.conv else None)

    def ask(self, label: str, then: Callable[[str], None], value: str = "", hint: str = "",
            words: Callable[[str], list[str]] | None = None) -> None:
        def answered(text: str | None) -> None:
            if text is not None:
                then(text)

        self.push_screen(Prompt(label, value, hint, words), answered)

    # ---- keys: moving -----------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        table = self.table
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)), animate=False)
            self._follow_cursor()

    def action_jump(self, where: int) -> None:
        table = self.table
        if table.row_count:
            table.move_cursor(row=0 if where == 0 else table.row_count - 1, animate=False)
            self._follow_cursor()

    def action_scroll_conversation(self, direction: int) -> None:
        pane = self.pane
        (pane.scroll_page_down if direction > 0 else pane.scroll_page_up)(animate=False)

    def action_read(self) -> None:
        """Read the conversation: full screen on a narrow terminal (the view bar and the key
        bar stay), focused beside the queue on a wide one."""
        if self.size.width < SIDE_BY_SIDE and not self.reading_full:
            self.reading_full = True
            self.get_screen_inbox().query_one("#main").add_class("reading")
            self._status_before_reading = self.status_text
            self.status(READ_KEYS)
        self.pane.focus()

    def _stop_reading(self) -> None:
        self.reading_full = False
        self.get_screen_inbox().query_one("#main").remove_class("reading")
        if self.status_text == READ_KEYS:
            self.status(getattr(self, "_status_before_reading", ""))
        self.table.focus()

    def action_back(self) -> None:
        if self.reading_full:
            self._stop_reading()
            return
        if self.focused is self.pane:
            self.table.focus()
            return
        if self.inbox.query or filter_options.words(self.inbox.extra):
            self.inbox.query = ""
            self.inbox.extra = type(self.inbox.extra)()
            self.refresh_queue()
            self.status("search and :filter cleared" + (" (the filters triage was started with stay)"
                                                        if filter_options.words(self.inbox.base) else ""))

    def action_view(self, key: str) -> None:
        if key == "team" and self.inbox.view == "team":
            teams = [None, *self.inbox.teams()]  # again: the next team, then all teams
            index = teams.index(self.inbox.team) + 1 if self.inbox.team in teams else 0
            self.inbox.team = teams[index % len(teams)]
        self.inbox.view = key
        self.fill(keep=self.current, fallback=0)

    def action_next_view(self, step: int) -> None:
        keys = list(ib.VIEW_KEYS)
        self.inbox.view = keys[(keys.index(self.inbox.view) + step) % len(keys)]
        self.fill(keep=self.current, fallback=0)

    def action_search(self) -> None:
        def search(text: str) -> None:
            self.inbox.query = text.strip()
            self.fill(keep=self.current, fallback=0)
            self.status(f"{len(self.table.ids)} match" if self.inbox.query else "search cleared")

        self.ask("search the queue: text, @author, id, tag (empty: clear)", search, self.inbox.query)

    def action_help(self) -> None:
        self.push_screen(HelpScreen("Inbox keys", KEYS, FLAG_LEGEND + "\nCommands (:): " + ", ".join(COMMANDS)
                                    + "\nViews: the work views (mine, unassigned, open, team) list new and open cases, "
                                      "what awaits us; pending cases wait on the customer in their own view and come "
                                      "back when the customer writes."))

    def action_refresh(self) -> None:
        self.reload()
        self.status("re-reading the queue")

    def action_open_url(self) -> None:
        m = self._need_current()
        if not m:
            return
        if not m.get("url"):
            self.status("this mention has no link", True)
            return
        self.open_url(m["url"])

    @work(thread=True, group="browser")
    def open_url(self, url: str) -> None:
        from socialwatch.browser import open_url

        problem = open_url(url)  # (never writes on the terminal; waits a moment for the helper)
        if problem:
            self.later(self.status, f"{problem}; the link: {safe(url)}", True)
        else:
            self.later(self.status, f"opened {safe(url)}")

    # ---- keys: acting -----------------------------------------------------------------------------
    def action_reply(self, private: bool, template: str | None = None) -> None:
        """The composer for the mention under the cursor (`template`: a saved reply filled in)."""
        from socialwatch.triage.composer import Composer

        m = self._need_current()
        if not m:
            return
        mention = self.conv.mention if self.conv and self.conv.mention["id"] == m["id"] else m
        kept = self.drafts.get(mention["id"])
        if kept is not None:  # closed moments ago: the store may not have it yet
            mention = {**mention, "draft": {**(mention.get("draft") or {}), **kept}}
        self.drafting(True)

        def sent(reply: Any) -> None:
            self.drafting(False)
            if reply is None:
                return
            mid = mention["id"]
            if reply.draft:
                self.drafts[mid] = {"agent": self.sw.agent, "text": reply.text, "visibility": reply.visibility}
                self.act(lambda: self.actions.save_draft(mid, reply.text, reply.visibility, reply.template))
                return

            def send() -> Done:
                try:
                    return self.actions.send(mention, reply.text, reply.visibility, reply.resolve, reply.template,
                                             reply.public_dm_confirmed)
                except SocialwatchError as exc:
                    if "already" in str(exc) or "in flight" in str(exc) or "replying" in str(exc):
                        self.actions.save_draft(mid, reply.text, reply.visibility, reply.template)
                        raise SocialwatchError(f"not sent: {exc} (your text is kept as a draft)") from None
                    raise

            self.drafts.pop(mid, None)  # (a send that fails keeps the text as a draft in the store)
            self.status("sending…")
            self.act(send, optimistic_leave=mid if reply.resolve else None)

        self.push_screen(Composer(self.actions, mention, private=private, template=template), sent)

    def drafting(self, on: bool) -> None:
        """The agent opened (or closed) the composer: a drafting mark for the team."""
        self._drafting(on)

    @work(thread=True, group="drafting")
    def _drafting(self, on: bool) -> None:
        with self.reading("presence"):
            if self.tracker is not None and not self._quitting:
                (self.tracker.drafting if on else self.tracker.viewing)()

    def action_note(self) -> None:
        m = self._need_current()
        if m:
            mid = m["id"]
            self.ask("internal note (never sent to the customer)", lambda text: self.act(lambda: self.actions.note(mid, text)))

    def action_tag(self) -> None:
        m = self._need_current()
        if not m:
            return
        mid = m["id"]

        def tag(text: str) -> None:
            words = text.replace(",", " ").split()
            add = [w for w in words if not w.startswith("-")]
            remove = [w[1:] for w in words if w.startswith("-") and len(w) > 1]

            def both() -> Done:
                done = Done("")
                if add:
                    done = self.actions.tag(mid, add)
                if remove:
                    done = self.actions.tag(mid, remove, remove=True)
                return done

            if add or remove:
                self.act(both)

        self.ask("tags to add (-tag removes)", tag, words=lambda _: self._tag_words())

    def _tag_words(self) -> list[str]:
        found = {t for m in self.inbox.mentions for t in (m.get("tags") or [])}
        return sorted(found)

    def action_assign(self) -> None:
        m = self._need_current()
        if not m:
            return
        mid = m["id"]

        def assign(text: str) -> None:
            who = text.strip() or self.sw.agent
            if who.lower() in ("none", "-"):
                self.act(lambda: self.actions.assign(mid, None))
            else:
                self.act(lambda: self.actions.assign(mid, who))

        self.ask(f"assign to (enter: you, {self.sw.agent}; none: unassign; tab completes)", assign,
                 words=lambda _: self.inbox.agents())

    def action_escalate(self) -> None:
        m = self._need_current()
        if not m:
            return
        mid = m["id"]

        def team_chosen(team: str) -> None:
            if not team.strip():
                return
            self.ask(f"why escalate to {team.strip()}?",
                     lambda reason: self.act(lambda: self.actions.escalate(mid, team, reason)))

        self.ask("escalate to team (tab completes)", team_chosen, words=lambda _: self.inbox.teams())

    def action_claim(self) -> None:
        self.act(lambda: self.actions.claim_next(self.inbox.claim_filters()))

    def action_resolve(self) -> None:
        m = self._need_current()
        if m:
            mid = m["id"]
            self.act(lambda: self.actions.resolve(mid), optimistic_leave=mid)

    def action_ignore(self) -> None:
        m = self._need_current()
        if m:
            mid = m["id"]
            self.act(lambda: self.actions.ignore(mid), optimistic_leave=mid)

    def action_snooze(self) -> None:
        m = self._need_current()
        if not m:
            return
        mid = m["id"]

        def snooze(text: str) -> None:
            if not text.strip():
                return
            try:
                parse_when(text)  # a typo is said at once, and nothing moves
            except SocialwatchError as exc:
                self.status(str(exc), True)
                return
            self.act(lambda: self.actions.snooze(mid, text), optimistic_leave=mid)

        # "2h" is offered selected: enter takes it, typing replaces it
        tomorrow = (self.now() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")  # (a time without zone: UTC)
        self.ask(f"snooze for (30m, 2h, 1d) or until a time ({tomorrow}, UTC)", snooze, "2h",
                 words=lambda _: list(SNOOZE_WORDS))

    def action_undo(self) -> None:
        self.act(self.actions.undo)

    def action_leave(self) -> None:
        self._quitting = True
        for worker in list(self.workers):
            worker.cancel()
        # An action in flight (a reply being sent) finishes on its thread before the process ends.
        self._executor.shutdown(wait=False)
        if self.tracker is not None:
            with self.reading("presence"):
                self.tracker.close()  # the team stops seeing this agent on the mention at once
        self.exit()

