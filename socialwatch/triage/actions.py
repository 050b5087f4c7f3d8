"""What the inbox's keys do: the workflow library's functions (the same the CLI commands call),
each returning a line for the status bar, and an undo of the agent's last action.

Undo keeps the audit entries each action wrote (`workflow.recording`) and reverts them with
`workflow.revert`, which refuses when someone changed the same fields since. A sent reply is
never undone: the outbox keeps it, and the platform has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from socialwatch import model, outbox, templates, textlimits, workflow
from socialwatch.errors import UsageError
from socialwatch.render import safe


@dataclass
class Done:
    """What an action did: a message for the status bar; `moved_on` when the mention left the
    agent's hands (resolved, ignored, snoozed, sent and resolved), so the inbox shows the next."""

    message: str
    moved_on: bool = False
    mention: dict | None = None
    focus: bool = False  # put the cursor on this mention (claim next)


def parse_when(value: str, now: datetime | None = None) -> datetime:
    """'2h', '30m', '1d' from now, or a time ('2026-12-05T09:00', a date): a snooze's end."""
    value = value.strip()
    now = now or model.utcnow()
    try:
        return now + model.parse_duration(value)
    except ValueError:
        pass
    try:
        return model.parse_time(value)
    except ValueError:
        raise UsageError(f"not a duration or a time: {value!r} (e.g. 2h, 1d, 2026-12-05T09:00)") from None


