"""The `socialwatch` command line: parses arguments and prints; the work lives in the library.

Exit statuses: 0 ok, 1 failure, 2 usage or configuration error. Errors are one line on stderr
starting with "Error:"; `--traceback` shows the Python traceback as well.

Only click is imported at start-up; each command imports what it needs, so `--help` and
`triage` never load the platform libraries.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from socialwatch import __version__
from socialwatch.errors import SocialwatchError
from socialwatch.filter_options import queue_filters  # (shared with the inbox's :filter)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class State:
    """What the group's options give every command."""

    def __init__(self, config: str | None, agent: str | None, traceback: bool) -> None:
        self.config_path = config
        self.agent_name = agent
        self.traceback = traceback
        self._app: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:
            from socialwatch.app import App

            self._app = App(self.config_path, agent=self.agent_name)
        return self._app


pass_state = click.make_pass_decorator(State)


class MentionIdType(click.ParamType):
    """A mention id argument: the full id ("twitter:123…"), or the platform's id alone when
    exactly one stored mention has it (`ids.resolve`), for every command that takes one."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str) or ":" in value:
            return value  # a full id: no store access while parsing
        state = ctx.find_object(State) if ctx is not None else None
        if state is None:
            return value
        from socialwatch.ids import resolve

        return resolve(state.app.store, value)


MENTION_ID = MentionIdType()


@click.group(context_settings=CONTEXT)
@click.option("--config", "-c", "config", metavar="PATH", envvar="SOCIALWATCH_CONFIG", help="Config file (default: $SOCIALWATCH_HOME/socialwatch.toml).")
@click.option("--as", "agent", metavar="AGENT", help="Act as this agent (default: [agent] name, $SOCIALWATCH_AGENT or the login name).")
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an error.")
@click.version_option(__version__, prog_name="socialwatch")
@click.pass_context
def cli(ctx: click.Context, config: str | None, agent: str | None, traceback: bool) -> None:
    """Monitor brand mentions on social platforms, triage them and reply.

    \b
    Start with:
      socialwatch init        write a starter config (demo source)
      socialwatch poll        fetch, score and store new mentions
      socialwatch triage      work the queue, highest priority first

    Exit status: 0 ok, 1 failure, 2 usage or configuration error.
    """
    ctx.obj = State(config, agent, traceback)


# ---- init ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config (the old one is kept as .bak).")
@pass_state
def init(state: State, force: bool) -> None:
    """Write a starter config and create the data directory."""
    from socialwatch.home import init_home

    path, data_dir, written = init_home(state.config_path, force=force)
    if written:
        click.echo(f"Wrote {path}", err=True)
    else:
        click.echo(f"Config {path} already exists (kept; --force to overwrite)", err=True)
    click.echo(f"Data directory: {data_dir}", err=True)


# ---- poll ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--source", "-s", "sources", multiple=True, metavar="NAME", help="Poll only this source (repeatable).")
@click.option("--since", metavar="AGE", help="Backfill: fetch from this long ago (e.g. 3d, 12h) or this date.")
@click.option("--wait", is_flag=True, help="Wait for a source that another process is polling instead of skipping it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per source polled.")
@pass_state
def poll(state: State, sources: tuple[str, ...], since: str | None, wait: bool, as_json: bool) -> None:
    """Fetch new mentions from the sources, score, route and store them.

    Prints one summary line per source: new, duplicates, angry, viral. A source that fails
    (its reason on stderr) never stops the others. Exits 0 when every source was polled or
    skipped as busy, 1 when a source failed, 2 when a source's own settings are broken (a
    missing key or secret: no retry will cure it) or the config file as a whole is.
    """
    from socialwatch import poller
    from socialwatch.output import json_line
    from socialwatch.secrets import mask

    app = state.app
    names = list(sources) or list(app.config.enabled_sources())
    if not names:
        raise SocialwatchError("no enabled sources in the config")
    poller.check_sources(app, names)
    when = poller.since_option(since)
    app.scorer  # noqa: B018 - a bad [scoring] table concerns every source: stop before polling any
    failed = misconfigured = 0
    new_ids: list[str] = []
    for name in names:
        report = poller.poll_source(app, name, since=when, wait=wait)
        if as_json:
            json_line(report.as_dict())
        for reason in report.skipped[:20]:
            click.echo(f"Warning: {name}: skipped {mask(reason)}", err=True)
        if len(report.skipped) > 20:
            click.echo(f"Warning: {name}: {len(report.skipped) - 20} more items skipped", err=True)
        for gap in report.gaps:
            click.echo(f"Warning: {name}: {mask(gap)}", err=True)
        if report.busy:
            click.echo(f"{name}: skipped: already being polled by another process (use --wait to wait)", err=True)
        elif report.error:
            failed += 1
            misconfigured += report.config_error
            click.echo(f"Error: {name}: {mask(report.error)}", err=True)
        elif not as_json:
            click.echo(
                f"{name}: {report.new} new, {report.duplicates} duplicates, {report.angry} angry, "
                f"{report.viral} viral ({report.duration:.1f}s)"
            )
        new_ids += report.new_ids
    _run_alerts(app, new_ids)
    _send_surveys(app)
    if misconfigured:
        sys.exit(2)
    if failed:
        sys.exit(1)


def _run_alerts(app: Any, new_ids: list[str]) -> None:
    """Alert rules after a cron poll (the daemon runs them itself); never fails the poll."""
    from socialwatch import alerts, logs

    alerter = alerts.Alerter(app)
    if not alerter.enabled:
        return
    logs.setup("text")
    try:
        alerter.after_poll(new_ids)
        alerter.periodic()
    except SocialwatchError as exc:
        click.echo(f"Warning: alerts: {exc}", err=True)


def _read_only() -> None:
    """A short command that only reads the store: no cyclic garbage collection.

    The store's files parse into millions of small, acyclic objects (5,000 open mentions are
    5 MB of JSON), and each collection the parser's allocations trigger walks all of them
    again: it cost `show` about 20 ms of its 110. Nothing such a command allocates needs the
    cycle collector; reference counting frees it all.
    """
    import gc

    gc.disable()


def _send_surveys(app: Any) -> None:
    """Satisfaction surveys that became due (the daemon sends them itself); never fails the poll."""
    from socialwatch import csat
    from socialwatch.render import safe

    try:
        if csat.settings(app.config) is None:
            return
        for result in csat.send_due(app):
            if result.state in ("failed", "unknown"):
                click.echo(safe(f"Warning: csat survey for {result.case}: {result.state}: {result.detail}"), err=True)
    except SocialwatchError as exc:
        click.echo(f"Warning: csat surveys: {exc}", err=True)


# ---- triage -------------------------------------------------------------------------------------
@cli.command()
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
    _read_only()
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


# ---- show ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the mention as JSON.")
@pass_state
def show(state: State, mention_id: str, as_json: bool) -> None:
    """Show one mention, why it scored as it did, and the author's earlier mentions."""
    from socialwatch import cases, views
    from socialwatch.output import json_line, public

    _read_only()
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


