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

    Prints one summary line per source: new, duplicates, angry, viral. Exits 1 when a source
    failed (the reason is on stderr), 0 when every source was polled or skipped as busy.
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
    failed = 0
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
            click.echo(f"Error: {name}: {mask(report.error)}", err=True)
        elif not as_json:
            click.echo(
                f"{name}: {report.new} new, {report.duplicates} duplicates, {report.angry} angry, "
                f"{report.viral} viral ({report.duration:.1f}s)"
            )
        new_ids += report.new_ids
    _run_alerts(app, new_ids)
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


# ---- triage -------------------------------------------------------------------------------------
def queue_filters(f: Any) -> Any:
    """The filter options shared by triage, export and the bulk commands."""
    options = [
        click.option("--source", "-s", "source", multiple=True, metavar="NAME", help="Only this source (repeatable)."),
        click.option("--status", multiple=True, type=click.Choice(["new", "open", "pending", "resolved", "ignored"]), help="Only this status (repeatable)."),
        click.option("--min-priority", type=click.IntRange(0, 100), help="Only mentions with at least this priority."),
        click.option("--angry", is_flag=True, help="Only angry mentions."),
        click.option("--viral", is_flag=True, help="Only viral mentions."),
        click.option("--assignee", metavar="AGENT", help="Only mentions assigned to AGENT ('none' for unassigned)."),
        click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only mentions with this tag."),
        click.option("--match", "text", metavar="TEXT", help="Only mentions whose text contains TEXT."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


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
    if as_list:
        from socialwatch import views

        click.echo(views.queue_table(items) if items else "The queue is empty.")
        return
    json_lines(public(m) for m in items)


# ---- show ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("mention_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the mention as JSON.")
@pass_state
def show(state: State, mention_id: str, as_json: bool) -> None:
    """Show one mention, why it scored as it did, and the author's earlier mentions."""
    from socialwatch import views
    from socialwatch.output import json_line, public

    _read_only()
    app = state.app
    open_list = app.store.snapshot()
    mention = app.store.get(mention_id, open_list)
    history = app.store.author_history((mention.get("author") or {}).get("handle"), exclude=mention["id"],
                                       open_list=open_list)
    thread = []
    for fid in mention.get("followups") or []:
        try:
            thread.append(app.store.get(fid, open_list))
        except SocialwatchError:
            continue
    if as_json:
        json_line({**public(mention), "history": [views.history_entry(m) for m in history],
                   "thread": [views.history_entry(m) for m in thread]})
        return
    click.echo(views.mention_detail(mention, history, thread))


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
    from socialwatch.scoring import Scorer

    try:
        return state.app.scorer
    except ConfigError as exc:
        if "not found" in str(exc) and state.config_path is None:
            return Scorer({})
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
@click.argument("mention_id", metavar="ID")
@click.option("--text", "-m", help="Reply with this text.")
@click.option("--template", "-t", "template", metavar="NAME", help="Reply with this saved reply.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="A value for a custom placeholder.")
@click.option("--public", "visibility", flag_value="public", help="Reply in public (default for public mentions).")
@click.option("--private", "visibility", flag_value="private", help="Reply by private message (default for DMs).")
@click.option("--resolve", is_flag=True, help="Resolve the mention once the reply is sent.")
@click.option("--again", is_flag=True, help="Send although a reply to this mention was already sent.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the outbox record as JSON.")
@pass_state
def reply(state: State, mention_id: str, text: str | None, template: str | None, variables: tuple[str, ...],
          visibility: str | None, resolve: bool, again: bool, yes: bool, as_json: bool) -> None:
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
    mention = app.store.get(mention_id)
    tpl_name = None
    if template:
        text, tpl_visibility = _template_text(state, mention, template, _parse_vars(variables))
        visibility = visibility or tpl_visibility
        tpl_name = template
    elif text is None:
        draft = mention.get("draft") or {}
        if not draft.get("text"):
            raise click.UsageError(f"{mention_id} has no saved draft: give --text, --template or run `socialwatch draft`")
        text = draft["text"]
        visibility = visibility or draft.get("visibility")
    if not yes and is_tty(sys.stdin) and is_tty(sys.stderr):
        click.echo(f"Reply to {safe(mention_id)} ({visibility or outbox.default_visibility(mention)}):\n  {safe(text)}", err=True)
        click.confirm("Send it?", abort=True, err=True)
    result = outbox.send(app, mention_id, text, visibility=visibility, again=again, resolve=resolve, template=tpl_name,
                         mention=mention)
    if as_json:
        json_line(result.record)
    else:
        where = f" ({result.record['url']})" if result.record.get("url") else ""
        click.echo(f"Sent {result.record['visibility']} reply to {mention_id} via {result.record['responder']}{where}")


@cli.command()
@click.argument("mention_id", metavar="ID")
@click.option("--template", "-t", "template", metavar="NAME", help="Start from this saved reply.")
@click.option("--text", "-m", help="Save this text as the draft without opening an editor.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="A value for a custom placeholder.")
@click.option("--private", "private", is_flag=True, help="Draft a private message.")
@pass_state
def draft(state: State, mention_id: str, template: str | None, text: str | None, variables: tuple[str, ...], private: bool) -> None:
    """Write a reply draft in $EDITOR (or --text) and save it on the mention."""
    from socialwatch import model, outbox, textlimits, workflow

    app = state.app
    mention = app.store.get(mention_id)
    visibility = "private" if private else None
    if template:
        start, tpl_visibility = _template_text(state, mention, template, _parse_vars(variables))
        visibility = visibility or tpl_visibility
    else:
        start = (mention.get("draft") or {}).get("text") or ""
    if text is None:
        edited = click.edit(start + "\n", extension=".txt")
        if edited is None:
            raise SocialwatchError("draft not saved (the editor was closed without saving)")
        text = edited.strip()
    if not text.strip():
        raise SocialwatchError("draft not saved: it is empty")
    visibility = visibility or outbox.default_visibility(mention)
    saved = {"text": text, "visibility": visibility, "agent": app.agent, "at": model.iso(model.utcnow()), "template": template}

    def apply(m: dict) -> None:
        m["draft"] = saved

    workflow.change(app, mention_id, "draft", apply)
    problem = textlimits.check(mention.get("platform") or "", text)
    click.echo(f"Draft saved on {mention_id} ({visibility})" + (f"; note: {problem}" if problem else ""), err=True)


@cli.command("templates")
@click.option("--for", "for_id", metavar="ID", help="Suggest the templates that suit this mention.")
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
        items = templates.suggest(found, app.store.get(for_id))
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
@click.argument("mention_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the audit entries as JSON lines.")
@pass_state
def history(state: State, mention_id: str, as_json: bool) -> None:
    """Show the audit trail of one mention: every change, who made it and when."""
    from socialwatch.output import json_lines
    from socialwatch.render import table

    app = state.app
    entries = list(app.store.audit_entries(mention_id))
    if as_json:
        json_lines(entries)
        return
    if not entries:
        app.store.get(mention_id)  # NotFound for an unknown id
        click.echo(f"No recorded changes to {mention_id}.", err=True)
        return
    rows = []
    for e in entries:
        change = ", ".join(f"{k}: {_short(e['before'].get(k))} -> {_short(e['after'].get(k))}" for k in e.get("after", {})
                           if k not in ("viewing",))
        rows.append([e["at"], e["agent"], e["action"], change or (e.get("record") or "")])
    click.echo(table(rows, ["at", "agent", "action", "change"]))


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


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
        chosen = app.store.select_open(queue.Filters.from_options(filters))
        if not chosen:
            click.echo("No open mention matches.", err=True)
            return
        if not yes:
            if not is_tty(sys.stdin):
                raise click.UsageError(f"{len(chosen)} mentions match: add --yes to {action} them without a terminal")
            click.confirm(f"{action.capitalize()} {len(chosen)} mentions?", abort=True, err=True)
        ids = tuple(m["id"] for m in chosen)
    status = {"resolve": "resolved", "ignore": "ignored"}[action]
    for m in workflow.change_many(app, list(ids), action, workflow.set_status(status), strict=not where):
        _done(m, status)


def bulk_command(action: str, doc: str) -> None:
    @cli.command(action, help=doc)
    @click.argument("ids", nargs=-1, metavar="[ID]...")
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
@click.argument("mention_id", metavar="ID")
@pass_state
def reopen(state: State, mention_id: str) -> None:
    """Put a resolved or ignored mention back in the queue."""
    from socialwatch import workflow

    _done(workflow.reopen(state.app, mention_id), "reopened")


@cli.command()
@click.argument("mention_id", metavar="ID")
@click.option("--to", "to", metavar="AGENT", help="Assign to this agent (default: yourself).")
@pass_state
def assign(state: State, mention_id: str, to: str | None) -> None:
    """Assign a mention to an agent (yourself by default)."""
    from socialwatch import workflow

    agent = to or state.app.agent
    _done(workflow.assign(state.app, mention_id, agent), f"assigned to {agent}")


@cli.command()
@click.argument("mention_id", metavar="ID")
@pass_state
def unassign(state: State, mention_id: str) -> None:
    """Take a mention off its agent."""
    from socialwatch import workflow

    _done(workflow.assign(state.app, mention_id, None), "unassigned")


@cli.command()
@queue_filters
@click.option("--json", "as_json", is_flag=True, help="Print the claimed mention as JSON.")
@pass_state
def claim(state: State, as_json: bool, **filters: Any) -> None:
    """Take the next highest-priority unassigned mention (atomic: never handed out twice).

    Exits 1 when there is nothing left to claim.
    """
    from socialwatch import queue, views, workflow

    mention = workflow.claim(state.app, queue.Filters.from_options(filters))
    if mention is None:
        click.echo("Nothing to claim: no unassigned open mention matches.", err=True)
        sys.exit(1)
    if as_json:
        _done(mention, "", as_json=True)
    else:
        click.echo(f"Claimed {mention['id']} for {state.app.agent}")
        click.echo(views.mention_detail(mention, []))


@cli.command()
@click.argument("mention_id", metavar="ID")
@click.argument("tags", nargs=-1, required=True)
@pass_state
def tag(state: State, mention_id: str, tags: tuple[str, ...]) -> None:
    """Add tags to a mention."""
    from socialwatch import workflow

    m = workflow.tag(state.app, mention_id, list(tags))
    _done(m, "tags " + ", ".join(m["tags"]))


@cli.command()
@click.argument("mention_id", metavar="ID")
@click.argument("tags", nargs=-1, required=True)
@pass_state
def untag(state: State, mention_id: str, tags: tuple[str, ...]) -> None:
    """Remove tags from a mention."""
    from socialwatch import workflow

    m = workflow.tag(state.app, mention_id, list(tags), remove=True)
    _done(m, "tags " + (", ".join(m["tags"]) or "none"))


@cli.command()
@click.argument("mention_id", metavar="ID")
@click.argument("text")
@pass_state
def note(state: State, mention_id: str, text: str) -> None:
    """Add an internal note to a mention (never sent to the customer)."""
    from socialwatch import workflow

    _done(workflow.note(state.app, mention_id, text), "note added")


@cli.command()
@click.argument("mention_id", metavar="ID")
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
@click.argument("mention_id", metavar="ID")
@click.argument("value", type=click.Choice(["negative", "neutral", "positive", "auto"]))
@pass_state
def sentiment(state: State, mention_id: str, value: str) -> None:
    """Correct a mention's sentiment (kept beside VADER's and used in reports); 'auto' clears it."""
    from socialwatch import workflow

    m = workflow.set_sentiment(state.app, mention_id, None if value == "auto" else value)
    _done(m, f"sentiment {m.get('sentiment_override') or 'computed'}")


@cli.command()
@click.argument("mention_id", metavar="ID")
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
    """Show every mention of one customer (by handle) across sources, and their outcomes."""
    from socialwatch import views
    from socialwatch.output import json_lines, public

    found = state.app.store.author_history(handle.lstrip("@"), limit=1000)
    if as_json:
        json_lines(public(m) for m in found)
        return
    if not found:
        click.echo(f"No mentions by @{handle.lstrip('@')}.", err=True)
        return
    click.echo(views.queue_table(found))


# ---- daemon and health ---------------------------------------------------------------------------
@cli.command()
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Log line format.")
@click.option("--log-file", metavar="PATH", help="Log to this file (rotated at 10 MB, 5 kept) instead of stderr.")
@click.option("--verbose", "-v", is_flag=True, help="Log debug details too.")
@pass_state
def run(state: State, log_format: str, log_file: str | None, verbose: bool) -> None:
    """Run the polling daemon: each source on its own interval, until SIGTERM/SIGINT.

    SIGHUP (or a changed config file) reloads the configuration; a bad new config is logged and
    the running one kept. Logs one line per poll per source.
    """
    import logging

    from socialwatch import logs
    from socialwatch.scheduler import Daemon

    logs.setup(log_format, log_file, logging.DEBUG if verbose else logging.INFO)
    sys.exit(Daemon(state.config_path, state.agent_name).run())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "prometheus"]), default="text", help="Output format.")
@pass_state
def health(state: State, as_json: bool, fmt: str) -> None:
    """Check sources, backlog and SLAs. Exit 0 healthy, 1 degraded, 2 failing.

    Works as a Docker HEALTHCHECK, a Nagios check or (with --format prometheus) a node-exporter
    textfile collector.
    """
    from socialwatch import health as health_mod
    from socialwatch.output import json_line

    report = health_mod.summary(state.app)
    if as_json or fmt == "json":
        json_line(report)
    elif fmt == "prometheus":
        click.echo(health_mod.prometheus(report), nl=False)
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
@click.option("--bom", is_flag=True, help="Start the CSV with a UTF-8 byte-order mark (for Excel).")
@click.option("--since", metavar="AGE|DATE", help="Only mentions posted since (e.g. 7d or 2026-11-01).")
@click.option("--until", metavar="AGE|DATE", help="Only mentions posted before.")
@click.option("--complaints", is_flag=True, help="Only complaints (negative or angry).")
@queue_filters
@pass_state
def export(state: State, output: str | None, fmt: str, columns: str | None, list_columns: bool, bom: bool,
           since: str | None, until: str | None, complaints: bool, **filters: Any) -> None:
    """Export mentions (open and closed) to CSV, JSON lines or XLSX, spreadsheet-safe.

    Cells that a spreadsheet would run as a formula (starting with = + - @ TAB CR) are prefixed
    with a quote. Streams with bounded memory; a progress bar only on a terminal.
    """
    from socialwatch import export as ex
    from socialwatch import poller, queue
    from socialwatch.output import is_tty

    if list_columns:
        for name, (_, doc) in ex.COLUMNS.items():
            click.echo(f"{name:20} {doc}")
        return
    app = state.app
    cols = ex.choose_columns(columns)
    filters["since"] = poller.since_option(since)
    filters["until"] = poller.since_option(until)
    chosen = ex.select(app.store.iter_all(), queue.Filters.from_options(filters), complaints)
    if fmt == "xlsx":
        if not output:
            raise click.UsageError("XLSX needs --output FILE")
        n = ex.write_xlsx(chosen, output, cols)
        click.echo(f"Exported {n} mentions to {output}", err=True)
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
        return ex.write_csv(chosen, out, cols, bom=bom, tick=tick)

    try:
        if output:
            n = atomic_write_text(output, write)
        else:
            n = write(sys.stdout)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if output:
        click.echo(f"Exported {n} mentions to {output}", err=True)


def _attach_report() -> None:
    from socialwatch.cli_db import db
    from socialwatch.cli_report import report

    cli.add_command(report)
    cli.add_command(db)


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
