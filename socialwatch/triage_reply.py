"""Replying from inside triage: suggest matching templates, edit, send exactly once.

The channel decides the visibility (`outbox.choose_visibility`): a direct message is answered
privately and is offered only templates written for a private reply. Whatever comes back from
the editor is the reply, changed or not (an unchanged template is a reply; only an empty text
is not), and it is sent only after the agent confirms.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from socialwatch import outbox, templates
from socialwatch.app import App
from socialwatch.render import safe


def reply_from_triage(app: App, mention: dict, drafting: Callable[[bool], None] | None = None) -> bool:
    """Offer the templates that suit the mention, let the agent edit, and send; True if sent.

    `drafting(True)` is called before the editor opens and `drafting(False)` after it closes
    (triage marks the agent as drafting meanwhile, see presence.py)."""
    found = templates.load(app.config.config_dir)
    suggested = templates.suggest(found, mention) or templates.for_channel(found, mention)
    for n, t in enumerate(suggested[:9], 1):
        click.echo(f"  {n}. {t.name} ({t.visibility}) {safe(t.text)[:90]}")
    if not suggested and mention.get("kind") == "dm":
        click.echo("  (no template is written for a private reply: write one, or free text)")
    choice = click.prompt("template number, or Enter for free text", default="", show_default=False)
    text = (mention.get("draft") or {}).get("text") or ""
    suggested_visibility = (mention.get("draft") or {}).get("visibility") if text else None
    suggested_by = "the saved draft"
    if choice.strip().isdigit() and 1 <= int(choice) <= len(suggested[:9]):
        tpl = suggested[int(choice) - 1]
        text = templates.fill(tpl, templates.values_for(mention, app.agent, app.config.brand))
        suggested_visibility, suggested_by = tpl.visibility, f"template {tpl.name}"
    if drafting is not None:
        drafting(True)
    try:
        # require_save=False: the editor's text is the reply even when the agent accepts it unchanged.
        edited = click.edit(text + "\n", extension=".txt", require_save=False)
    finally:
        if drafting is not None:
            drafting(False)
    text = (edited or "").strip()
    if not text:
        click.echo("not sent (empty reply)")
        return False
    visibility = outbox.choose_visibility(mention, None, suggested_visibility, suggested_by)
    if visibility.note:
        click.echo(f"Note: {safe(visibility.note)}")
    click.echo(f"{visibility.value} reply:\n  {safe(text)}")
    if not click.confirm("Send it?", default=True):
        return False
    resolve = click.confirm("Resolve the mention as well?", default=False)
    result = outbox.send(app, mention["id"], text, suggested=suggested_visibility, resolve=resolve, mention=mention)
    click.echo(f"sent via {result.record['responder']}")
    return True
