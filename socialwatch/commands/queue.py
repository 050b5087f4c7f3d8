"""Reading the queue: `triage`, `show`, `score`, `import`, `history`, `customer`."""

from __future__ import annotations

import sys
from typing import Any

import click

from socialwatch.commands.common import MENTION_ID, State, pass_state, read_only
from socialwatch.errors import SocialwatchError
from socialwatch.filter_options import queue_filters


@click.command()
@queue_filters
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="Show at most N mentions.")
@click.option("--json", "as_json", is_flag=True, help="Print the queue as JSON lines and exit.")
@click.option("--list", "as_list", is_flag=True, help="Print the queue as a table and exit.")
@pass_state
def triage(state: State, limit: int | None, as_json: bool, as_list: bool, **filters: Any) -> None:
    """Work the queue, highest priority first.

    On a terminal this opens the full-screen inbox: the queue beside the conversation, views
    (mine, unassigned, all open, pending, by team), replies with saved replies in place, live
    with the team; press ? inside for the keys. Not on a terminal, or with --json (JSON lines)
    or --list (a table), it prints the queue and exits. Snoozed mentions are left out until due.
    """
    from socialwatch import queue
    from socialwatch.output import is_tty, json_lines, public

    app = state.app
    chosen = queue.Filters.from_options(filters)
    chosen.followups = False
    chosen.hide_snoozed = True
    interactive = not (as_json or as_list) and is_tty(sys.stdout) and is_tty(sys.stdin)
    if interactive:
        from socialwatch.triage import run_inbox

        run_inbox(app, chosen, limit=limit)
        return
    read_only()
    items = app.store.select_open(chosen, limit or None)
    if as_json:
        json_lines(public(m) for m in items)
        return
    if as_list:
        from socialwatch import sla, views

        policy = sla.policy(app.config.table("sla"), str(app.config.path))
        click.echo(views.queue_table(items, chosen.at(), policy) if items else "The queue is empty.")
        return
    json_lines(public(m) for m in items)


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the mention as JSON.")
@pass_state
def show(state: State, mention_id: str, as_json: bool) -> None:
    """Show one mention, why it scored as it did, and the author's earlier mentions."""
    from socialwatch import cases, views
    from socialwatch.output import json_line, public

    read_only()
    app = state.app
    mention = app.store.get(mention_id)  # (a few lookups by id: the open queue is never read whole)
    history, thread = cases.context(app.store, mention)
    if as_json:
        json_line({**public(mention), "history": [views.history_entry(m) for m in history],
                   "thread": [views.history_entry(m) for m in thread]})
        return
    from socialwatch import sla
    from socialwatch.model import utcnow

    now = utcnow()
    due = sla.countdown(sla.policy(app.config.table("sla"), str(app.config.path)), mention, now)
    click.echo(views.mention_detail(mention, history, thread, now=now, due=due))
    from socialwatch import presence

    try:
        for mark in presence.who_is_viewing(app.store, mention["id"], exclude=app.agent):
            click.echo(f"Heads up: {mark.describe()}", err=True)
    except SocialwatchError:
        pass  # presence is a courtesy: `show` works without it


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8", errors="surrogateescape"), default="-")
@click.option("--explain", is_flag=True, help="Print each score's reasons as a readable table.")
@pass_state
def score(state: State, file: Any, explain: bool) -> None:
    """Score texts: one per line, or JSON lines with a `text` field (stdin by default).

    Prints one JSON object per line with the score; --explain prints the reasons instead.
    """
    from socialwatch import views
    from socialwatch.importer import iter_texts
    from socialwatch.output import json_line

    scorer = _scorer(state)
    for line_no, text, error in iter_texts(file):
        if error:
            click.echo(f"Warning: line {line_no}: {error}", err=True)
            continue
        result = scorer.score_text(text)
        if explain:
            click.echo(views.score_explanation(text, result))
        else:
            json_line({"text": text, **result})


def _scorer(state: State) -> Any:
    """The configured scorer, or the defaults when there is no config yet."""
    from socialwatch.errors import ConfigError
    from socialwatch.scoring import load_scorer

    try:
        return state.app.scorer
    except ConfigError as exc:
        if "not found" in str(exc) and state.config_path is None:
            return load_scorer({})
        raise


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--source", "source_name", default="import", show_default=True, help="Source name recorded on the mentions.")
@click.option("--platform", default="file", show_default=True, help="Platform for ids without a PLATFORM: prefix.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_state
def import_(state: State, file: str, source_name: str, platform: str, as_json: bool) -> None:
    """Load mentions from a JSONL or CSV file (incl. the Customer Support on Twitter format).

    Malformed lines are reported with the file and line number and skipped; the rest is
    imported. Importing the same file twice stores each mention once.
    """
    from socialwatch.importer import import_file
    from socialwatch.output import is_tty, json_line

    report = import_file(state.app, file, source=source_name, platform=platform, progress=is_tty(sys.stderr))
    for reason in report.errors[:50]:
        click.echo(f"Warning: {reason}", err=True)
    if len(report.errors) > 50:
        click.echo(f"Warning: {len(report.errors) - 50} more malformed lines", err=True)
    if as_json:
        json_line(report.as_dict())
    else:
        click.echo(
            f"{file}: {report.new} new, {report.duplicates} duplicates, {len(report.errors)} skipped, "
            f"{report.angry} angry, {report.viral} viral"
        )
    if report.read == 0 and report.errors:
        sys.exit(1)


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the audit entries as JSON lines.")
@pass_state
def history(state: State, mention_id: str, as_json: bool) -> None:
    """Show the audit trail of one mention: one line per event (when, who, what: tags, note
    texts, reply texts and channel, status changes). --json prints the raw entries."""
    from socialwatch import audit_view
    from socialwatch.output import json_lines

    app = state.app
    entries = list(app.store.audit_entries(mention_id))
    if as_json:
        json_lines(entries)
        return
    if not entries:
        app.store.get(mention_id)  # NotFound for an unknown id
        click.echo(f"No recorded changes to {mention_id}.", err=True)
        return
    wanted = {e["record"] for e in entries if e.get("record")}
    replies = {r["id"]: r for r in app.store.replies() if r.get("id") in wanted} if wanted else {}
    click.echo(f"History of {mention_id} ({len(entries)} event{'' if len(entries) == 1 else 's'}):", err=True)
    for line in audit_view.lines(entries, replies):
        click.echo(line)


@click.command()
@click.argument("handle")
@click.option("--json", "as_json", is_flag=True, help="Print the mentions as JSON lines.")
@pass_state
def customer(state: State, handle: str, as_json: bool) -> None:
    """Show every mention of one customer across sources, with status and assignee.

    HANDLE is matched without regard to case, with or without "@" (or Reddit's "u/"); when no
    handle is exactly that, Mastodon and Bluesky handles whose first part it is are shown
    ("sian" finds sian@toot.wales and sian.bsky.social).
    """
    from socialwatch import customers, views
    from socialwatch.output import json_lines, public

    found = customers.find(state.app.store, handle)
    if as_json:
        json_lines(public(m) for m in found.mentions)
        return
    if not found.mentions:
        click.echo(f"No mentions by {found.shown}.", err=True)
        return
    if found.partial:
        click.echo(f"No handle is exactly {found.shown}; showing {', '.join('@' + h for h in found.handles)}.", err=True)
    click.echo(views.customer_table(found.mentions))


#: The commands this module adds to `socialwatch`.
COMMANDS: list[click.Command] = [triage, show, score, import_, history, customer]
