"""The inbox's command line (`:`), a mixin of `InboxApp`: the commands, what tab completes
after each (a command, then the kind of argument it takes), and running them.

`:filter` takes exactly the options of `socialwatch triage` (`socialwatch.filter_options`, one
definition for both).
"""

from __future__ import annotations

import shlex
from typing import Any

from socialwatch import filter_options
from socialwatch.errors import SocialwatchError
from socialwatch.render import safe
from socialwatch.triage import inbox as ib
from socialwatch.triage.actions import parse_when
from socialwatch.triage.widgets import HelpScreen

COMMANDS = {
    "assign": "assign AGENT (none: unassign)", "claim": "claim the next unassigned mention", "tag": "tag TAG…",
    "untag": "untag TAG…", "note": "note TEXT", "escalate": "escalate TEAM REASON…", "snooze": "snooze 2h | 1d | TIME",
    "wake": "wake a snoozed mention", "resolve": "resolve", "ignore": "ignore", "reopen": "reopen",
    "priority": "priority N | auto", "reply": "reply [SAVED-REPLY] (public)", "private": "private [SAVED-REPLY]: reply by private message",
    "template": "template SAVED-REPLY: the composer with that saved reply filled in",
    "undo": "undo your last action", "view": "view mine|unassigned|open|pending|snoozed|team [NAME]",
    "filter": "filter OPTIONS: the options of `socialwatch triage` (--language cy --needs-response --intent question "
              "--angry --source S --tag T ...; no options: clear)",
    "search": "search TEXT", "clear": "clear the search and filters", "refresh": "re-read the queue",
    "help": "the keys", "quit": "quit",
}

#: What tab offers when snoozing.
SNOOZE_WORDS = ("30m", "1h", "2h", "4h", "1d", "2d", "1w")


