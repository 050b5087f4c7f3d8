"""Replying in place: the composer screen.

The customer's message is quoted on top; the composer opens in the reply text (the agent's
draft there, kept across closing and coming back); the saved replies are listed (those suiting
the mention first) and searchable (ctrl+t), and picking one fills its placeholders; the reply is
edited in place (or in `$EDITOR`, ctrl+o), with a live count against the limit of the channel
(a public reply or a private message, per platform) and a preview of exactly what will be sent,
to whom and how (public or private). A direct message is
answered privately: switching such a reply to public (ctrl+p) asks for a confirmation first,
and the outbox refuses a public reply to a DM that was not confirmed.

The screen only decides; the inbox sends (through the outbox, exactly once) with what it
returns: a `Reply`, or None when the agent closed it (the text is then kept as a draft).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from socialwatch.render import safe
from socialwatch.triage import inbox as ib
from socialwatch.triage.widgets import Confirm, HelpScreen, input_ready

KEYS = [
    ("type", "write the reply: the composer always opens in the reply text (your draft there, the cursor at its end)"),
    ("ctrl+t", "search the saved replies (type to search, up/down move, enter uses the highlighted one)"),
    ("tab / shift+tab", "move between the reply text and the saved-reply search"),
    ("ctrl+s", "send the reply"),
    ("ctrl+r", "send the reply and resolve the mention (the inbox moves to the next one)"),
    ("ctrl+p", "switch between public reply and private message (a public reply to a DM asks first)"),
    ("ctrl+o", "edit the reply in $EDITOR"),
    ("?", "types a question mark (in the reply, or the search)"),
    ("f1", "this help"),
    ("esc", "close; the text is kept as your draft on the mention"),
]


#: The composer's key bar, the longest that fits first.
STATUS_KEYS = (" ^s send · ^r send+resolve · ^t saved replies · ^p public/private · ^o $EDITOR · f1 help · esc",
               " ^s send · ^r +resolve · ^t saved replies · ^p public/private · f1 help",
               " ^s send · ^r +resolve · ^t saved · ^p pub/priv · f1 help",
               " ^s send · f1 help")


@dataclass
class Reply:
    """What the agent asked for: send `text` with `visibility` (and resolve)."""

    text: str
    visibility: str
    resolve: bool
    template: str | None
    public_dm_confirmed: bool
    draft: bool = False  # closed without sending: keep `text` as the draft


class Composer(ModalScreen[Reply | None]):
    """The reply editor for one mention (see the module docstring)."""

    TAKES_INPUT = True  # keys typed while it opens wait for its focus (see `widgets.input_ready`)

    DEFAULT_CSS = """
    Composer { background: $background; }
    Composer > Vertical { height: 1fr; }
    #composer-title { height: 1; background: $accent 30%; }
    #composer-quote { height: auto; max-height: 4; color: $text-muted; padding: 0 1; }
    #composer-search, #composer-search:focus { border: none; height: 1; padding: 0 1; }
    #composer-templates { height: 4; border: none; padding: 0; }
    #composer-text { height: 1fr; min-height: 3; border: solid $accent 50%; }
    #composer-preview { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    #composer-status { height: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "send(False)", "send", priority=True),
        Binding("ctrl+r", "send(True)", "send+resolve", priority=True),
        Binding("ctrl+p", "toggle_visibility", "public/private", priority=True),
        Binding("ctrl+t", "templates", "saved replies", priority=True),
        Binding("ctrl+o", "editor", "$EDITOR", priority=True),
        Binding("f1", "help", "help", priority=True),
        Binding("escape", "close", "close", priority=True),
    ]

    def __init__(self, actions: Any, mention: dict, private: bool = False, template: str | None = None) -> None:
        """`template`: the name of a saved reply to fill in at once (`:template NAME`)."""
        super().__init__()
        self.start_template = template
        self.actions = actions
        self.mention = mention
        self.dm = mention.get("kind") == "dm"
        self.visibility = "private" if (private or self.dm) else "public"
        self.public_dm_confirmed = False
        self.note = "a direct message: the reply goes privately (ctrl+p to reply in public)" if self.dm else ""
        self.template: str | None = None
        self.all_templates = actions.suggested(mention)
        self.shown: list[Any] = []
        draft = mention.get("draft") or {}
        self.start_text = str(draft.get("text") or "") if draft.get("agent") in (None, actions.agent) else ""
        if draft.get("visibility") == "private" and self.start_text:
            self.visibility = "private"

    # ---- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="composer-title")
            quote = Text("> ", style="dim")
            quote.append(ib.one_line(self.mention.get("text"), 400))
            yield Static(quote, id="composer-quote")
            yield Input(placeholder="saved replies (ctrl+t): type to search, enter to use", id="composer-search")
            templates = OptionList(id="composer-templates")
            templates.can_focus = False  # moved through from the search box (tab goes to the text)
            yield templates
            yield TextArea(self.start_text, id="composer-text", soft_wrap=True, show_line_numbers=False)
            yield Static(id="composer-preview")
            yield Static(id="composer-status")

    def on_mount(self) -> None:
        self._list_templates("")
        area = self.query_one(TextArea)
        area.move_cursor(area.document.end)  # go on writing after the draft
        # Always the reply text, draft or not, so the same keys do the same thing (ctrl+t: saved replies).
        area.focus()
        self._refresh()
        if self.start_template:
            chosen = [t for t in self.all_templates if t.name.casefold() == self.start_template.casefold()]
            if chosen:
                self._use(chosen[0])
            else:
                self.notify(f"no saved reply {safe(self.start_template)} fits this mention (ctrl+t lists those that do)",
                            severity="error", timeout=8)
        input_ready(self)

    # ---- saved replies ------------------------------------------------------------------------
    def _list_templates(self, query: str) -> None:
        q = query.casefold().strip()
        self.shown = [t for t in self.all_templates
                      if not q or q in t.name.casefold() or q in t.text.casefold() or q in t.description.casefold()
                      or any(q in tag.casefold() for tag in t.tags)]
        box = self.query_one(OptionList)
        box.clear_options()
        for t in self.shown:
            label = Text()
            label.append(f"{t.name} ", style="bold")
            label.append(f"({t.visibility}) ", style="dim")
            label.append(ib.one_line(t.description or t.text, 120))
            box.add_option(Option(label))
        if self.shown:
            box.highlighted = 0
        else:
            box.add_option(Option(Text("no saved reply matches", style="dim"), disabled=True))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "composer-search":
            self._list_templates(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one(OptionList)
        if self.shown and box.highlighted is not None and box.highlighted < len(self.shown):
            self._use(self.shown[box.highlighted])

    def on_key(self, event: Any) -> None:
        # up/down in the search box move through the saved replies
        search = self.query_one("#composer-search", Input)
        if self.focused is search and event.key in ("up", "down"):
            box = self.query_one(OptionList)
            if self.shown:
                current = box.highlighted or 0
                box.highlighted = max(0, min(len(self.shown) - 1, current + (1 if event.key == "down" else -1)))
            event.stop()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_index < len(self.shown):
            self._use(self.shown[event.option_index])

    def _use(self, template: Any) -> None:
        from socialwatch.errors import SocialwatchError

        try:
            text = self.actions.fill(template, self.mention)
        except SocialwatchError as exc:
            self.notify(str(exc), severity="error")
            return
        self.template = template.name
        self.query_one("#composer-search", Input).value = ""  # used: the search is done
        area = self.query_one(TextArea)
        area.load_text(text)
        area.focus()
        area.move_cursor(area.document.end)
        if template.visibility == "private" and self.visibility == "public":
            self.visibility = "private"
            self.note = f"{template.name} is a private reply: sending it as a private message (ctrl+p for public)"
        elif template.visibility == "public" and self.dm and self.visibility == "private":
            self.note = f"{template.name} is written for public replies; this is a DM, so it goes privately"
        self._refresh()

    # ---- state --------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.query_one(TextArea).text.strip()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._refresh()

    def _refresh(self) -> None:
        author = (self.mention.get("author") or {}).get("handle") or "?"
        platform = self.mention.get("platform") or "?"
        title = Text()
        title.append(f" Reply to @{safe(author)} ", style="bold")
        title.append(f"on {safe(platform)} ({safe(self.mention.get('kind') or '')}) ")
        badge = " PUBLIC REPLY " if self.visibility == "public" else " PRIVATE MESSAGE "
        title.append(badge, style="bold reverse" + (" red" if self.visibility == "public" and self.dm else ""))
        self.query_one("#composer-title", Static).update(title)
        text = self.text
        length, limit = self.actions.count(self.mention, text, self.visibility)  # (the channel's limit)
        over = limit is not None and length > limit
        status = Text()
        status.append(f" {length}/{limit if limit is not None else '∞'} ", style="bold reverse red" if over else "bold")
        if over:
            status.append(f" {length - limit} over the limit ", style="bold red")
        width = (self.app.size.width or 80) - len(status)
        status.append(next((k for k in STATUS_KEYS if len(k) <= width), STATUS_KEYS[-1]), style="dim")
        self.query_one("#composer-status", Static).update(status)
        preview = Text()
        if self.note:
            preview.append(f"ℹ {self.note}\n", style="bold yellow")
        if text:
            how = "in public, in the thread" if self.visibility == "public" else "as a private message"
            preview.append(f"Preview, sent {how}: ", style="bold")
            preview.append(safe(text, keep_newlines=True))
        self.query_one("#composer-preview", Static).update(preview)

    # ---- actions ------------------------------------------------------------------------------
    def action_templates(self) -> None:
        self.query_one("#composer-search", Input).focus()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("Composer keys", KEYS, "Saved replies live in templates.toml beside the config.",
                                        key="f1", key_label="f1"))

    def action_toggle_visibility(self) -> None:
        if self.visibility == "public":
            self.visibility = "private"
            self.note = "" if self.dm else "sending as a private message"
            self._refresh()
            return
        if not self.dm:
            self.visibility = "public"
            self.note = ""
            self._refresh()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.visibility = "public"
                self.public_dm_confirmed = True
                self.note = "PUBLIC reply to a direct message: everyone will see it"
            self._refresh()

        self.app.push_screen(Confirm("This is a direct message. Reply in PUBLIC, where everyone can see it?"), answered)

    def action_send(self, resolve: bool) -> None:
        text = self.text
        search = self.query_one("#composer-search", Input)
        if self.focused is search and search.value.strip():
            # typed in the saved-reply search, not in the reply: never send something else
            self.notify("what you typed is in the saved-reply search, not in the reply: enter uses the highlighted "
                        "saved reply, tab goes to the reply text. Nothing was sent.", severity="warning", timeout=8)
            return
        if not text:
            self.notify("the reply is empty (ctrl+t: the saved replies)", severity="warning")
            return
        length, limit = self.actions.count(self.mention, text, self.visibility)
        if limit is not None and length > limit:
            where = "a private message" if self.visibility == "private" else "a public reply"
            self.notify(f"too long for {where} on {self.mention.get('platform')}: {length}/{limit}", severity="error")
            return
        self.dismiss(Reply(text, self.visibility, resolve, self.template, self.public_dm_confirmed))

    def action_close(self) -> None:
        text = self.text
        if text and text != self.start_text.strip():
            self.dismiss(Reply(text, self.visibility, False, self.template, False, draft=True))
        else:
            self.dismiss(None)

    def action_editor(self) -> None:
        import click

        area = self.query_one(TextArea)
        hook = getattr(self.app, "drafting", None)
        if hook:
            hook(True)
        try:
            with self.app.suspend():
                edited = click.edit(area.text + ("\n" if not area.text.endswith("\n") else ""), extension=".txt")
        except Exception as exc:  # noqa: BLE001 - no editor, or a failing one: say so, keep the text
            self.notify(f"$EDITOR failed: {exc}", severity="error")
            edited = None
        finally:
            if hook:
                hook(False)
        if edited is not None:
            area.load_text(edited.rstrip("\n"))
        area.focus()
        self._refresh()
