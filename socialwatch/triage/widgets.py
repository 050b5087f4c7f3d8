"""The inbox's widgets: the view bar, the queue table, the conversation pane, and small screens
(help, prompts with completion, confirmation).

Stored text reaches the screen only as `rich.text.Text` built from `render.safe` output, never
as Textual markup: a customer's "[bold]" or "[@click=…]" is shown as typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import DataTable, Input, Static

from socialwatch import model
from socialwatch.render import safe
from socialwatch.triage import inbox as ib


# ---- the view bar ------------------------------------------------------------------------------
class ViewBar(Static):
    """One line of views with their counts, and on the right who is working and whether the
    screen is live; click a view to switch (keys 1-6, tab). On a narrow terminal the views take
    short labels, then the agent's name goes: the live state always stays."""

    DEFAULT_CSS = """
    ViewBar { height: 1; width: 1fr; }
    """

    def __init__(self, on_pick: Callable[[str], None], **kw: Any) -> None:
        super().__init__(**kw)
        self.on_pick = on_pick
        self.spans: list[tuple[int, int, str]] = []

    def show(self, current: str, counts: dict[str, int], team: str | None, agent: str, state: str,
             width: int) -> None:
        """`agent` and `state` are already safe; `width`: the columns the bar has."""
        width = max(width, 20)
        for short, right in ((False, f"{agent} · {state}"), (True, f"{agent} · {state}"), (True, state)):
            text, spans = self._views(current, counts, team, short)
            if len(text) + 2 + len(right) <= width:
                self._put(text, spans, right, width)
                return
        text, spans = self._views(current, counts, team, True)
        text.truncate(max(width - len(state) - 2, 1), overflow="ellipsis")
        self._put(text, [(a, min(b, len(text)), k) for a, b, k in spans if a < len(text)], state, width)

    @staticmethod
    def _views(current: str, counts: dict[str, int], team: str | None,
               short: bool) -> tuple[Text, list[tuple[int, int, str]]]:
        text = Text(no_wrap=True, overflow="ellipsis")
        spans = []
        for n, (key, label) in enumerate(ib.VIEWS, 1):
            if short and key != current:
                label = ib.SHORT_LABELS[key]
            if key == "team" and team:
                label = f"{label} {ib.short(team, 8 if short else 12)}"
            if n > 1:
                text.append(" ")
            start = len(text)
            text.append(f"{n}:{label} {counts.get(key, 0)}", style="reverse bold" if key == current else "")
            spans.append((start, len(text), key))
        return text, spans

    def _put(self, text: Text, spans: list[tuple[int, int, str]], right: str, width: int) -> None:
        self.spans = spans
        text.append(" " * max(2, width - len(text) - len(right)))
        text.append(right, style="dim")
        self.update(text)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self.spans:
            if start <= event.x < end:
                self.on_pick(key)
                return


class FilterBar(Static):
    """The active search and filters, under the view bar (hidden when there are none)."""

    DEFAULT_CSS = """
    FilterBar { height: 1; width: 1fr; display: none; }
    FilterBar.active { display: block; }
    """

    def show(self, started: str, typed: str, query: str) -> None:
        """`started`: the filters `triage` was started with; `typed`: those of `:filter`;
        `query`: the search (all already safe)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        parts: list[tuple[str, str]] = []
        if started:
            parts.append(("triage ", started))
        if typed:
            parts.append((":filter ", typed))
        if query:
            parts.append(("/", query))
        for i, (label, value) in enumerate(parts):
            text.append(" · " if i else " ▼ ", style="dim")
            text.append(label, style="dim")
            text.append(value, style="bold")
        if typed or query:
            text.append("  (esc clears", style="dim")
            text.append(" the search and :filter)" if started else ")", style="dim")
        self.set_class(bool(parts), "active")
        self.update(text)


# ---- the queue ---------------------------------------------------------------------------------
class QueueTable(DataTable):
    """The queue: one row per mention (the row key is the mention id)."""

    DEFAULT_CSS = """
    QueueTable { height: 1fr; overflow-x: hidden; }
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, cell_padding=0, **kw)
        self.ids: list[str] = []
        self.keys: dict[str, Any] = {}  # mention id -> the table's row key
        self.shown: dict[str, ib.Row] = {}

    def on_mount(self) -> None:
        for key, header, width in ib.COLUMNS:
            self.add_column(header, key=key, width=(width + 1) if width else self._text_width())

    def _text_width(self) -> int:
        fixed = sum(w + 1 for _, _, w in ib.COLUMNS if w)
        return max(10, (self.size.width or 80) - fixed - 2)  # (2: the vertical scrollbar)

    def on_resize(self, event: events.Resize) -> None:
        column = self.columns.get("text")  # type: ignore[call-overload]
        if column is not None and column.width != self._text_width():
            column.width = self._text_width()
            self._require_update_dimensions = True
            self.refresh(layout=True)

    def fill(self, rows: list[ib.Row], keep: str | None, fallback: int = 0) -> str | None:
        """Show `rows`, keeping the cursor on mention `keep` if it is still there (else on the row
        at `fallback`); returns the id under the cursor.

        Cheap when little changed (a live update, an action's result): rows that left are
        removed and changed cells updated in place; only a new order rebuilds the table."""
        new_ids = [r.id for r in rows]
        if new_ids == self.ids:
            for r in rows:
                old = self.shown.get(r.id)
                if old is not None and old != r:
                    for (key, _, _), cell, before in zip(ib.COLUMNS, _cells(r), _cells(old), strict=True):
                        if cell != before:
                            self.update_cell(self.keys[r.id], key, cell)
                self.shown[r.id] = r
        elif len(new_ids) < len(self.ids) and _is_subsequence(new_ids, self.ids):
            kept = set(new_ids)
            for gone in [i for i in self.ids if i not in kept]:
                self.remove_row(self.keys.pop(gone))
                self.shown.pop(gone, None)
            self.ids = new_ids
            return self.fill(rows, keep, fallback)
        else:
            self.clear()
            self.ids = new_ids
            self.keys = dict(zip(new_ids, self.add_rows([_cells(r) for r in rows]), strict=True))
            self.shown = {r.id: r for r in rows}
        if not rows:
            return None
        index = self.ids.index(keep) if keep in self.keys else min(max(fallback, 0), len(rows) - 1)
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False, scroll=True)
        return self.ids[index]

    @property
    def current(self) -> str | None:
        if not self.ids or self.cursor_row < 0 or self.cursor_row >= len(self.ids):
            return None
        return self.ids[self.cursor_row]


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(x in it for x in short)


