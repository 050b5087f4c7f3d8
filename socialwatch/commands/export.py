"""`export`: the mentions as CSV, JSONL or XLSX for spreadsheets and analysis."""

from __future__ import annotations

import sys
from typing import Any

import click

from socialwatch.commands.common import State, pass_state
from socialwatch.filter_options import queue_filters


@click.command()
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
    from socialwatch.store.files import atomic_write_text

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


#: The commands this module adds to `socialwatch`.
COMMANDS: list[click.Command] = [export]
