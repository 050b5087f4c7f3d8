"""The interactive triage queue (a terminal on both ends; see `socialwatch triage`)."""

from __future__ import annotations

import click

from socialwatch import views, workflow
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


def run_triage(app: App, items: list[dict]) -> None:
    """Walk the queue one mention at a time until it is empty or the agent quits."""
    if not items:
        click.echo("The queue is empty.")
        return
    click.echo(views.queue_table(items[:20]))
    total = len(items)
    for n, m in enumerate(items, 1):
        try:
            m = app.store.get(m["id"])
        except SocialwatchError:
            continue  # resolved or moved by someone else meanwhile
        if m.get("status") not in ("new", "open", "pending"):
            continue
        click.echo("")
        click.echo(click.style(f"── {n}/{total} ", bold=True) + "─" * 40)
        warning = _collision(app, m)
        if warning:
            click.secho(f"Heads up: {warning}", fg="yellow", err=False)
        history = app.store.author_history((m.get("author") or {}).get("handle"), exclude=m["id"], limit=5)
        click.echo(views.mention_detail(m, history))
        try:
            workflow.mark_viewing(app, m["id"])  # so that another agent opening it sees who has it
        except SocialwatchError:
            pass
        if not _act(app, m):
            return
    click.echo("End of the queue.")


def _act(app: App, m: dict) -> bool:
    """Read keys for one mention; False when the agent quits."""
    while True:
        click.echo(KEYS + ": ", nl=False)
        key = click.getchar().lower()
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