def _cells(row: ib.Row) -> list[Text]:
    prio, flags, sla, age, author, state, intent, text = row.cells
    hot = "bold" if row.priority >= 70 else ""
    return [
        Text(prio.rjust(3), style=hot),
        Text(flags, style="bold red" if "A" in flags or "!" in flags else ""),
        Text(sla, style="bold red" if row.overdue else ""),
        Text(age),
        Text(author),
        Text(state, style="bold" if row.mine else ""),
        Text(intent),
        Text(text, no_wrap=True, overflow="ellipsis"),
    ]


# ---- the conversation --------------------------------------------------------------------------
class ConversationPane(VerticalScroll):
    """The mention, its thread, the score's reasons, the customer's history and the activity."""

    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    ConversationPane { height: 1fr; border-left: vkey $foreground 30%; padding: 0 1; }
    ConversationPane > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("No mention selected.", style="dim"), id="conversation-body")

    def show_text(self, renderable: Any, home: bool = True) -> None:
        self.query_one("#conversation-body", Static).update(renderable)
        if home:
            self.scroll_home(animate=False)


def heading(m: dict, agent: str, now: datetime, sla_text: str = "", overdue: bool = False) -> Text:
    """The first lines about a mention: who, where, when, state."""
    score = m.get("score") or {}
    author = m.get("author") or {}
    t = Text()
    t.append(f"{model.effective_priority(m, now)} ", style="bold")
    for flag, on in (("ANGRY", score.get("angry")), ("VIRAL", score.get("viral")), ("DM", m.get("kind") == "dm")):
        if on:
            t.append(flag + " ", style="bold red" if flag != "DM" else "bold")
    name = f"{safe(author.get('name'))} " if author.get("name") else ""
    t.append(f"{name}@{safe(author.get('handle') or '?')}", style="bold")
    if author.get("followers") is not None:
        t.append(f" · {author['followers']:,} followers")
    if author.get("verified"):
        t.append(" · verified")
    t.append("\n")
    t.append(f"{safe(m.get('platform') or '?')} {safe(m.get('kind') or '')} · {ib.ago(m.get('created_at'), now)} ago · "
             f"{safe(m['id'])}\n", style="dim")
    meta = [str(m.get("status"))]
    meta.append(f"assigned to {'you' if m.get('assignee') == agent else safe(m['assignee'])}" if m.get("assignee")
                else "unassigned")
    if m.get("team"):
        meta.append(f"team {safe(m['team'])}")
    if m.get("tags"):
        meta.append("#" + " #".join(safe(t) for t in m["tags"]))
    intent, lang = ib.intent_of(m), ib.language_of(m)
    if intent:
        meta.append(f"intent {safe(intent)}")
    if lang:
        meta.append(f"lang {safe(lang)}")
    if sla_text:
        meta.append(f"SLA {'overdue ' + sla_text.lstrip('-') if overdue else sla_text + ' left'}")
    if m.get("snoozed_until"):
        meta.append(f"snoozed until {safe(m['snoozed_until'])}")
    t.append(" · ".join(meta), style="bold red" if overdue else "")
    return t


