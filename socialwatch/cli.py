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

    app = state.app
    names = list(sources) or list(app.config.enabled_sources())
    if not names:
        raise SocialwatchError("no enabled sources in the config")
    poller.check_sources(app, names)
    when = poller.since_option(since)
    failed = 0
    for name in names:
        report = poller.poll_source(app, name, since=when, wait=wait)
        if as_json:
            json_line(report.as_dict())
        for reason in report.skipped[:20]:
            click.echo(f"Warning: {name}: skipped {reason}", err=True)
        if len(report.skipped) > 20:
            click.echo(f"Warning: {name}: {len(report.skipped) - 20} more items skipped", err=True)
        for gap in report.gaps:
            click.echo(f"Warning: {name}: {gap}", err=True)
        if report.busy:
            click.echo(f"{name}: skipped: already being polled by another process (use --wait to wait)", err=True)
        elif report.error:
            failed += 1
            click.echo(f"Error: {name}: {report.error}", err=True)
        elif not as_json:
            click.echo(
                f"{name}: {report.new} new, {report.duplicates} duplicates, {report.angry} angry, "
                f"{report.viral} viral ({report.duration:.1f}s)"
            )
    if failed:
        sys.exit(1)


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
@pass_state
def triage(state: State, limit: int | None, as_json: bool, **filters: Any) -> None:
    """Work the queue, highest priority first.

    On a terminal this is interactive: each mention is shown with its score reasons and the
    author's earlier mentions; keys: [o]pen, [s]kip, [t]ag, [n]ote, [a]ssign to me, [r]esolve,
    [i]gnore, [p]reply, [q]uit. Not on a terminal, or with --json, it prints the queue as JSON
    lines and exits.
    """
    from socialwatch import queue
    from socialwatch.output import is_tty, json_lines, public

    app = state.app
    items = queue.select(app.store.open_mentions(), queue.Filters.from_options(filters))
    if limit:
        items = items[:limit]
    if as_json or not (is_tty(sys.stdout) and is_tty(sys.stdin)):
        json_lines(public(m) for m in items)
        return
    from socialwatch.triage_ui import run_triage

    run_triage(app, items)


# ---- show ---------------------------------------------------------------------------------------
@cli.command()
@click.argument("mention_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the mention as JSON.")
@pass_state
def show(state: State, mention_id: str, as_json: bool) -> None:
    """Show one mention, why it scored as it did, and the author's earlier mentions."""
    from socialwatch import views
    from socialwatch.output import json_line, public

    app = state.app
    mention = app.store.get(mention_id)
    history = app.store.author_history((mention.get("author") or {}).get("handle"), exclude=mention["id"])
    if as_json:
        json_line({**public(mention), "history": [views.history_entry(m) for m in history]})
        return
    click.echo(views.mention_detail(mention, history))


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
