"""What the inbox shows, without Textual: the views of the queue, its rows and a conversation.

Everything here is plain data and strings already made safe for a terminal (`render.safe`):
the widgets only lay it out. All stored text that reaches the screen passes through `safe`
here, so escapes, bidi overrides and control characters are shown as visible escapes, and
long texts are clipped in the list (the conversation shows them whole, scrollable).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socialwatch import model, queue
from socialwatch.render import safe

#: The views (tabs) of the queue: key, label, short label (narrow terminals).
#: As in Zendesk, the work views (mine, unassigned, all open, by team) list what awaits us
#: (new and open cases); a pending case (answered, waiting on the customer) has its own view,
#: and is back in the work views when the customer writes again (a follow-up reopens it).
VIEWS = (("mine", "Mine"), ("unassigned", "Unassigned"), ("open", "Open"), ("pending", "Pending"),
         ("team", "Team"), ("snoozed", "Snoozed"))
SHORT_LABELS = {"mine": "Mine", "unassigned": "Unasg", "open": "Open", "pending": "Pend", "team": "Team",
                "snoozed": "Snz"}
VIEW_KEYS = tuple(k for k, _ in VIEWS)
WORK_VIEWS = ("mine", "unassigned", "open", "team")

#: The statuses of a case that awaits us (a first answer, or an answer to the customer's latest).
AWAITING = ("new", "open")


def awaiting(m: dict) -> bool:
    """Whether the case awaits an answer from us (not pending on the customer)."""
    return (m.get("status") or "new") in AWAITING

#: Columns of the queue table: key, header, width (None: the rest of the line). One space
#: follows each column: an 80-column terminal keeps about 30 columns for the text.
COLUMNS = (("prio", "pri", 3), ("flags", "flags", 5), ("sla", "sla", 4), ("age", "age", 3), ("author", "author", 12),
           ("state", "state", 9), ("intent", "intent", 8), ("text", "text", None))

#: Characters of a text shown in the list (the conversation pane shows it all).
LIST_TEXT = 200

Clock = Callable[[], datetime]


def one_line(text: str | None, limit: int = LIST_TEXT) -> str:
    """Stored text as one safe line of at most `limit` characters (for the list)."""
    raw = (text or "")[: limit * 2]  # safe() can only lengthen; never escape a 100 KB text for a list cell
    line = " ".join(safe(raw).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def short(value: Any, limit: int) -> str:
    text = safe(str(value)) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ago(value: str | None, now: datetime) -> str:
    """'5m', '3h', '2d' since an ISO time ('-' if unknown)."""
    from socialwatch.views import ago as views_ago

    return views_ago(value, now)


def span(seconds: float) -> str:
    """A compact duration: '45s', '12m', '3h', '2d' (negative: '-3h')."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{sign}{int(seconds // size)}{unit}"
    return f"{sign}{int(seconds)}s"


def intent_of(m: dict) -> str:
    score = m.get("score") or {}
    value = score.get("intent") or m.get("intent")
    if isinstance(value, dict):
        value = value.get("label") or value.get("name")
    return str(value) if value else ""


def language_of(m: dict) -> str:
    score = m.get("score") or {}
    value = score.get("language") or m.get("language") or m.get("lang")
    if isinstance(value, dict):
        value = value.get("code") or value.get("label")
    return str(value) if value else ""


def flags(m: dict, sending: dict[str, str]) -> str:
    """A few letters: A angry, V viral, D direct message, R a risk (fraud, safety, vulnerability,
    legal, press), ! a reply failed or of unknown outcome,
    ~ a reply in flight, d a saved draft, +N the customer's follow-ups."""
    score = m.get("score") or {}
    out = ""
    if score.get("angry"):
        out += "A"
    if score.get("viral"):
        out += "V"
    if m.get("kind") == "dm":
        out += "D"
    if score.get("risk"):
        out += "R"
    state = sending.get(m["id"])
    if state in ("failed", "unknown"):
        out += "!"
    elif state:
        out += "~"
    if m.get("draft"):
        out += "d"
    if m.get("followups"):
        out += f"+{len(m['followups'])}"
    return out


@dataclass
class Row:
    """One line of the queue table."""

    id: str
    cells: tuple[str, ...]
    priority: int
    angry: bool
    overdue: bool
    mine: bool


@dataclass
class Conversation:
    """Everything the right-hand pane shows about one mention."""

    mention: dict
    thread: list[dict] = field(default_factory=list)  # the customer's follow-ups in this case
    history: list[dict] = field(default_factory=list)  # their other mentions, any source
    replies: list[dict] = field(default_factory=list)  # outbox records (any state)
    events: list[dict] = field(default_factory=list)  # audit entries
    collisions: list[str] = field(default_factory=list)  # "tom is viewing it", ...
    complete: bool = False  # read whole from the store (not just the queue's copy)


