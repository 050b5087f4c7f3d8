"""Working a mention: `resolve`/`ignore` (one or in bulk), `reopen`, `assign`, `claim`, `tag`,
`note`, `priority`, `sentiment`, `escalate`, `snooze`, `undo`."""

from __future__ import annotations

import sys
from typing import Any

import click

from socialwatch.commands.common import MENTION_ID, State, pass_state
from socialwatch.errors import SocialwatchError
from socialwatch.filter_options import queue_filters


def count_noun(n: int, noun: str) -> str:
    """'1 mention', '3 mentions'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _done(mention: dict, what: str, as_json: bool = False) -> None:
    from socialwatch.output import json_line, public

    if as_json:
        json_line(public(mention))
    else:
        click.echo(f"{mention['id']}: {what}")


def _bulk(state: State, action: str, ids: tuple[str, ...], where: bool, yes: bool,
          older_than: str | None, below_priority: int | None, filters: dict[str, Any]) -> None:
    from socialwatch import queue, workflow
    from socialwatch.output import is_tty

    app = state.app
    if ids and where:
        raise click.UsageError("give mention ids or --where filters, not both")
    if not ids and not where:
        raise click.UsageError("give one or more mention ids, or --where with filters")
    if where:
        from socialwatch import poller

        filters["older_than"] = poller.since_option(older_than) if older_than else None
        filters["below_priority"] = below_priority
        wanted = queue.Filters.from_options(filters)
        wanted.followups = False  # cases, as triage shows them (closing a case closes its follow-ups)
        chosen = app.store.select_open(wanted)
        if not chosen:
            click.echo("No open mention matches.", err=True)
            return
        if not yes:
            n = count_noun(len(chosen), "mention")
            if not is_tty(sys.stdin):
                raise click.UsageError(f"{n} {'matches' if len(chosen) == 1 else 'match'}: add --yes to {action} "
                                       f"{'it' if len(chosen) == 1 else 'them'} without a terminal")
            click.confirm(f"{action.capitalize()} {n}?", abort=True, err=True)
        ids = tuple(m["id"] for m in chosen)
    status = {"resolve": "resolved", "ignore": "ignored"}[action]
    changed = workflow.change_many(app, list(ids), action, workflow.set_status(status), strict=not where)
    for m in changed:
        _done(m, status)
        _case_note(m, f"the case stays open: {action} {m.get('case_id')} to close it")
    # Idempotent, as a ticket solved twice is in Zendesk: no second change, no second audit event.
    done = {m["id"] for m in changed}
    for mention_id in dict.fromkeys(ids):
        if mention_id not in done:
            m = app.store.get(mention_id)
            if m.get("status") == status:
                _done(m, f"already {status}{_closed_by(m)}; nothing changed")


def _closed_by(m: dict) -> str:
    """' (by sam, 2026-11-20 10:00 UTC)' for a closed mention, as far as it is known."""
    from socialwatch.model import parse_time
    from socialwatch.render import safe

    parts = [f"by {safe(str(m['resolved_by']))}"] if m.get("resolved_by") else []
    try:
        parts.append(parse_time(m["resolved_at"]).strftime("%Y-%m-%d %H:%M UTC"))
    except (KeyError, TypeError, ValueError):
        pass
    return f" ({', '.join(parts)})" if parts else ""


def _case_note(m: dict, what: str) -> None:
    """Tell the agent when an action on a follow-up concerns its case (see `cases`)."""
    from socialwatch.cases import is_followup

    if is_followup(m):
        click.echo(f"Note: {m['id']} is a follow-up in case {m['case_id']}; {what}", err=True)


def bulk_command(action: str, doc: str) -> click.Command:
    @click.command(action, help=doc)
    @click.argument("ids", nargs=-1, metavar="[ID]...", type=MENTION_ID)
    @click.option("--where", is_flag=True, help="Act on every open mention matching the filters below.")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask before acting on several mentions.")
    @click.option("--older-than", metavar="AGE", help="With --where: only mentions older than AGE (e.g. 3d).")
    @click.option("--below-priority", type=click.IntRange(0, 101), help="With --where: only mentions below this priority.")
    @queue_filters
    @pass_state
    def command(state: State, ids: tuple[str, ...], where: bool, yes: bool, older_than: str | None,
                below_priority: int | None, **filters: Any) -> None:
        _bulk(state, action, ids, where, yes, older_than, below_priority, filters)

    return command


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@pass_state
def reopen(state: State, mention_id: str) -> None:
    """Put a resolved or ignored mention back in the queue."""
    from socialwatch import workflow

    m = workflow.reopen(state.app, mention_id)
    _done(m, "reopened")
    _case_note(m, "the case is open")


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--to", "to", metavar="AGENT", help="Assign to this agent (default: yourself).")
@pass_state
def assign(state: State, mention_id: str, to: str | None) -> None:
    """Assign a mention to an agent (yourself by default)."""
    from socialwatch import workflow

    agent = to or state.app.agent
    m = workflow.assign(state.app, mention_id, agent)
    _done(m, f"assigned to {agent}")
    _case_note(m, f"the case is assigned to {agent} with it")


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@pass_state
def unassign(state: State, mention_id: str) -> None:
    """Take a mention off its agent."""
    from socialwatch import workflow

    m = workflow.assign(state.app, mention_id, None)
    _done(m, "unassigned")
    _case_note(m, "the case is unassigned with it")


@click.command()
@queue_filters
@click.option("--json", "as_json", is_flag=True, help="Print the claimed mention as JSON.")
@pass_state
def claim(state: State, as_json: bool, **filters: Any) -> None:
    """Take the next highest-priority unassigned case (atomic: never handed out twice).

    A case is a mention with the customer's follow-ups in its thread: claiming it assigns them
    all; a follow-up is never handed out on its own. Exits 1 when there is nothing left to claim.
    """
    from socialwatch import cases, queue, views, workflow

    app = state.app
    mention = workflow.claim(app, queue.Filters.from_options(filters))
    if mention is None:
        click.echo("Nothing to claim: no unassigned open mention matches.", err=True)
        sys.exit(1)
    if as_json:
        _done(mention, "", as_json=True)
    else:
        from socialwatch import sla
        from socialwatch.model import utcnow

        click.echo(f"Claimed {mention['id']} for {app.agent}")
        now = utcnow()
        due = sla.countdown(sla.policy(app.config.table("sla"), str(app.config.path)), mention, now)
        click.echo(views.mention_detail(mention, *cases.context(app.store, mention), now=now, due=due))


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("tags", nargs=-1, required=True)
@pass_state
def tag(state: State, mention_id: str, tags: tuple[str, ...]) -> None:
    """Add tags to a mention."""
    from socialwatch import workflow

    m = workflow.tag(state.app, mention_id, list(tags))
    _done(m, "tags " + ", ".join(m["tags"]))


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("tags", nargs=-1, required=True)
@pass_state
def untag(state: State, mention_id: str, tags: tuple[str, ...]) -> None:
    """Remove tags from a mention."""
    from socialwatch import workflow

    m = workflow.tag(state.app, mention_id, list(tags), remove=True)
    _done(m, "tags " + (", ".join(m["tags"]) or "none"))


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("text")
@pass_state
def note(state: State, mention_id: str, text: str) -> None:
    """Add an internal note to a mention (never sent to the customer)."""
    from socialwatch import workflow

    _done(workflow.note(state.app, mention_id, text), "note added")


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("value", metavar="N|auto")
@pass_state
def priority(state: State, mention_id: str, value: str) -> None:
    """Override a mention's priority (0-100), or go back to the computed one with 'auto'."""
    from socialwatch import workflow

    if value == "auto":
        number = None
    else:
        try:
            number = int(value)
        except ValueError:
            raise click.BadParameter("expected 0-100 or auto", param_hint="N") from None
        if not 0 <= number <= 100:
            raise click.BadParameter("expected 0-100 or auto", param_hint="N")
    m = workflow.set_priority(state.app, mention_id, number)
    _done(m, f"priority {m['priority']}" + (" (manual)" if number is not None else " (computed)"))


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("value", type=click.Choice(["negative", "neutral", "positive", "auto"]))
@pass_state
def sentiment(state: State, mention_id: str, value: str) -> None:
    """Correct a mention's sentiment (kept beside VADER's and used in reports); 'auto' clears it."""
    from socialwatch import workflow

    m = workflow.set_sentiment(state.app, mention_id, None if value == "auto" else value)
    _done(m, f"sentiment {m.get('sentiment_override') or 'computed'}")


