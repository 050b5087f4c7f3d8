"""Replying from inside triage: suggest matching templates, edit, send exactly once."""

from __future__ import annotations

import click

from socialwatch import outbox, templates
from socialwatch.app import App
from socialwatch.render import safe


def reply_from_triage(app: App, mention: dict) -> bool:
    """Offer the templates that suit the mention, let the agent edit, and send; True if sent."""
    found = templates.load(app.config.config_dir)
    suggested = templates.suggest(found, mention) or list(found.values())
    for n, t in enumerate(suggested[:9], 1):
        click.echo(f"  {n}. {t.name} ({t.visibility}) {safe(t.text)[:90]}")
    choice = click.prompt("template number, or Enter for free text", default="", show_default=False)
    text = (mention.get("draft") or {}).get("text") or ""
    visibility = None
    if choice.strip().isdigit() and 1 <= int(choice) <= len(suggested[:9]):
        tpl = suggested[int(choice) - 1]
        text = templates.fill(tpl, templates.values_for(mention, app.agent, app.config.brand))
        visibility = tpl.visibility
    edited = click.edit(text + "\n", extension=".txt")
    if edited is None or not edited.strip():
        click.echo("not sent (empty reply)")
        return False
    text = edited.strip()
    visibility = visibility or outbox.default_visibility(mention)
    click.echo(f"{visibility} reply:\n  {safe(text)}")
    if not click.confirm("Send it?", default=True):
        return False
    resolve = click.confirm("Resolve the mention as well?", default=False)
    result = outbox.send(app, mention["id"], text, visibility=visibility, resolve=resolve, mention=mention)
    click.echo(f"sent via {result.record['responder']}")
    return True
