"""The KPI report as terminal text (`text_report`), from the dict `report.kpi.compute` returns.

Every string that can come from a mention (source and tag names, agents, handles, theme words)
goes through `render.safe`, so a hostile tweet cannot draw on the agent's terminal.
"""

from __future__ import annotations

from socialwatch.render import safe
from socialwatch.report import rows
from socialwatch.report.layout import fit_table, output_width, paragraph

#: The terminal leaves out the viral share and uses short headers.
TEXT_GROUP_HEADERS = ["", "Vol", "Neg", "Angry", "FRT med", "FRT p90", "SLA", "Res med", "FCR", "CSAT", "Backlog"]
TEXT_GROUP_ALIGN = {i: "r" for i in range(1, len(TEXT_GROUP_HEADERS))}


def _right(first: int, last: int) -> dict[int, str]:
    """Right-aligned (numeric) columns first..last."""
    return {i: "r" for i in range(first, last + 1)}


def _table_or_none(body: list[list[str]], headers: list[str], width: int,
                   align: dict[int, str] | None = None, shrink: list[int] | None = None) -> str:
    """A table whose names and counts stay whole (`layout.fit_table`), or "none" when there are no rows."""
    return fit_table(body, headers, width, align=align, shrink=shrink) if body else "none"


def text_report(kpis: dict, width: int | None = None) -> str:
    """The report as terminal text: service levels, headline KPIs against the previous period,
    notes, group tables, agent activity, weekly trend, CSAT comments, spikes, themes, complainers.

    `width`: the terminal's columns (default: the terminal's when stdout is one, else no limit).
    Narrow terminals get wrapped sentences and values, and wide tables split into several, never
    a name or a count cut off (`report.layout`)."""
    width = output_width() if width is None else width
    out = paragraph(safe(f"KPI report: {rows.period_line(kpis)}"), width)
    if kpis.get("previous"):
        out += paragraph(rows.previous_line(kpis), width)
    out.append("")
    if kpis.get("sla"):
        out += ["Service levels in force:", *[line for text in rows.sla_lines(kpis)
                                               for line in paragraph(safe(text), width, indent="  ")], ""]
    headers = ["Overall", "This period", "Previous", "Change"] if kpis.get("previous") else ["Overall", ""]
    out += [fit_table(rows.headline_rows(kpis), headers, width, wrap=(2, 1, 0)), ""]
    excluded = (kpis.get("excluded") or {}).get("survey_answers")
    if excluded:
        out += [*paragraph(f"Not counted as mentions: {excluded} answers to satisfaction surveys.", width), ""]
    if kpis.get("notes"):
        out += ["Notes:", *[line for n in kpis["notes"] for line in paragraph(safe(f"- {n}"), width)], ""]
    for dim, groups in kpis["groups"].items():
        out.append(f"{rows.DIMENSION_TITLES.get(dim, dim)}:")
        headers = [dim.capitalize(), *TEXT_GROUP_HEADERS[1:]]
        shown = [[c for i, c in enumerate(rows.group_row(g)) if i != 4] for g in groups[:rows.MAX_GROUP_ROWS]]
        out.append(_table_or_none(shown, headers, width, align=TEXT_GROUP_ALIGN))
        if len(groups) > rows.MAX_GROUP_ROWS:
            out.append(f"... {len(groups) - rows.MAX_GROUP_ROWS} more (see --json)")
        out.append("")
        if dim == "agent" and "agents" in kpis:
            out += [*paragraph("Agent activity in the period (from the audit log; change vs the previous period):",
                               width),
                    _table_or_none(rows.agent_rows(kpis), rows.AGENT_HEADERS, width,
                                   align=_right(1, len(rows.AGENT_HEADERS) - 1)), ""]
    trend = rows.trend_rows(kpis)
    if trend:
        out += ["Weekly trend (* partial week):", fit_table(trend, rows.TREND_HEADERS, width, align=_right(1, 7)), ""]
    out.append("Satisfaction survey comments (least satisfied first):")
    out += [_table_or_none(rows.comment_rows(kpis), rows.COMMENT_HEADERS, width, shrink=[3]), ""]
    out.append("Spikes:")
    out += paragraph(safe(rows.spikes_line(kpis)), width, hang="")
    if kpis["spikes"]["enough_history"]:
        out.append(_table_or_none(rows.spike_rows(kpis), rows.SPIKE_HEADERS, width, align=_right(1, 5)))
    out.append("")
    out += _themes_text(kpis["themes"], width)
    out.append("Repeat complainers:")
    out.append(_table_or_none(rows.complainer_rows(kpis), rows.COMPLAINER_HEADERS, width, align=_right(2, 4)))
    return "\n".join(out)


def _themes_text(themes: dict, width: int) -> list[str]:
    out = [f"Complaint themes ({themes['complaints']} complaints):"]
    words, phrases = rows.theme_rows(themes, "words"), rows.theme_rows(themes, "phrases")
    if not words and not phrases:
        return [*out, "none", ""]
    for body, kind in ((words, "Word"), (phrases, "Phrase")):
        if body:
            out += [fit_table(body, [kind, "Mentions", "For example"], width, align={1: "r"}, shrink=[2]), ""]
    return out
