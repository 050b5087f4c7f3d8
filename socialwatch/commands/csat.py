"""`socialwatch csat`: satisfaction surveys (see the socialwatch.csat package for how they work).

`csat send` sends the surveys that are due now (the daemon and `poll` do it by themselves);
`csat list` shows the surveys of a period and their answers.
"""

from __future__ import annotations

import sys
from typing import Any

import click


@click.group("csat")
def csat_cmd() -> None:
    """Satisfaction surveys sent after a case is resolved ([csat] in the config)."""


@csat_cmd.command("send")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per survey looked at.")
@click.pass_obj
def csat_send(state: Any, as_json: bool) -> None:
    """Send the surveys that are due now, each exactly once (the daemon and `poll` do this too).

    Exits 1 when a survey failed or its outcome is unknown (see `socialwatch outbox`).
    """
    from socialwatch import csat
    from socialwatch.errors import SocialwatchError
    from socialwatch.output import json_line
    from socialwatch.render import safe

    app = state.app
    if csat.settings(app.config) is None:
        raise SocialwatchError("CSAT surveys are off: add [csat] sources = [...] to the config")
    results = csat.send_due(app)
    for r in results:
        if as_json:
            json_line(r.as_dict())
        else:
            click.echo(safe(f"{r.case}: {r.state}" + (f" ({r.detail})" if r.detail else "")))
    if not results and not as_json:
        click.echo("No survey is due.", err=True)
    if any(r.state in ("failed", "unknown") for r in results):
        sys.exit(1)


@csat_cmd.command("list")
@click.option("--since", default="30d", show_default=True, metavar="AGE|DATE", help="Surveys sent (or cases closed) since.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line per survey.")
@click.pass_obj
def csat_list(state: Any, since: str, as_json: bool) -> None:
    """Surveys of a period with their state and answers (score, comment), and the closed cases of a
    surveyed source that got no survey, as `skipped` with the reason (resolved without a reply,
    ignored, tagged spam, ...)."""
    from socialwatch import csat, model
    from socialwatch.commands.report import instant
    from socialwatch.csat.listing import survey_rows
    from socialwatch.output import json_lines
    from socialwatch.render import table

    app = state.app
    start = model.iso(instant(since, "--since") or model.utcnow())
    rows = survey_rows(app.store.iter_all(), csat.settings(app.config), start)
    if as_json:
        json_lines(rows)
        return
    if not rows:
        click.echo("No surveys in this period.", err=True)
        return
    click.echo(table([[r["case"], r["customer"] or "", r["state"] or "", r["sent_at"] or "", score_text(r),
                       r["comment"] or r["reason"] or ""] for r in rows],
                     ["case", "customer", "state", "sent", "score", "comment or reason"], shrink=[5]))


def score_text(answer: dict) -> str:
    from socialwatch.views import csat_score

    return csat_score(answer)
