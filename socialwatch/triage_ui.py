"""The interactive triage queue (a terminal on both ends; see `socialwatch triage`).

The queue is live: while the agent reads a mention, changes other agents and pollers commit
(claims, resolves, replies, new mentions) are shown as they happen (PostgreSQL: LISTEN/NOTIFY;
TinyDB: the audit log and the open file, checked every second), with a heads-up when someone
else takes the mention on screen; the next mention comes from the refreshed queue.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from collections.abc import Callable
from typing import Any

import click

from socialwatch import cases, views, workflow
from socialwatch.app import App
from socialwatch.errors import SocialwatchError
from socialwatch.render import safe

KEYS = "[o]pen [s]kip [t]ag [n]ote [a]ssign to me [r]esolve [i]gnore re[p]ly [q]uit"


def _collision(app: App, m: dict) -> str | None:
    """Who else has this mention open, or a draft on it, and since when."""
    notes = []
    viewing = m.get("viewing") or {}
    if viewing.get("agent") and viewing["agent"] != app.agent:
        notes.append(f"{safe(viewing['agent'])} opened it {views.ago(viewing.get('since'))} ago")
    draft = m.get("draft") or {}
    if draft.get("agent") and draft["agent"] != app.agent:
        notes.append(f"{safe(draft['agent'])} drafted a reply {views.ago(draft.get('at'))} ago")
    if m.get("assignee") and m["assignee"] != app.agent:
        notes.append(f"assigned to {safe(m['assignee'])}")
    return "; ".join(notes) or None


VERBS = {"claim": "claimed", "assign": "took", "resolve": "resolved", "ignore": "ignored", "reopen": "reopened",
         "replied": "replied to", "reply-sending": "is replying to", "escalate": "escalated", "note": "noted on",
         "tag": "tagged", "unassign": "unassigned"}


TAKEN = ("claim", "assign", "resolve", "ignore", "replied", "reply-sending")


class Live:
    """What other agents and pollers did since the last look (see the module docstring)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.dirty = False
        try:
            self.watcher: Any = app.store.watch()
        except SocialwatchError:
            self.watcher = None  # no live updates (the queue still works)

    def show(self, current: str | None, prompt: str | None = None) -> None:
        """Print the changes by others (then the prompt again); a heads-up when the mention on
        screen is taken."""
        if self.watcher is None:
            return
        lines = []
        for change in self.watcher.poll():
            self.dirty = True
            agent, action, mid = change.get("agent"), change.get("action"), change.get("id")
            if agent is not None and agent == self.app.agent:
                continue
            if action == "new":
                lines.append((f"  · {change.get('count', 1)} new mention(s) arrived", "cyan"))
            elif action == "changed":
                lines.append(("  · the queue changed (new mentions or updates)", "cyan"))
            elif action in VERBS and agent:
                if mid == current and action in TAKEN:
                    lines.append((f"Heads up: {safe(str(agent))} {VERBS[action]} the mention you are on ({safe(str(mid))})",
                                  "yellow"))
                else:
                    lines.append((f"  · {safe(str(agent))} {VERBS[action]} {safe(str(mid))}", "cyan"))
        if not lines:
            return
        if prompt is not None:
            click.echo("")
        for text, color in lines:
            click.secho(text, fg=color)
        if prompt is not None:
            click.echo(prompt, nl=False)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.close()


def read_key(live: Live, current: str | None, prompt: str) -> str:
    """One key press; while waiting, show what others change (single keys, no Enter)."""
    try:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):
        return click.getchar()
    try:
        tty.setcbreak(fd)
        watched = live.watcher.fileno() if live.watcher is not None else None
        while True:
            fds = [fd] + ([watched] if watched is not None else [])
            ready, _, _ = select.select(fds, [], [], 1.0)
            if fd in ready:
                data = os.read(fd, 8)
                return data[:1].decode("utf-8", "replace") if data else "q"
            live.show(current, prompt)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run_triage(app: App, items: list[dict], reload: Callable[[], list[dict]] | None = None) -> None:
    """Walk the queue one mention at a time until it is empty or the agent quits; `reload`
    reads the queue again when others changed it."""
    if not items:
        click.echo("The queue is empty.")
        return
    click.echo(views.queue_table(items[:20]))
    live = Live(app)
    try:
        _walk(app, items, reload, live)
    finally:
        live.close()


def _walk(app: App, items: list[dict], reload: Callable[[], list[dict]] | None, live: Live) -> None:
    done: set[str] = set()
    n = 0
    while True:
        live.show(None)
        if live.dirty and reload is not None:
            items = reload()
            live.dirty = False
        pending = [m for m in items if m["id"] not in done]
        if not pending:
            break
        m = pending[0]
        done.add(m["id"])
        n += 1
        try:
            m = app.store.get(m["id"])
        except SocialwatchError:
            continue  # resolved or moved by someone else meanwhile
        if m.get("status") not in ("new", "open", "pending"):
            continue
        click.echo("")
        click.echo(click.style(f"── {n}/{n + len(pending) - 1} ", bold=True) + "─" * 40)
        warning = _collision(app, m)
        if warning:
            click.secho(f"Heads up: {warning}", fg="yellow", err=False)
        click.echo(views.mention_detail(m, *cases.context(app.store, m, limit=5)))  # (as `show` and `claim`)
        try:
            workflow.mark_viewing(app, m["id"])  # so that another agent opening it sees who has it
        except SocialwatchError:
            pass
        if not _act(app, m, live):
            return
    click.echo("End of the queue.")


def _act(app: App, m: dict, live: Live) -> bool:
    """Read keys for one mention; False when the agent quits."""
    while True:
        click.echo(KEYS + ": ", nl=False)
        key = read_key(live, m["id"], KEYS + ": ").lower()
        click.echo(key)
        try:
            if key == "q":
                return False
            if key in ("s", "\r", "\n", " "):
                return True
            if key == "o":
                workflow.mark_viewing(app, m["id"])
                if m.get("url"):
                    click.launch(m["url"])
                continue
            if key == "t":
                tags = click.prompt("tags (comma separated)", default="", show_default=False)
                workflow.tag(app, m["id"], [t.strip() for t in tags.split(",") if t.strip()])
                continue
            if key == "n":
                workflow.note(app, m["id"], click.prompt("note"))
                continue
            if key == "a":
                workflow.assign(app, m["id"], app.agent)
                click.echo(f"assigned to {app.agent}")
                continue
            if key == "r":
                workflow.resolve(app, m["id"])
                click.echo("resolved")
                return True
            if key == "i":
                workflow.ignore(app, m["id"])
                click.echo("ignored")
                return True
            if key == "p":
                from socialwatch.triage_reply import reply_from_triage

                if reply_from_triage(app, m):
                    return True
                continue
        except SocialwatchError as exc:
            click.echo(f"Error: {exc}", err=True)
            continue
        click.echo("unknown key")