def conversation_view(conv: ib.Conversation, agent: str, now: datetime, sla_text: str = "", overdue: bool = False) -> Group:
    """The whole pane as Rich renderables (all stored text through `safe`)."""
    from socialwatch.views import csat_line

    m = conv.mention
    parts: list[Any] = [heading(m, agent, now, sla_text, overdue)]
    from socialwatch.views import triage_line

    intel = triage_line(m, now)  # needs a response, intent, language, risk (already made safe)
    if intel:
        parts.append(Text(intel, style="bold red" if (m.get("score") or {}).get("risk") else ""))
    survey = csat_line(m)  # (already made safe)
    if survey:
        parts.append(Text(survey, style="bold"))
    for note in conv.collisions:
        parts.append(Text(f"⚠ {note}", style="bold yellow reverse"))
    for r in conv.replies:
        if r.get("state") in ("failed", "unknown"):
            word = "FAILED" if r["state"] == "failed" else "OUTCOME UNKNOWN"
            advice = "retry: socialwatch outbox retry " + safe(r["id"]) if r["state"] == "failed" else "run: socialwatch outbox reconcile"
            parts.append(Text(f"✗ reply {word} ({safe(str(r.get('error') or ''))[:160]}); {advice}", style="bold red"))
    parts.append(_rule("Conversation"))
    parts.append(_said(f"@{safe((m.get('author') or {}).get('handle') or '?')}", m.get("created_at"), m.get("text"), now,
                       truncated=bool(m.get("truncated"))))
    items: list[tuple[str, Any]] = []
    for f in conv.thread:
        items.append((f.get("created_at") or "", _said(f"@{safe((f.get('author') or {}).get('handle') or '?')}",
                                                       f.get("created_at"), f.get("text"), now)))
    for r in conv.replies:
        who = f"{safe(str(r.get('agent')))} → {r.get('visibility')} reply ({r.get('state')})"
        items.append((r.get("created_at") or "", _said(who, r.get("created_at"), r.get("text"), now, style="green")))
    for n in m.get("notes") or []:
        if isinstance(n, dict):
            items.append((n.get("at") or "", _said(f"note by {safe(str(n.get('agent')))}", n.get("at"), n.get("text"), now,
                                                   style="yellow")))
    for e in m.get("escalations") or []:
        if isinstance(e, dict):
            items.append((e.get("at") or "", _said(f"{safe(str(e.get('agent')))} escalated to {safe(str(e.get('team')))}",
                                                   e.get("at"), e.get("reason"), now, style="magenta")))
    if m.get("draft"):
        d = m["draft"]
        items.append(((d.get("at") or "") + "~", _said(f"draft by {safe(str(d.get('agent')))} ({d.get('visibility')})",
                                                      d.get("at"), d.get("text"), now, style="dim")))
    for _, item in sorted(items, key=lambda p: p[0]):
        parts.append(item)
    score = m.get("score") or {}
    parts.append(_rule(f"Why priority {model.effective_priority(m, now)}"))
    from socialwatch import cases

    reasons = Text()
    if m.get("priority_override") is not None:
        reasons.append(f"     override: set by an agent (computed {score.get('priority')})\n")
    from socialwatch.views import waiting_factor

    for r in [*cases.reasons(m), *waiting_factor(m, now)]:
        c = r.get("contribution", 0)
        points = f"{c:+.0f}" if isinstance(c, (int, float)) else safe(str(c))[:4]
        reasons.append(f"{points:>4} ", style="bold")
        reasons.append(f"{ib.short(r.get('factor', ''), 12):<12} ")
        reasons.append(safe(str(r.get("detail", ""))) + "\n")
    reasons.rstrip()
    parts.append(reasons)
    parts.append(_rule(f"Customer history ({len(conv.history)})"))
    if not conv.history:
        parts.append(Text("No earlier mentions by this customer.", style="dim"))
    for h in conv.history:
        line = Text()
        line.append(f"{ib.ago(h.get('created_at'), now):>4} ", style="dim")
        line.append(f"{safe(h.get('platform') or h.get('source') or '')} {h.get('status')} ")
        line.append(ib.one_line(h.get("text"), 160))
        parts.append(line)
    if conv.events:
        parts.append(_rule("Activity"))
        for e in conv.events:
            if e.get("action") in ("reply-sending",):
                continue
            parts.append(Text(f"{ib.ago(e.get('at'), now):>4} {ib.describe_event(e, conv.replies)}", style="dim"))
    return Group(*parts)


def _rule(title: str) -> Text:
    return Text(f"── {title} ", style="bold")