class Inbox:
    """The queue as the inbox sees it: one read of the open mentions, cut into views."""

    def __init__(self, app: Any, filters: queue.Filters | None = None, limit: int | None = None,
                 clock: Clock | None = None) -> None:
        self.app = app
        base = copy.copy(filters) if filters is not None else queue.Filters()
        base.followups = False
        base.hide_snoozed = False  # the Snoozed view shows them; the others leave them out
        self.base = base
        self.limit = limit
        self.clock = clock or model.utcnow
        # a queue asked for by status pending (`triage --status pending`) opens on that view
        self.view = "pending" if base.statuses and base.statuses <= {"pending"} else "open"
        self.team: str | None = None
        self.query = ""
        self.extra = queue.Filters()  # filters typed on the command line (`:filter --angry`)
        self.mentions: list[dict] = []
        self.sending: dict[str, str] = {}  # mention id -> state of a reply in flight / failed
        # The whole open queue as last read (TinyDB; None for a database, which looks each id up
        # by index): lookups of the conversation use it instead of reading the open file again.
        self.snapshot: list[dict] | None = None
        self._policy: Any = None

    @property
    def agent(self) -> str:
        return self.app.agent

    @property
    def policy(self) -> Any:
        if self._policy is None:
            from socialwatch import sla

            self._policy = sla.policy(self.app.config.table("sla"), str(self.app.config.path))
        return self._policy

    # ---- reading ------------------------------------------------------------------------------
    def read(self, store: Any | None = None) -> tuple[list[dict], dict[str, str]]:
        """The open queue and the outbox records in trouble, read from the store (any thread)."""
        store = store or self.app.store
        base = copy.copy(self.base)
        base.now = self.clock()  # the priority moves with the clock: ordered as of this read
        snapshot = store.snapshot()  # TinyDB: the open file, read once for the queue and the lookups
        mentions = queue.select(snapshot, base) if snapshot is not None else store.select_open(base)
        sending = {r["mention_id"]: r["state"] for r in store.replies(("pending", "sending", "failed", "unknown"))}
        self.snapshot = snapshot
        return mentions, sending

    def load(self, store: Any | None = None) -> None:
        self.mentions, self.sending = self.read(store)

    def accept(self, mentions: list[dict], sending: dict[str, str]) -> None:
        """Take a queue read elsewhere (the live worker)."""
        self.mentions, self.sending = mentions, sending

    def find(self, mention_id: str) -> dict | None:
        for m in self.mentions:
            if m["id"] == mention_id:
                return m
        return None

    # ---- views --------------------------------------------------------------------------------
    def in_view(self, m: dict, view: str, now: datetime) -> bool:
        snoozed = bool(m.get("snoozed_until")) and queue.is_snoozed(m, now)
        if view == "snoozed":
            return snoozed
        if snoozed:
            return False
        if view == "pending":
            return m.get("status") == "pending"
        if not awaiting(m):
            return False  # the work views: what awaits us
        if view == "mine":
            return m.get("assignee") == self.agent
        if view == "unassigned":
            return not m.get("assignee")
        if view == "team":
            return bool(m.get("team")) and (self.team is None or m.get("team") == self.team)
        return True

    def matches_query(self, m: dict) -> bool:
        if not self.query:
            return True
        q = self.query.casefold()
        author = m.get("author") or {}
        handle = str(author.get("handle") or "").lstrip("@")
        # the handle as shown ("@marcusbelltech"), so that "/@marcus" finds it as "/marcus" does
        hay = " ".join(str(x) for x in (m.get("text"), "@" + handle if handle else None, author.get("name"), m["id"],
                                         " ".join(m.get("tags") or []), m.get("assignee"), m.get("team")) if x)
        return q in hay.casefold()

    def rerank(self) -> None:
        """Order the queue in memory as of now (the waiting factor rises with the clock)."""
        now = self.clock()
        self.mentions.sort(key=lambda m: queue.sort_key(m, now))

    def filters_text(self) -> tuple[str, str]:
        """The active filters as options: those `triage` was started with, those typed on the
        command line (`:filter`); not yet made safe."""
        from socialwatch import filter_options

        return filter_options.describe(self.base), filter_options.describe(self.extra)

    def claim_filters(self) -> queue.Filters:
        """What `c` claims from: this inbox's filters, and (unless they name statuses) only
        cases that await us: never a pending one."""
        chosen = copy.copy(self.base)
        if not chosen.statuses:
            chosen.statuses = set(AWAITING)
        return chosen

    def visible(self) -> list[dict]:
        """The mentions of the current view, query and filters, highest priority first."""
        now = self.clock()
        self.extra.now = now
        out = [m for m in self.mentions if self.in_view(m, self.view, now) and self.extra.matches(m) and self.matches_query(m)]
        return out if self.limit is None else out[: self.limit]

    def counts(self) -> dict[str, int]:
        """How many mentions each view lists with the search and filters in force (what the
        agent would see there)."""
        now = self.clock()
        self.extra.now = now
        result = dict.fromkeys(VIEW_KEYS, 0)
        for m in self.mentions:
            if not (self.extra.matches(m) and self.matches_query(m)):
                continue
            for key in VIEW_KEYS:
                if self.in_view(m, key, now):
                    result[key] += 1
        return result

    def teams(self) -> list[str]:
        found = {str(m["team"]) for m in self.mentions if m.get("team")}
        routed = {str(r.team) for r in getattr(self.app, "rules", []) if getattr(r, "team", None)}
        return sorted(found | routed)

    def agents(self) -> list[str]:
        """Agents to offer when assigning: the configured team list, everyone seen in the queue."""
        names = {self.agent}
        names.update(str(a) for a in (self.app.config.table("triage").get("agents") or []))
        names.update(str(m["assignee"]) for m in self.mentions if m.get("assignee"))
        return sorted(names)

    # ---- rows ---------------------------------------------------------------------------------
    def sla_left(self, m: dict, now: datetime) -> tuple[str, bool]:
        """Time left to the first-response target in business time, as `show` and `health` count it
        ('' once answered or when none is due) and whether it is past."""
        from socialwatch import sla

        try:
            countdown = sla.countdown(self.policy, m, now)
        except (ValueError, Exception):  # noqa: BLE001 - a bad policy or date must not break the list
            return "?", False
        if countdown is None:
            return "", False
        left = countdown.left.total_seconds()
        return span(left), countdown.overdue

    def row(self, m: dict, now: datetime) -> Row:
        author = m.get("author") or {}
        sla_text, overdue = self.sla_left(m, now)
        assignee = m.get("assignee")
        status = {"pending": "pend"}.get(m.get("status") or "", m.get("status") or "")
        state = status + (f" {short('me' if assignee == self.agent else assignee, 8 - len(status))}" if assignee else "")
        intent = intent_of(m)
        lang = language_of(m)
        what = " ".join(x for x in (short(intent, 5) if intent and lang else short(intent, 8),
                                    short(lang, 2) if lang else "") if x)
        prio = model.effective_priority(m, now)  # (with the waiting time as of now)
        cells = (str(prio), flags(m, self.sending), sla_text, ago(m.get("created_at"), now),
                 "@" + short(author.get("handle") or "?", 11), state, what, one_line(m.get("text")))
        return Row(m["id"], cells, prio, bool((m.get("score") or {}).get("angry")), overdue, assignee == self.agent)

    def rows(self) -> list[Row]:
        now = self.clock()
        return [self.row(m, now) for m in self.visible()]

    # ---- the conversation ---------------------------------------------------------------------
    def conversation(self, mention_id: str, store: Any | None = None) -> Conversation:
        """Read what the conversation pane shows (any thread; several small reads)."""
        from socialwatch import cases

        store = store or self.app.store
        snapshot = self.snapshot
        m = store.get(mention_id, snapshot)
        conv = Conversation(mention=m)
        conv.history, conv.thread = cases.context(store, m, limit=10, open_list=snapshot)
        conv.replies = store.replies_of(m["id"])
        conv.events = list(store.audit_entries(m["id"]))[-30:]
        conv.collisions = collisions(self.app, store, m, conv.replies)
        conv.complete = True
        return conv


