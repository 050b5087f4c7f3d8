"""Who is looking at a mention right now: short-lived presence marks ("viewing", "drafting").

Agent collision, as help desks call it: when two agents open the same mention, each should
know that the other is on it before they both answer. A presence mark says "agent A is viewing
(or drafting a reply to) mention M since T"; it is

- kept apart from the mentions (TinyDB: `presence.json` beside the store, under its own lock;
  PostgreSQL: the `presence` table), so that marking a mention as viewed never rewrites the
  queue, never waits for the store lock, never enters the audit log and never shows up in other
  agents' live queue as a change;
- short-lived: a mark expires by itself `ttl` seconds after it was last set (viewing: 2
  minutes), so an agent whose terminal died, or who walked away from a killed process, stops
  being announced within minutes; expired marks are ignored on read and pruned on write;
- refreshed by the program showing the mention while the agent stays on it, and cleared when
  the agent moves on or quits (`Tracker` does both for a UI).

Expiry is judged by the store's clock: this machine's for TinyDB, the database server's for
PostgreSQL (so agents on laptops with skewed clocks still agree). On PostgreSQL every change
of a mark also sends `NOTIFY socialwatch_presence` (payload: mention id, agent, activity or
"cleared"), for a live display of who is where; the queue's own channel is not touched.

Library API (what `triage` uses, and what a full-screen inbox can build on):

    mark_viewing(store, agent, mention_id)     -> Mark   # set or refresh
    mark_drafting(store, agent, mention_id)    -> Mark   # while a reply is being written
    clear(store, agent, mention_id=None)                 # one mark, or all of the agent's
    who_is_viewing(store, mention_id, exclude=agent) -> [Mark]   # live marks of a mention
    everyone(store) -> [Mark]                            # every live mark
    Tracker(store, agent)                                # one mention at a time, refreshed

Presence is a courtesy, never a lock: any agent may still act on a mention someone else is
viewing (claims and replies have their own guarantees). A failure to record a mark is therefore
never an error for the agent; `Tracker` swallows store errors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

VIEWING = "viewing"
DRAFTING = "drafting"
ACTIVITIES = (VIEWING, DRAFTING)

#: How long a viewing mark lasts without a refresh (seconds).
VIEWING_TTL = 120.0
#: How long a drafting mark lasts: an external editor cannot refresh it, so it is longer.
DRAFTING_TTL = 600.0
#: How often a `Tracker` refreshes the mark of the mention on screen (seconds).
REFRESH_EVERY = 30.0


@dataclass(frozen=True)
class Mark:
    """One agent's presence on one mention (times are UTC ISO 8601)."""

    mention_id: str
    agent: str
    activity: str
    since: str
    expires_at: str

    def describe(self) -> str:
        """'tom is viewing it (for 3m)', 'tom is drafting a reply (for 1m)' (agent made safe)."""
        from socialwatch.render import safe
        from socialwatch.views import ago

        what = "is drafting a reply" if self.activity == DRAFTING else "is viewing it"
        return f"{safe(self.agent)} {what} (for {ago(self.since)})"

    @classmethod
    def from_dict(cls, d: dict) -> Mark:
        return cls(mention_id=str(d["mention_id"]), agent=str(d["agent"]), activity=str(d["activity"]),
                   since=str(d["since"]), expires_at=str(d["expires_at"]))


def _check(activity: str, ttl: float) -> None:
    if activity not in ACTIVITIES:
        raise ValueError(f"unknown presence activity {activity!r}")
    if ttl <= 0:
        raise ValueError("a presence mark needs a positive ttl")


def mark(store: Any, agent: str, mention_id: str, activity: str = VIEWING, ttl: float | None = None) -> Mark:
    """Set or refresh `agent`'s mark on `mention_id` (it expires `ttl` seconds from now; `since`
    is kept while the activity stays the same)."""
    ttl = ttl if ttl is not None else (DRAFTING_TTL if activity == DRAFTING else VIEWING_TTL)
    _check(activity, ttl)
    return Mark.from_dict(store.presence_board().put(mention_id, agent, activity, float(ttl)))


def mark_viewing(store: Any, agent: str, mention_id: str, ttl: float = VIEWING_TTL) -> Mark:
    """`agent` has `mention_id` on screen (see `mark`)."""
    return mark(store, agent, mention_id, VIEWING, ttl)


def mark_drafting(store: Any, agent: str, mention_id: str, ttl: float = DRAFTING_TTL) -> Mark:
    """`agent` is writing a reply to `mention_id` (see `mark`)."""
    return mark(store, agent, mention_id, DRAFTING, ttl)


def clear(store: Any, agent: str, mention_id: str | None = None) -> None:
    """Remove `agent`'s mark on `mention_id`, or all of `agent`'s marks."""
    store.presence_board().clear(agent, mention_id)


def who_is_viewing(store: Any, mention_id: str, exclude: str | None = None) -> list[Mark]:
    """The live marks on `mention_id` (oldest first), leaving out agent `exclude` (usually yourself)."""
    marks = [Mark.from_dict(d) for d in store.presence_board().live(mention_id)]
    return sorted((m for m in marks if m.agent != exclude), key=lambda m: (m.since, m.agent))


def everyone(store: Any) -> list[Mark]:
    """Every live mark in the store (by mention, then oldest first)."""
    marks = [Mark.from_dict(d) for d in store.presence_board().live(None)]
    return sorted(marks, key=lambda m: (m.mention_id, m.since, m.agent))


class Tracker:
    """The presence of one agent in a UI that shows one mention at a time.

    `on(id)` marks the mention (clearing the previous one's mark), `tick()` refreshes the mark
    when `REFRESH_EVERY` has passed (call it whenever the UI is idle), `drafting()` switches to
    a drafting mark while an editor is open, and `off()`, `close()` or the end of a `with` block
    clear it. A tracker holds one mark at a time and clears only its own, so the same agent in a
    second terminal keeps theirs. Store errors are swallowed: presence is a courtesy and must
    never stop an agent's work.
    """

    def __init__(self, store: Any, agent: str, refresh_every: float = REFRESH_EVERY) -> None:
        self.store = store
        self.agent = agent
        self.refresh_every = refresh_every
        self.current: str | None = None
        self.activity = VIEWING
        self._last = 0.0

    def _set(self, activity: str) -> None:
        if self.current is None:
            return
        try:
            mark(self.store, self.agent, self.current, activity)
        except Exception:  # noqa: BLE001 - a courtesy: never fail the agent's work (see the class doc)
            pass
        self.activity = activity
        self._last = time.monotonic()

    def on(self, mention_id: str) -> None:
        """The agent now has `mention_id` on screen."""
        if self.current is not None and self.current != mention_id:
            self.off()
        self.current = mention_id
        self._set(VIEWING)

    def drafting(self) -> None:
        """The agent is writing a reply to the current mention (an editor is open)."""
        self._set(DRAFTING)

    def viewing(self) -> None:
        """Back to viewing the current mention (the editor was closed)."""
        self._set(VIEWING)

    def tick(self) -> None:
        """Refresh the current mark if it is due (cheap to call every second)."""
        if self.current is not None and time.monotonic() - self._last >= self.refresh_every:
            self._set(self.activity)

    def off(self) -> None:
        """The agent left the current mention."""
        if self.current is None:
            return
        try:
            clear(self.store, self.agent, self.current)
        except Exception:  # noqa: BLE001 - see the class doc
            pass
        self.current = None

    def close(self) -> None:
        """The agent quit: clear the mark."""
        self.off()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