class CommandLine:
    """The `:` command line of `InboxApp` (the app provides the actions it calls)."""

    inbox: ib.Inbox
    sw: Any
    actions: Any
    current: str | None

    def action_command(self) -> None:
        self.ask(":", self.run_command, words=self.command_words, hint="tab completes; :help lists the commands")

    def command_words(self, head: str) -> list[str]:
        """What tab completes after `head` on the command line: a command, then the kind of
        argument that command takes (agents for assign, teams for escalate, tags for tag, ...)."""
        words = head.lstrip(":").split()
        if not words:
            return sorted(COMMANDS)
        name = words[0].lower()
        after = len(words) - 1  # arguments already typed
        if name == "assign":
            return [*self.inbox.agents(), "none"] if after == 0 else []
        if name == "escalate":
            return self.inbox.teams() if after == 0 else []
        if name == "tag":
            return self._tag_words()
        if name == "untag":
            m = self.inbox.find(self.current) if self.current else None
            return sorted((m or {}).get("tags") or [])
        if name == "view":
            if after == 0:
                return [*ib.VIEW_KEYS, "all"]
            return self.inbox.teams() if after == 1 and words[1].lower() == "team" else []
        if name == "snooze":
            return list(SNOOZE_WORDS) if after == 0 else []
        if name == "priority":
            return ["auto"] if after == 0 else []
        if name == "filter":
            return self._filter_words(words[-1] if after else "")
        if name in ("reply", "private", "template"):
            return self._saved_reply_words() if after == 0 else []
        return []

    def _saved_reply_words(self) -> list[str]:
        """The saved replies that fit the mention under the cursor (its channel), best first."""
        m = self.inbox.find(self.current) if self.current else None
        if m is None:
            return []
        try:
            return [t.name for t in self.actions.suggested(m)]
        except SocialwatchError:
            return []  # (a broken templates.toml is said when the composer opens)

    def _filter_words(self, previous: str) -> list[str]:
        """After `:filter`: the option names, or the values the option before takes."""
        import click

        options = {name: p for p in filter_options.params() for name in p.opts}
        param = options.get(previous)
        if param is not None and not param.is_flag:
            if isinstance(param.type, click.Choice):
                return [str(c) for c in param.type.choices]
            seen = {"--source": lambda m: m.get("source"), "--language": ib.language_of,
                    "--tag": lambda m: " ".join(m.get("tags") or [])}.get(previous)
            if previous == "--assignee":
                return [*self.inbox.agents(), "none"]
            if seen is not None:
                return sorted({w for m in self.inbox.mentions for w in str(seen(m) or "").split() if w})
            return []
        return [name for p in filter_options.params() for name in p.opts if name.startswith("--")]

    def run_command(self, line: str) -> None:
        """One command-line command (see COMMANDS)."""
        try:
            words = shlex.split(line.strip().lstrip(":"))
        except ValueError as exc:
            self.status(f"cannot read that command: {exc}", True)
            return
        if not words:
            return
        name, args = words[0].lower(), words[1:]
        rest = " ".join(args)
        mid = self.current
        needs_mention = name in ("assign", "tag", "untag", "note", "escalate", "snooze", "wake", "resolve", "ignore",
                                 "reopen", "priority", "reply", "private", "template")
        if needs_mention and not mid:
            self.status("no mention selected", True)
            return
        assert mid is not None or not needs_mention
        if name in ("q", "quit", "exit"):
            self.action_leave()
        elif name == "help":
            self.push_screen(HelpScreen("Commands", [(f":{k}", v) for k, v in COMMANDS.items()]))
        elif name == "assign":
            who = rest.strip() or self.sw.agent
            self.act(lambda: self.actions.assign(mid, None if who.lower() in ("none", "-") else who))
        elif name == "claim":
            self.action_claim()
        elif name in ("tag", "untag"):
            self.act(lambda: self.actions.tag(mid, args, remove=name == "untag"))
        elif name == "note":
            self.act(lambda: self.actions.note(mid, rest))
        elif name == "escalate":
            if len(args) < 2:
                self.status("escalate TEAM REASON…", True)
                return
            self.act(lambda: self.actions.escalate(mid, args[0], " ".join(args[1:])))
        elif name == "snooze":
            try:
                parse_when(rest or "2h")
            except SocialwatchError as exc:
                self.status(str(exc), True)
                return
            self.act(lambda: self.actions.snooze(mid, rest or "2h"), optimistic_leave=mid)
        elif name == "wake":
            self.act(lambda: self.actions.wake(mid))
        elif name == "resolve":
            self.action_resolve()
        elif name == "ignore":
            self.action_ignore()
        elif name == "reopen":
            self.act(lambda: self.actions.reopen(mid))
        elif name == "priority":
            self.act(lambda: self.actions.priority(mid, rest))
        elif name in ("reply", "private", "template"):
            if name == "template" and not args:
                self.status("template SAVED-REPLY (tab completes)", True)
                return
            self.action_reply(name == "private", args[0] if args else None)
        elif name == "undo":
            self.action_undo()
        elif name == "view":
            key = (args[0].lower() if args else "open").replace("all", "open")
            if key not in ib.VIEW_KEYS:
                self.status(f"no view {safe(key)}: " + ", ".join(ib.VIEW_KEYS), True)
                return
            if key == "team":
                self.inbox.team = " ".join(args[1:]) or None
            self.inbox.view = key
            self.fill(keep=self.current, fallback=0)
        elif name == "filter":
            try:
                self.inbox.extra = filter_options.parse(args)  # exactly as `socialwatch triage` reads them
            except SocialwatchError as exc:
                self.status(f"{exc} (:filter takes the options of socialwatch triage)", True)
                return
            statuses = self.inbox.extra.statuses
            if statuses and statuses <= {"pending"} and self.inbox.view != "pending":
                self.inbox.view = "pending"  # pending cases are in their own view
            elif statuses and not statuses & {"pending"} and self.inbox.view == "pending":
                self.inbox.view = "open"
            self.fill(keep=self.current, fallback=0)
            self.status(f"{len(self.table.ids)} match" if args else "filters cleared")
        elif name == "search":
            self.inbox.query = rest
            self.fill(keep=self.current, fallback=0)
        elif name == "clear":
            self.inbox.query = ""
            self.inbox.extra = type(self.inbox.extra)()
            self.fill(keep=self.current, fallback=0)
            self.status("search and :filter cleared")
        elif name == "refresh":
            self.action_refresh()
        else:
            self.status(f"unknown command :{safe(name)} (:help lists them)", True)