def collisions(app: Any, store: Any, m: dict, replies: list[dict]) -> list[str]:
    """Who else is on this mention: viewing, drafting, sending a reply, or has it assigned."""
    from socialwatch import presence

    me = app.agent
    notes = []
    try:
        notes += [mark.describe() for mark in presence.who_is_viewing(store, m["id"], exclude=me)]
    except Exception:  # noqa: BLE001 - presence is a courtesy: never break the pane
        pass
    draft = m.get("draft") or {}
    if draft.get("agent") and draft["agent"] != me:
        notes.append(f"{safe(str(draft['agent']))} saved a draft reply {ago(draft.get('at'), model.utcnow())} ago")
    for r in replies:
        if r.get("state") in ("pending", "sending") and r.get("agent") != me:
            notes.append(f"{safe(str(r.get('agent')))} is sending a reply")
    if m.get("assignee") and m["assignee"] != me:
        notes.append(f"assigned to {safe(str(m['assignee']))}")
    return notes


def describe_event(e: dict, replies: list[dict] | None = None) -> str:
    """One audit entry as a short, safe line: 'tom: assigned to sam' (see audit_view)."""
    from socialwatch import audit_view

    by_id = {r["id"]: r for r in replies or [] if r.get("id")}
    return f"{safe(str(e.get('agent') or '?'))}: {audit_view.describe(e, by_id)}"
