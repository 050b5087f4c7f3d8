"""`socialwatch report`: the KPI report as terminal tables, one JSON object or an HTML file.

The lead attaches it to the group with `cli.add_command(report)`. Like every command it stays
thin: the numbers come from `socialwatch.report.kpi`, the presentation from `socialwatch.report.text`
and `socialwatch.report.html`, all imported inside the command.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

#: `report.kpi.DIMENSIONS`, spelled out here so that the CLI starts without importing the report.
DIMENSIONS = ("source", "agent", "tag", "brand")
NO_LIMIT = 100_000


def instant(value: str | None, option: str) -> datetime | None:
    """A duration ago (7d, 24h) or a date/time, for --since/--until."""
    from socialwatch.errors import SocialwatchError, UsageError
    from socialwatch.poller import since_option

    try:
        return since_option(value)
    except SocialwatchError:
        raise UsageError(f"{option}: expected a duration such as 7d or 24h, or a date, got {value!r}") from None


@click.command("report")
@click.option("--since", default="7d", show_default=True, metavar="AGE|DATE", help="Start of the period: this long ago (7d, 24h) or a date.")
@click.option("--until", metavar="AGE|DATE", help="End of the period (exclusive): this long ago or a date. Default: now.")
@click.option("--by", "dimensions", multiple=True, type=click.Choice(DIMENSIONS), help="Group by source, agent, tag or brand (repeatable; default: all).")
@click.option("--source", "-s", "sources", multiple=True, metavar="NAME", help="Only mentions of this source (repeatable).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only mentions with this tag (repeatable: all of them).")
@click.option("--json", "as_json", is_flag=True, help="Print the KPIs as one JSON object.")
@click.option("--html", "html_path", metavar="FILE", type=click.Path(dir_okay=False, writable=True), help="Write a self-contained HTML report with charts to FILE.")
@click.pass_obj
def report(state: Any, since: str, until: str | None, dimensions: tuple[str, ...], sources: tuple[str, ...],
           tags: tuple[str, ...], as_json: bool, html_path: str | None) -> None:
    """KPIs over a period, against the previous period of the same length.

    Volume, sentiment, first response, SLA (with the targets and business hours in force),
    resolution, FCR, CSAT, backlog; overall and by source, agent, tag and brand; what each
    agent did (from the audit log); a weekly trend (--since 12w for a quarter); spikes against
    the same hour in earlier weeks; complaint themes and repeat complainers. First-response and
    resolution times are in business time (the [sla] table of the config). Prints terminal
    tables, or one JSON object with --json; --html FILE writes a report for managers, with trend
    charts and the definition of every number, that opens in any browser without the network.
    """
    from socialwatch import model, sla
    from socialwatch.errors import UsageError
    from socialwatch.queue import Filters
    from socialwatch.report import kpi

    app = state.app
    now = model.utcnow()
    start = instant(since, "--since")
    end = instant(until, "--until") or now
    if start is None or start >= end:
        raise UsageError("--since must be before --until")
    config = app.config
    brand = config.brand
    filters = Filters(sources=set(sources), tags=set(tags))
    kpis = kpi.compute(
        app.store.iter_all(), start, end, sla.policy(config.table("sla"), str(config.path)), now,
        brand_name=str(brand.get("name") or ""),
        brand_terms=[*(brand.get("handles") or []), *(brand.get("keywords") or [])],
        by=list(dict.fromkeys(dimensions)) or list(DIMENSIONS),
        keep=filters.matches,
        audit=app.store.audit_entries(),
    )
    _emit(kpis, as_json, html_path)


def _emit(kpis: dict, as_json: bool, html_path: str | None) -> None:
    if html_path:
        from socialwatch.render import safe
        from socialwatch.report.html import html_report

        written = html_report(kpis, html_path)
        click.echo(safe(f"Wrote {written}"), err=True)
    if as_json:
        from socialwatch.output import json_line

        json_line(kpis)
    elif not html_path:
        from socialwatch.output import is_tty
        from socialwatch.report.text import text_report

        # tables fit the terminal; in a pipe or a file nothing is cut
        click.echo(text_report(kpis, width=None if is_tty() else NO_LIMIT))
