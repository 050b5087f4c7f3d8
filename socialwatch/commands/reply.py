"""Replies: `reply`, `draft`, `templates`, `outbox` (the exactly-once record of every send)."""

from __future__ import annotations

import sys

import click

from socialwatch.commands.common import MENTION_ID, State, pass_state
from socialwatch.errors import SocialwatchError


def _parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--var")
        out[key.strip()] = value
    return out


def _template_text(state: State, mention: dict, name: str, variables: dict[str, str]) -> tuple[str, str]:
    from socialwatch import templates

    app = state.app
    tpl = templates.get(app.config.config_dir, name)
    return templates.fill(tpl, templates.values_for(mention, app.agent, app.config.brand, variables)), tpl.visibility


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--text", "-m", help="Reply with this text.")
@click.option("--template", "-t", "template", metavar="NAME", help="Reply with this saved reply.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="A value for a custom placeholder.")
@click.option("--public", "public", is_flag=True, help="Reply in public (default for public mentions).")
@click.option("--private", "private", is_flag=True, help="Reply by private message (default for DMs).")
@click.option("--resolve", is_flag=True, help="Resolve the mention once the reply is sent.")
@click.option("--again", is_flag=True, help="Send although a reply to this mention was already sent.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the outbox record as JSON.")
@pass_state
def reply(state: State, mention_id: str, text: str | None, template: str | None, variables: tuple[str, ...],
          public: bool, private: bool, resolve: bool, again: bool, yes: bool, as_json: bool) -> None:
    """Send a reply to a mention, exactly once: the saved draft, --text or --template.

    Two agents replying at once: one wins, the other is told who replied. A second reply to a
    mention needs --again. An unknown outcome (network failure after sending) is recorded and
    never retried by itself: see `socialwatch outbox`.
    """
    from socialwatch import outbox
    from socialwatch.output import is_tty, json_line
    from socialwatch.render import safe

    app = state.app
    if text and template:
        raise click.UsageError("use either --text or --template")
    if public and private:
        raise click.UsageError("use either --public or --private, not both")
    visibility = "public" if public else "private" if private else None
    mention = app.store.get(mention_id)
    tpl_name = None
    suggested = suggested_by = None
    if template:
        text, suggested = _template_text(state, mention, template, _parse_vars(variables))
        tpl_name, suggested_by = template, f"template {template}"
    elif text is None:
        draft = mention.get("draft") or {}
        if not draft.get("text"):
            raise click.UsageError(f"{mention_id} has no saved draft: give --text, --template or run `socialwatch draft`")
        text = draft["text"]
        suggested, suggested_by = draft.get("visibility"), "the saved draft"
    choice = outbox.choose_visibility(mention, visibility, suggested, suggested_by or "the template")
    if choice.note:
        click.echo(f"Note: {safe(choice.note)}", err=True)
    interactive = is_tty(sys.stdin) and is_tty(sys.stderr)
    if choice.public_dm and not yes:
        if not interactive:
            raise click.UsageError(f"{mention_id} is a direct message: add --yes to confirm a public reply to it")
        click.echo(f"{safe(mention_id)} is a DIRECT MESSAGE. A public reply is visible to everyone:\n  {safe(text)}", err=True)
        click.confirm("Reply in public anyway?", default=False, abort=True, err=True)
    elif not yes and interactive:
        click.echo(f"Reply to {safe(mention_id)} ({choice.value}):\n  {safe(text)}", err=True)
        click.confirm("Send it?", abort=True, err=True)
    result = outbox.send(app, mention_id, text, visibility=visibility, suggested=suggested, again=again, resolve=resolve,
                         template=tpl_name, mention=mention, public_dm_confirmed=choice.public_dm)
    if as_json:
        json_line(result.record)
    else:
        where = f" ({result.record['url']})" if result.record.get("url") else ""
        click.echo(f"Sent {result.record['visibility']} reply to {mention_id} via {result.record['responder']}{where}")


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--template", "-t", "template", metavar="NAME", help="Start from this saved reply.")
@click.option("--text", "-m", help="Save this text as the draft without opening an editor.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="A value for a custom placeholder.")
@click.option("--private", "private", is_flag=True, help="Draft a private message.")
@pass_state
def draft(state: State, mention_id: str, template: str | None, text: str | None, variables: tuple[str, ...], private: bool) -> None:
    """Write a reply draft in $EDITOR (or --text) and save it on the mention."""
    from socialwatch import model, outbox, textlimits, workflow
    from socialwatch.render import safe

    app = state.app
    mention = app.store.get(mention_id)
    suggested = None
    if template:
        start, suggested = _template_text(state, mention, template, _parse_vars(variables))
    else:
        start = (mention.get("draft") or {}).get("text") or ""
    choice = outbox.choose_visibility(mention, "private" if private else None, suggested, f"template {template}")
    if text is None:
        # An unchanged template is a draft: the editor's text counts whether or not it was saved again.
        edited = click.edit(start + "\n", extension=".txt", require_save=False)
        text = (edited or "").strip()
    if not text.strip():
        raise SocialwatchError("draft not saved: it is empty")
    if choice.note:
        click.echo(f"Note: {safe(choice.note)}", err=True)
    visibility = choice.value
    saved = {"text": text, "visibility": visibility, "agent": app.agent, "at": model.iso(model.utcnow()), "template": template}

    def apply(m: dict) -> None:
        m["draft"] = saved

    workflow.change(app, mention_id, "draft", apply)
    problem = textlimits.check(mention.get("platform") or "", text, visibility=visibility)
    click.echo(f"Draft saved on {mention_id} ({visibility})" + (f"; note: {problem}" if problem else ""), err=True)


@click.command("templates")
@click.option("--for", "for_id", metavar="ID", type=MENTION_ID, help="Suggest the templates that suit this mention.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per template.")
@pass_state
def templates_cmd(state: State, for_id: str | None, as_json: bool) -> None:
    """List the saved replies (templates.toml beside the config)."""
    from dataclasses import asdict

    from socialwatch import templates
    from socialwatch.output import json_lines
    from socialwatch.render import table

    app = state.app
    found = templates.load(app.config.config_dir)
    items = list(found.values())
    if for_id:
        items = templates.suggest(found, app.store.get(for_id))  # for a DM: only private replies
    if as_json:
        json_lines({**asdict(t), "placeholders": t.placeholders()} for t in items)
        return
    if not items:
        click.echo(f"No templates{' suit ' + for_id if for_id else ''} (see {templates.path_for(app.config.config_dir)})", err=True)
        return
    click.echo(table([[t.name, t.visibility, ", ".join(t.tags), t.text] for t in items], ["name", "visibility", "tags", "text"]))


@click.group("outbox", invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Also list sent replies.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per record.")
@click.pass_context
def outbox_cmd(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List replies that are pending, failed or of unknown outcome (--all: every reply)."""
    if ctx.invoked_subcommand is not None:
        return
    from socialwatch import outbox
    from socialwatch.output import json_lines
    from socialwatch.render import table

    state: State = ctx.obj
    rows = outbox.records(state.app, None if show_all else ("pending", "sending", "failed", "unknown"))
    if as_json:
        json_lines(rows)
        return
    if not rows:
        click.echo("The outbox is clear: no pending, failed or unknown replies.", err=True)
        return
    click.echo(table([[r["id"], r["state"], r["mention_id"], r["agent"], r["updated_at"], r.get("error") or "", r["text"]]
                      for r in rows], ["record", "state", "mention", "agent", "updated", "error", "text"]))


@outbox_cmd.command("reconcile")
@pass_state
def outbox_reconcile(state: State) -> None:
    """Ask the platforms whether replies of unknown outcome were posted, and settle them."""
    from socialwatch import outbox

    results = outbox.reconcile(state.app)
    for record, result in results:
        click.echo(f"{record['id']} ({record['mention_id']}): {result}")
    if not results:
        click.echo("Nothing to reconcile.", err=True)


@outbox_cmd.command("retry")
@click.argument("record_id", metavar="RECORD")
@pass_state
def outbox_retry(state: State, record_id: str) -> None:
    """Send a failed reply again."""
    from socialwatch import outbox

    result = outbox.retry(state.app, record_id)
    click.echo(f"{record_id}: {result.record['state']}")


#: The commands this module adds to `socialwatch`.
COMMANDS: list[click.Command] = [reply, draft, templates_cmd, outbox_cmd]
