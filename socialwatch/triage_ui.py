"""The interactive triage queue (a terminal on both ends; see `socialwatch triage`).

The queue is live: while the agent reads a mention, changes other agents and pollers commit
(claims, resolves, replies, new mentions) are shown as they happen (PostgreSQL: LISTEN/NOTIFY;
TinyDB: the audit log and the open file, checked every second), with a heads-up when someone
else takes the mention on screen; the next mention comes from the refreshed queue.

Who is viewing what is a presence mark (presence.py), kept apart from the queue: showing a
mention never changes it, so it never looks like a change to this agent or to others. The mark
is refreshed while the agent stays on the mention, moves with them and is cleared when they
quit; another agent on the same mention is announced ("tom is viewing it").

Ctrl-C at a prompt (tag, note, reply) cancels that prompt and goes back to the keys; at the
keys it leaves triage.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from collections.abc import Callable
from typing import Any

import click

from socialwatch import cases, presence, views, workflow
from socialwatch.app import App
from socialwatch.errors import SocialwatchError
from socialwatch.render import safe

KEYS = "[o]pen [s]kip [t]ag [n]ote [a]ssign to me [r]esolve [i]gnore re[p]ly [q]uit"


#: How often triage looks for other agents arriving on the mention on screen (seconds).
PRESENCE_CHECK = 3.0


def _others(app: App, mention_id: str) -> list[presence.Mark]:
    try:
        return presence.who_is_viewing(app.store, mention_id, exclude=app.agent)
    except SocialwatchError:
        return []


def _collision(app: App, m: dict, others: list[presence.Mark] | None = None) -> str | None:
    """Who else is viewing this mention or drafting a reply to it, or has a draft on it."""
    notes = [mark.describe() for mark in (_others(app, m["id"]) if others is None else others)]
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
        self.tracker = presence.Tracker(app.store, app.agent)
        self._present: set[tuple[str, str]] = set()  # (agent, activity) already announced on this mention
        self._checked = 0.0

    def on(self, mention_id: str, others: list[presence.Mark]) -> None:
        """The agent now has `mention_id` on screen (`others`: who was announced already)."""
        self.tracker.on(mention_id)
        self._present = {(o.agent, o.activity) for o in others}
        self._checked = time.monotonic()

    def idle(self, current: str | None, prompt: str | None) -> None:
        """While waiting for a key: refresh our presence, announce agents arriving on the
        mention on screen, show the changes by others."""
        self.tracker.tick()
        if current is not None and time.monotonic() - self._checked >= PRESENCE_CHECK:
            self._checked = time.monotonic()
            arrived = [o for o in _others(self.app, current) if (o.agent, o.activity) not in self._present]
            if arrived:
                self._present |= {(o.agent, o.activity) for o in arrived}
                if prompt is not None:
                    click.echo("")
                for o in arrived:
                    click.secho(f"Heads up: {o.describe()}", fg="yellow")
                if prompt is not None:
                    click.echo(prompt, nl=False)
        self.show(current, prompt)

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
        self.tracker.close()
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
            live.idle(current, prompt)
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
        others = _others(app, m["id"])
        warning = _collision(app, m, others)
        if warning:
            click.secho(f"Heads up: {warning}", fg="yellow", err=False)
        click.echo(views.mention_detail(m, *cases.context(app.store, m, limit=5)))  # (as `show` and `claim`)
        live.on(m["id"], others)  # so that another agent opening it is told who is viewing it
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
                _open(m)
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

                def drafting(on: bool) -> None:
                    (live.tracker.drafting if on else live.tracker.viewing)()

                if reply_from_triage(app, m, drafting):
                    return True
                continue
        except (click.Abort, KeyboardInterrupt):  # Ctrl-C or Ctrl-D at a prompt: cancel it, stay on the mention
            click.echo("")
            click.echo("cancelled")
            continue
        except SocialwatchError as exc:
            click.echo(f"Error: {exc}", err=True)
            continue
        click.echo("unknown key")


def _open(m: dict) -> None:
    """Open the mention's link in a browser, or show the link when none can be started."""
    from socialwatch.browser import open_url

    url = m.get("url")
    if not url:
        click.echo("this mention has no link")
        return
    problem = open_url(url)
    if problem is None:
        click.echo(f"opened in your browser: {safe(url)}")
    else:
        click.echo(f"{problem}; the link: {safe(url)}")