# ---- score --------------------------------------------------------------------------------------
@cli.command()
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


# ---- import -------------------------------------------------------------------------------------
@cli.command("import")
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


# ---- sources ------------------------------------------------------------------------------------
@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per source.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the configured sources and their state (last success, last error, lag, calls today)."""
    if ctx.invoked_subcommand is not None:
        return
    from socialwatch import health
    from socialwatch.output import json_lines

    state: State = ctx.obj
    rows = health.source_rows(state.app)
    if as_json:
        json_lines(rows)
        return
    from socialwatch import views

    click.echo(views.sources_table(rows))


@sources.command("test")
@click.argument("name")
@pass_state
def sources_test(state: State, name: str) -> None:
    """Check one source's credentials and access with one cheap call."""
    from socialwatch import poller

    source = poller.build_source(state.app, name)
    try:
        for line in source.test():
            click.echo(f"{name}: {line}")
    finally:
        source.close()


# ---- replies ------------------------------------------------------------------------------------
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


@cli.command()
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


@cli.command()
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


@cli.command("templates")
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


@cli.group("outbox", invoke_without_command=True)
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


@cli.command()
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


# ---- team workflow ------------------------------------------------------------------------------
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
            n = _count(len(chosen), "mention")
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


def _count(n: int, noun: str) -> str:
    """'1 mention', '3 mentions'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def bulk_command(action: str, doc: str) -> None:
    @cli.command(action, help=doc)
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


bulk_command("resolve", "Resolve mentions (ids, or --where FILTERS for a bulk cleanup).")
bulk_command("ignore", "Ignore mentions that need no answer (ids, or --where FILTERS).")


@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@pass_state
def reopen(state: State, mention_id: str) -> None:
    """Put a resolved or ignored mention back in the queue."""
    from socialwatch import workflow

    m = workflow.reopen(state.app, mention_id)
    _done(m, "reopened")
    _case_note(m, "the case is open")


@cli.command()
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


@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@pass_state
def unassign(state: State, mention_id: str) -> None:
    """Take a mention off its agent."""
    from socialwatch import workflow

    m = workflow.assign(state.app, mention_id, None)
    _done(m, "unassigned")
    _case_note(m, "the case is unassigned with it")


@cli.command()
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


@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("tags", nargs=-1, required=True)
@pass_state
def tag(state: State, mention_id: str, tags: tuple[str, ...]) -> None:
    """Add tags to a mention."""
    from socialwatch import workflow

    m = workflow.tag(state.app, mention_id, list(tags))
    _done(m, "tags " + ", ".join(m["tags"]))


@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("tags", nargs=-1, required=True)
@pass_state
def untag(state: State, mention_id: str, tags: tuple[str, ...]) -> None:
    """Remove tags from a mention."""
    from socialwatch import workflow

    m = workflow.tag(state.app, mention_id, list(tags), remove=True)
    _done(m, "tags " + (", ".join(m["tags"]) or "none"))


@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("text")
@pass_state
def note(state: State, mention_id: str, text: str) -> None:
    """Add an internal note to a mention (never sent to the customer)."""
    from socialwatch import workflow

    _done(workflow.note(state.app, mention_id, text), "note added")


@cli.command()
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


@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.argument("value", type=click.Choice(["negative", "neutral", "positive", "auto"]))
@pass_state
def sentiment(state: State, mention_id: str, value: str) -> None:
    """Correct a mention's sentiment (kept beside VADER's and used in reports); 'auto' clears it."""
    from socialwatch import workflow

    m = workflow.set_sentiment(state.app, mention_id, None if value == "auto" else value)
    _done(m, f"sentiment {m.get('sentiment_override') or 'computed'}")


@cli.command()
@click.argument("mention_id", metavar="ID", type=MENTION_ID)
@click.option("--to", "team", required=True, metavar="TEAM", help="The team taking it over.")
@click.option("--reason", required=True, help="Why it is escalated.")
@pass_state
def escalate(state: State, mention_id: str, team: str, reason: str) -> None:
    """Hand a mention to a specialist team, with a reason."""
    from socialwatch import workflow

    _done(workflow.escalate(state.app, mention_id, team, reason), f"escalated to {team}")


@cli.command()
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


@cli.command()
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


@cli.command()
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


# ---- daemon and health ---------------------------------------------------------------------------
@cli.command()
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Log line format.")
@click.option("--log-file", metavar="PATH", help="Log to this file (rotated at 10 MB, 5 kept) instead of stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Log debug details too.")
@pass_state
def run(state: State, log_format: str, log_file: str | None, verbose: bool) -> None:
    """Run the polling daemon: each source on its own interval, until SIGTERM/SIGINT.

    SIGHUP (or a changed config file) reloads the configuration; a bad new config is logged and
    the running one kept. Logs one line per poll per source. One daemon per store: a second
    `run` on the same store exits 2, naming the process that holds it.
    """
    import logging

    from socialwatch import logs
    from socialwatch.scheduler import Daemon

    try:
        logs.setup(log_format, log_file, logging.DEBUG if verbose else logging.INFO)
    except OSError as exc:
        raise click.BadParameter(f"cannot open {log_file}: {exc.strerror}", param_hint="--log-file") from None
    try:
        code = Daemon(state.config_path, state.agent_name).run()
    except SocialwatchError as exc:
        # A start-up error is a log record like any other (a JSON line for log shippers); the
        # usual "Error:" line goes to stderr too, unless stderr is that JSON log.
        if log_format == "json" or log_file:
            logs.log(logging.ERROR, f"socialwatch daemon cannot start: {exc}", exit_code=exc.exit_code)
        if log_format == "json" and not log_file and not state.traceback:
            sys.exit(exc.exit_code)
        raise
    sys.exit(code)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "prometheus"]), default="text", help="Output format.")
@click.option("--backlog", is_flag=True, help="Count the team's backlog too: SLA breaches make the status degraded.")
@click.option("--daemon", "need_daemon", is_flag=True, help="Count a missing daemon: no `run` on this store is failing.")
@pass_state
def health(state: State, as_json: bool, fmt: str, backlog: bool, need_daemon: bool) -> None:
    """Check the service: sources, store (and daemon). Exit 0 healthy, 1 degraded, 2 failing.

    The team's backlog (open, unanswered, SLA breaches) is reported but changes the exit status
    only with --backlog. The reasons for a status other than healthy are always printed (in the
    report, and on stderr with --format prometheus). Works as a Docker HEALTHCHECK, a Nagios
    check or (with --format prometheus) a node-exporter textfile collector.
    """
    from socialwatch import health as health_mod
    from socialwatch.output import json_line

    try:
        report = health_mod.summary(state.app, backlog=backlog, daemon=need_daemon)
    except SocialwatchError as exc:
        if not (as_json or fmt in ("json", "prometheus")):
            raise
        # a monitoring collector still gets its metrics (socialwatch_up 0) and the reason
        report = health_mod.unusable(exc, exc.exit_code)
    if as_json or fmt == "json":
        json_line(report)
    elif fmt == "prometheus":
        click.echo(health_mod.prometheus(report), nl=False)
        from socialwatch.render import safe

        for reason in report["reasons"]:
            click.echo(f"{report['state']}: {safe(reason)}", err=True)
    else:
        from socialwatch import views

        click.echo(views.health_text(report))
    sys.exit(report["exit_code"])


# ---- export -------------------------------------------------------------------------------------
@cli.command()
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), default="csv", show_default=True)
@click.option("--columns", metavar="A,B,...", help="CSV/XLSX columns to write, in this order (see --list-columns).")
@click.option("--list-columns", is_flag=True, help="List the columns with their meaning and exit.")
@click.option("--for", "mode", type=click.Choice(["excel", "analysis"]), default="excel", show_default=True,
              help="excel: BOM, dates Excel reads, formulas neutralised. analysis: raw text and ISO dates for "
                   "pandas or BI tools (not for opening in a spreadsheet).")
@click.option("--timezone", "zone", metavar="ZONE",
              help="Time zone of the dates of --for excel and XLSX (default UTC): an IANA name, or 'policy' for [sla] "
                   "timezone. --for analysis and JSON lines always write ISO 8601 UTC.")
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 byte-order mark (always there with --for excel).")
@click.option("--since", metavar="AGE|DATE", help="Only mentions posted since (e.g. 7d or 2026-11-01).")
@click.option("--until", metavar="AGE|DATE", help="Only mentions posted before.")
@click.option("--complaints", is_flag=True, help="Only complaints (the complaint flag; negative or angry for mentions scored before it).")
@click.option("--survey-answers", is_flag=True,
              help="Include the answers to satisfaction surveys (marked in the csat_answer_to column). They are no "
                   "mentions: left out by default, as the report leaves them out of its volume.")
@queue_filters
@pass_state
def export(state: State, output: str | None, fmt: str, columns: str | None, list_columns: bool, mode: str,
           zone: str | None, bom: bool, since: str | None, until: str | None, complaints: bool, survey_answers: bool,
           **filters: Any) -> None:
    """Export mentions (open and closed) to CSV, JSON lines or XLSX.

    CSV --for excel (the default): UTF-8 with a byte-order mark, dates as YYYY-MM-DD HH:MM:SS
    (UTC, or --timezone), and cells a spreadsheet would run as a formula (starting with
    = + - @ TAB CR) prefixed with a quote. --for analysis: the texts as stored and ISO 8601 UTC
    dates, for pandas and BI tools; not for opening in a spreadsheet. XLSX cells are typed (text,
    numbers, dates), so nothing needs a quote. Answers to satisfaction surveys are left out
    unless --survey-answers (the report does not count them as mentions either). Streams with
    bounded memory; a progress bar only on a terminal.
    """
    from socialwatch import export as ex
    from socialwatch import poller, queue
    from socialwatch.errors import UsageError
    from socialwatch.output import is_tty

    iso_only = fmt == "jsonl" or (fmt == "csv" and mode == "analysis")
    if zone is not None and iso_only and zone.upper() != "UTC":
        raise UsageError(f"--timezone applies to --for excel and --format xlsx; "
                         f"{'JSON lines' if fmt == 'jsonl' else '--for analysis'} always writes ISO 8601 UTC dates")
    zone = zone or "UTC"
    if list_columns:
        for name, doc in ex.column_docs(mode, fmt, zone).items():
            click.echo(f"{name:22} {doc}")
        return
    app = state.app
    cols = ex.choose_columns(columns)
    filters["since"] = poller.since_option(since)
    filters["until"] = poller.since_option(until)
    ctx = _export_context(app, zone, cols) if fmt != "jsonl" else None
    left_out: dict[str, int] = {}
    chosen = ex.select(app.store.iter_all(), queue.Filters.from_options(filters), complaints,
                       survey_answers=survey_answers, left_out=left_out)

    def left_out_note() -> None:
        n = left_out.get("survey_answers", 0)
        if n:
            click.echo(f"Left out {n} answer{'' if n == 1 else 's'} to satisfaction surveys (no mentions; "
                       f"--survey-answers includes them).", err=True)

    if fmt == "xlsx":
        if not output:
            raise click.UsageError("XLSX needs --output FILE")
        n = ex.write_xlsx(chosen, output, cols, ctx)
        click.echo(f"Exported {n} mention{'' if n == 1 else 's'} to {output}", err=True)
        left_out_note()
        return
    bar = None
    tick = None
    if output and is_tty(sys.stderr):
        bar = click.progressbar(length=sum(app.store.count().values()), label="Exporting", file=sys.stderr)
        bar.__enter__()
        tick = lambda: bar.update(1)  # noqa: E731
    from socialwatch.storage import atomic_write_text

    def write(out: Any) -> int:
        if fmt == "jsonl":
            return ex.write_jsonl(chosen, out, tick)
        return ex.write_csv(chosen, out, cols, bom=bom, tick=tick, mode=mode, ctx=ctx)

    try:
        if output:
            n = atomic_write_text(output, write)
        else:
            n = write(sys.stdout)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if output:
        click.echo(f"Exported {n} mention{'' if n == 1 else 's'} to {output}", err=True)
    left_out_note()


def _export_context(app: Any, zone: str, columns: list[str]) -> Any:
    """What the appended export columns need: the SLA policy, older replies' texts, the dates' zone."""
    from datetime import UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from socialwatch import export as ex
    from socialwatch import sla

    policy = sla.policy(app.config.table("sla"), str(app.config.path))
    if zone == "policy":
        tz = policy.tz
    elif zone.upper() == "UTC":
        tz = UTC
    else:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise click.BadParameter(f"unknown time zone {zone!r} (an IANA name such as Europe/London, or 'policy')",
                                     param_hint="--timezone") from None
    texts = {}
    if "reply_text" in columns:
        texts = {r["id"]: r.get("text") or "" for r in app.store.replies(("sent",)) if r.get("kind") != "csat"}
    return ex.Context(policy=policy, reply_texts=texts, tz=tz)


def _attach_report() -> None:
    from socialwatch.cli_csat import csat_cmd
    from socialwatch.cli_db import db
    from socialwatch.cli_report import report

    cli.add_command(report)
    cli.add_command(db)
    cli.add_command(csat_cmd)


_attach_report()


# ---- entry point --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Run the CLI, turning errors into one line and an exit status."""
    args = sys.argv[1:] if argv is None else argv
    show_traceback = "--traceback" in args or os.environ.get("SOCIALWATCH_TRACEBACK") == "1"
    try:
        rv = cli.main(args=args, prog_name="socialwatch", standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except SocialwatchError as exc:
        _fail(str(exc), exc.exit_code, show_traceback)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except Exception as exc:  # the last line of defence: one line, no traceback
        _fail(f"unexpected {type(exc).__name__}: {exc} (run with --traceback for details)", 1, show_traceback)


def _fail(message: str, code: int, show_traceback: bool) -> None:
    from socialwatch.secrets import mask

    if show_traceback:
        import traceback

        click.echo(mask(traceback.format_exc()), err=True)
    click.echo(f"Error: {mask(message)}", err=True)
    sys.exit(code)


def _quiet_broken_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