@click.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--to", "team", required=True, metavar="TEAM", help="The team taking it over.")
@click.option("--reason", required=True, help="Why it is escalated.")
@pass_state
def escalate(state: State, mention_id: str, team: str, reason: str) -> None:
    """Hand a mention to a specialist team, with a reason."""
    from socialwatch import workflow

    _done(workflow.escalate(state.app, mention_id, team, reason), f"escalated to {team}")


@click.command()
@click.argument("mention_id", metavar="ID")
@click.option("--for", "for_", metavar="AGE", help="Snooze for this long (e.g. 2h, 1d).")
@click.option("--until", metavar="TIME", help="Snooze until this time (ISO 8601, UTC unless it has a zone).")
@click.option("--clear", is_flag=True, help="Wake the mention now.")
@pass_state
def snooze(state: State, mention_id: str, for_: str | None, until: str | None, clear: bool) -> None:
    """Put a mention aside: the queue leaves it out until the time comes, then it is back in its
    place by priority (e.g. waiting for an engineer's visit)."""
    from socialwatch import workflow

    if sum(bool(x) for x in (for_, until, clear)) != 1:
        raise click.UsageError("give one of --for AGE, --until TIME or --clear")
    when = None if clear else parse_when(for_, until)
    m = workflow.snooze(state.app, mention_id, when)
    _done(m, f"snoozed until {m['snoozed_until']}" if when else "awake (back in the queue)")


def parse_when(for_: str | None, until: str | None) -> Any:
    """The instant a `--for AGE` or `--until TIME` option names."""
    from socialwatch import model

    try:
        if for_:
            return model.utcnow() + model.parse_duration(for_)
        return model.parse_time(until)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--for" if for_ else "--until") from None


@click.command()
@click.argument("mention_id", metavar="ID")
@pass_state
def undo(state: State, mention_id: str) -> None:
    """Undo your last change to a mention (assign, resolve, tag, note, snooze, escalate, ...),
    unless someone changed the same fields since. A sent reply cannot be undone."""
    from socialwatch import workflow

    entries = workflow.last_change(state.app, mention_id)
    if not entries:
        raise SocialwatchError(f"nothing of yours to undo on {mention_id}")
    changed = workflow.revert(state.app, entries)
    for m in changed:
        _done(m, f"undid {entries[0]['action']}")


resolve = bulk_command("resolve", "Resolve mentions (ids, or --where FILTERS for a bulk cleanup).")
ignore = bulk_command("ignore", "Ignore mentions that need no answer (ids, or --where FILTERS).")


#: The commands this module adds to `socialwatch`.
COMMANDS: list[click.Command] = [resolve, ignore, reopen, assign, unassign, claim, tag, untag, note, priority, sentiment, escalate, snooze, undo]
