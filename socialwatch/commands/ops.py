"""Running the service: `init`, `poll`, `run` (the daemon), `sources`, `health`."""

from __future__ import annotations

import sys
from typing import Any

import click

from socialwatch.commands.common import State, pass_state
from socialwatch.errors import SocialwatchError


@click.command()
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


@click.command()
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


@click.group(invoke_without_command=True)
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


@click.command()
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


@click.command()
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


#: The commands this module adds to `socialwatch`.
COMMANDS: list[click.Command] = [init, poll, sources, run, health]