class Actions:
    """The agent's actions on mentions, with an undo stack of this session's changes."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.undo_stack: list[tuple[str, str, list[dict]]] = []  # (label, mention id, audit entries)

    @property
    def agent(self) -> str:
        return self.app.agent

    def _record(self, label: str, mention_id: str, fn: Any) -> Any:
        with workflow.recording() as entries:
            result = fn()
        if entries:
            self.undo_stack.append((label, mention_id, list(entries)))
        return result

    # ---- the workflow ------------------------------------------------------------------------
    def claim_next(self, filters: Any = None) -> Done:
        m = self._record("claim", "", lambda: workflow.claim(self.app, filters))
        if m is None:
            return Done("nothing to claim: no unassigned open mention")
        if self.undo_stack and self.undo_stack[-1][0] == "claim":
            self.undo_stack[-1] = ("claim", m["id"], self.undo_stack[-1][2])
        return Done(f"claimed {safe(m['id'])}", mention=m, focus=True)

    def assign(self, mention_id: str, to: str | None) -> Done:
        to = (to or "").strip().lstrip("@") or None
        m = self._record("assign", mention_id, lambda: workflow.assign(self.app, mention_id, to))
        return Done(f"assigned to {safe(to)}" if to else "unassigned", mention=m)

    def resolve(self, mention_id: str) -> Done:
        m = self._record("resolve", mention_id, lambda: workflow.resolve(self.app, mention_id))
        return Done(f"resolved {safe(mention_id)}", moved_on=True, mention=m)

    def ignore(self, mention_id: str) -> Done:
        m = self._record("ignore", mention_id, lambda: workflow.ignore(self.app, mention_id))
        return Done(f"ignored {safe(mention_id)}", moved_on=True, mention=m)

    def reopen(self, mention_id: str) -> Done:
        m = self._record("reopen", mention_id, lambda: workflow.reopen(self.app, mention_id))
        return Done(f"reopened {safe(mention_id)}", mention=m)

    def tag(self, mention_id: str, words: list[str], remove: bool = False) -> Done:
        words = [w.strip().lstrip("#") for w in words if w.strip().lstrip("#")]
        if not words:
            raise UsageError("no tag given")
        m = self._record("untag" if remove else "tag", mention_id, lambda: workflow.tag(self.app, mention_id, words, remove=remove))
        return Done("tags: " + (", ".join(safe(t) for t in m.get("tags") or []) or "none"), mention=m)

    def note(self, mention_id: str, text: str) -> Done:
        m = self._record("note", mention_id, lambda: workflow.note(self.app, mention_id, text))
        return Done("note added", mention=m)

    def escalate(self, mention_id: str, team: str, reason: str) -> Done:
        team = team.strip()
        if not team:
            raise UsageError("escalate to which team?")
        if not reason.strip():
            raise UsageError("an escalation needs a reason")
        m = self._record("escalate", mention_id, lambda: workflow.escalate(self.app, mention_id, team, reason.strip()))
        return Done(f"escalated to {safe(team)}", mention=m)

    def snooze(self, mention_id: str, when: str) -> Done:
        until = parse_when(when)
        m = self._record("snooze", mention_id, lambda: workflow.snooze(self.app, mention_id, until))
        return Done(f"snoozed until {m['snoozed_until']}", moved_on=True, mention=m)

    def wake(self, mention_id: str) -> Done:
        m = self._record("unsnooze", mention_id, lambda: workflow.snooze(self.app, mention_id, None))
        return Done("back in the queue", mention=m)

    def priority(self, mention_id: str, value: str) -> Done:
        number = None if value.strip() == "auto" else _int(value, 0, 100)
        m = self._record("priority", mention_id, lambda: workflow.set_priority(self.app, mention_id, number))
        return Done(f"priority {model.effective_priority(m)}", mention=m)

    def undo(self) -> Done:
        if not self.undo_stack:
            return Done("nothing to undo")
        label, mention_id, entries = self.undo_stack[-1]
        if label == "reply":
            self.undo_stack.pop()
            return Done("a sent reply cannot be unsent (the outbox and the platform keep it)")
        workflow.revert(self.app, entries)  # Conflict: the entry stays, nothing changed
        self.undo_stack.pop()
        return Done(f"undid {label} on {safe(mention_id)}", mention={"id": mention_id})

    # ---- replies --------------------------------------------------------------------------------
    def templates(self) -> list[templates.Template]:
        return list(templates.load(self.app.config.config_dir).values())

    def suggested(self, mention: dict) -> list[templates.Template]:
        """The saved replies that fit the mention's channel, those whose tags suit it first."""
        found = templates.load(self.app.config.config_dir)
        first = templates.suggest(found, mention)
        fitting = templates.for_channel(found, mention)  # for a DM: only replies written to be private
        return first + [t for t in fitting if t not in first]

    def fill(self, template: templates.Template, mention: dict) -> str:
        return templates.fill(template, templates.values_for(mention, self.agent, self.app.config.brand))

    def count(self, mention: dict, text: str, visibility: str = "public") -> tuple[int, int | None]:
        """The reply's length as the mention's platform counts it for the channel it goes
        through (a public reply, or a private message: an X DM takes 10,000 characters), and
        the limit."""
        return textlimits.measure(mention.get("platform") or "", text, visibility=visibility)

    def send(self, mention: dict, text: str, visibility: str, resolve: bool = False, template: str | None = None,
             public_dm_confirmed: bool = False) -> Done:
        """Send through the outbox (exactly once); a refusal or failure raises, and a failed or
        unknown send stays visible on the mention (its outbox record)."""
        result = outbox.send(self.app, mention["id"], text, visibility=visibility, resolve=resolve, template=template,
                             mention=mention, public_dm_confirmed=public_dm_confirmed)
        self.undo_stack.append(("reply", mention["id"], []))
        where = f" ({safe(result.record['url'])})" if result.record.get("url") else ""
        what = f"sent {result.record['visibility']} reply via {safe(result.record['responder'])}{where}"
        return Done(what + (" and resolved" if resolve else ""), moved_on=resolve, mention=result.mention)

    def save_draft(self, mention_id: str, text: str, visibility: str, template: str | None = None) -> Done:
        saved = {"text": text, "visibility": visibility, "agent": self.agent, "at": model.iso(model.utcnow()),
                 "template": template}

        def apply(m: dict) -> None:
            m["draft"] = saved if text.strip() else None

        m = self._record("draft", mention_id, lambda: workflow.change(self.app, mention_id, "draft", apply))
        return Done("draft saved" if text.strip() else "draft cleared", mention=m)


def _int(value: str, lo: int, hi: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise UsageError(f"expected a number {lo}-{hi} or auto") from None
    if not lo <= number <= hi:
        raise UsageError(f"expected a number {lo}-{hi} or auto")
    return number