def _said(who: str, at: str | None, text: str | None, now: datetime, style: str = "", truncated: bool = False) -> Text:
    t = Text()
    t.append(f"{who}", style=f"bold {style}".strip())
    t.append(f" · {ib.ago(at, now)} ago\n", style="dim")
    t.append(safe(text or "", keep_newlines=True), style=style)
    if truncated:
        t.append("\n[text truncated: it was longer than the 100 KB limit]", style="dim")
    return t


# ---- small screens -----------------------------------------------------------------------------
def input_ready(screen: Any) -> None:
    """A screen that takes typing (a prompt, the composer) has its focus in place: keys typed
    meanwhile, held by the app, go to it now, in order (see `InboxApp.hold_input`)."""
    release = getattr(screen.app, "release_input", None)
    if release is not None:
        screen.app.call_later(release)  # after the focus, which Textual sets on its next turn


#: What a prompt completes from: the words that fit after `head` (the text before the word
#: being typed), e.g. agents after ":assign", teams after ":escalate".
Words = Callable[[str], list[str]]


class Completions(Suggester):
    """Completes the last word typed from the words that fit there (see `Words`)."""

    def __init__(self, words: Words) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self.words = words

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value, self.words)


def complete(value: str, words: Words | list[str]) -> str | None:
    """`value` with its last word completed from `words` (the first that starts with it)."""
    head, _, last = value.rpartition(" ")
    if not last:
        return None
    candidates = words(head) if callable(words) else words
    for word in candidates:
        if word.lower().startswith(last.lower()) and word.lower() != last.lower():
            return (head + " " if head else "") + word
    return None


class Prompt(ModalScreen[str | None]):
    """One line of input at the bottom (a note, tags, an agent, a command); tab completes."""

    TAKES_INPUT = True  # keys typed while it opens wait for its focus (see `input_ready`)

    DEFAULT_CSS = """
    Prompt { align: center bottom; background: $background 40%; }
    Prompt > Vertical { height: auto; width: 1fr; border-top: solid $accent; background: $surface; }
    Prompt Static { height: auto; color: $text-muted; }
    Prompt Input, Prompt Input:focus { border: none; height: 1; padding: 0 0; background: $surface; }
    """
    BINDINGS = [Binding("escape,ctrl+c", "cancel", "cancel", show=False, priority=True),
                Binding("tab", "complete", "complete", show=False)]

    def __init__(self, label: str, value: str = "", hint: str = "", words: Words | None = None) -> None:
        super().__init__()
        self.label = label
        self.value = value
        self.hint = hint
        self.words = words

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.label + (f"  ({self.hint})" if self.hint else "")))
            # a value given beforehand (the current search) is selected: typing replaces it,
            # an arrow key keeps it
            yield Input(value=self.value, suggester=Completions(self.words) if self.words else None,
                        id="prompt-input", select_on_focus=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        input_ready(self)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self) -> None:
        box = self.query_one(Input)
        if self.words is None:
            return
        completed = complete(box.value, self.words)
        if completed is not None:
            box.value = completed
            box.cursor_position = len(box.value)


class Confirm(ModalScreen[bool]):
    """A yes/no question (y / n, enter = the safe answer: no)."""

    DEFAULT_CSS = """
    Confirm { align: center middle; background: $background 60%; }
    Confirm > Static { width: 60; height: auto; border: heavy $warning; padding: 1 2; background: $surface; }
    """
    BINDINGS = [Binding("y", "answer(True)", "yes"), Binding("n,escape,enter", "answer(False)", "no")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        yield Static(Text(self.question + "\n\n[y] yes   [n] no", style="bold"))

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class HelpScreen(ModalScreen[None]):
    """The keys of the screen it was opened from."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen > VerticalScroll { width: 76; max-width: 100%; height: auto; max-height: 100%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,enter", "close", "close")]

    def __init__(self, title: str, keys: list[tuple[str, str]], extra: str = "", key: str = "question_mark",
                 key_label: str = "?") -> None:
        """`key`: the key that opened the help (it closes it too; `key_label` as the agent sees it)."""
        super().__init__()
        self.title_text = title
        self.keys = keys
        self.extra = extra
        self.key_label = key_label
        self._bindings.bind(key, "close", "close", show=False)

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column()
        for key, what in self.keys:
            grid.add_row(key, what)
        body: list[Any] = [Text(self.title_text, style="bold underline"), grid]
        if self.extra:
            body.append(Text("\n" + self.extra, style="dim"))
        box = VerticalScroll()
        # on the frame, so that it shows however long the help is (it scrolls inside)
        box.border_subtitle = f"esc or {self.key_label} closes this help"
        with box:
            yield Static(Group(*body))

    def action_close(self) -> None:
        self.dismiss(None)
