"""The KPI report as one self-contained HTML file (`html_report`), from the dict `report.kpi.compute` returns.

Every string that can come from a mention is made terminal-safe (`render.safe`) and then
HTML-escaped (`h`), so a hostile tweet cannot run script in the manager's browser. The file loads
nothing from the network: its charts are PNG images inlined as data: URIs (`report.charts`,
matplotlib imported only when they are drawn), its style is inline, and a Content-Security-Policy
forbids any other load or script.
"""

from __future__ import annotations

import html
import os
import pathlib
from typing import Any

from socialwatch.render import safe
from socialwatch.report import rows
from socialwatch.report.charts import charts


def h(text: Any) -> str:
    """Text for HTML: terminal-safe first (controls and bidi made visible), then HTML-escaped."""
    return html.escape(safe(text), quote=True)


def html_table(headers: list[str], body: list[list[str]], numeric: set[int] | None = None) -> str:
    """An HTML table, every cell escaped with `h`; `numeric` columns (default: all but the first) align right."""
    numeric = set(range(1, len(headers))) if numeric is None else numeric

    def cls(i: int) -> str:
        return " class=n" if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{h(x)}</th>" for i, x in enumerate(headers))
    cells = "".join("<tr>" + "".join(f"<td{cls(i)}>{h(c)}</td>" for i, c in enumerate(r)) + "</tr>" for r in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"


def table_or_none(headers: list[str], body: list[list[str]], numeric: set[int] | None = None) -> str:
    """`html_table`, or "None." when there are no rows."""
    return html_table(headers, body, numeric) if body else "<p>None.</p>"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1100px;
color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}
.card .v{font-size:20px;font-weight:600}.card .l{font-size:12px;color:#666}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:4px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top;max-width:360px;
overflow-wrap:anywhere}
th{background:#f5f5f5}.n{text-align:right;white-space:nowrap}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.charts figure{margin:0}.charts img{width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:14px;font-weight:600;margin-bottom:4px}
.cols{display:flex;gap:32px;flex-wrap:wrap}
.card .d{font-size:11px;color:#666}.sla,.notes{background:#f7f7f7;border-radius:6px;padding:8px 12px;margin:12px 0;
font-size:13px}.sla ul,.notes ul{margin:4px 0 0 0;padding-left:18px}
a.fn{font-size:10px;color:#666;text-decoration:none}dl.defs{font-size:13px}dl.defs dt{font-weight:600;margin-top:6px}
dl.defs dd{margin-left:16px;color:#333}h3{font-size:15px;margin-top:18px}
@media (max-width:900px){.charts{grid-template-columns:1fr}}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


#: The headline cards: (label, the KPI shown, how it reads: count, share or time, its definition).
CARDS = [
    ("Mentions", "volume", "count", "volume"),
    ("Negative", "negative_share", "share", "negative"),
    ("Angry", "angry_share", "share", "negative"),
    ("Complaints", "complaint_share", "share", "complaints"),
    ("Needs a response", "needs_response_share", "share", "complaints"),
    ("Of those, answered", "needs_response_answered_share", "share", "complaints"),
    ("First response (median)", "frt_median_s", "time", "frt"),
    ("First response (p90)", "frt_p90_s", "time", "frt"),
    ("SLA attainment", "sla_attainment", "share", "sla"),
    ("First-contact resolution", "fcr_rate", "share", "fcr"),
    ("CSAT", "csat", "share", "csat"),
    ("Survey response rate", "csat_response_rate", "share", "csat"),
    ("Backlog at period end", "backlog", "count", "backlog"),
]


def _cards(kpis: dict) -> str:
    k = kpis["overall"]
    d = kpis.get("deltas") or {}
    before = bool(kpis.get("previous"))
    defs = kpis.get("definitions") or {}
    return "<div class=cards>" + "".join(
        f'<div class=card title="{h(defs.get(ref, ""))}"><div class=v>{h(rows.short_value(key, how, k))}</div>'
        f"<div class=l>{h(label)}</div>"
        + (f"<div class=d>{h(rows.change(d.get(key), how))} vs previous</div>" if before else "") + "</div>"
        for label, key, how, ref in CARDS
    ) + "</div>"


def _defined_table(kpis: dict) -> str:
    """The headline KPIs against the previous period, each label with its definition on hover."""
    defs = kpis.get("definitions") or {}
    before = bool(kpis.get("previous"))
    headers = ["Measure", "This period", "Previous", "Change"] if before else ["Measure", "Value"]
    head = "".join(f"<th{' class=n' if i > 1 else ''}>{h(x)}</th>" for i, x in enumerate(headers))
    body = []
    for row in rows.headline_rows(kpis):
        key = rows.COMPARE.get(row[0], (None, "", ""))[2]
        ref = f' <a class=fn href="#def-{h(key)}">[{h(key)}]</a>' if key in defs else ""
        cells = f'<td title="{h(defs.get(key, ""))}">{h(row[0])}{ref}</td>' + "".join(
            f"<td{' class=n' if i > 0 else ''}>{h(c)}</td>" for i, c in enumerate(row[1:]))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _groups_html(kpis: dict) -> str:
    parts = []
    defs = kpis.get("definitions") or {}
    for dim, groups in kpis["groups"].items():
        title = rows.DIMENSION_TITLES.get(dim, dim)
        parts.append(f"<h2>{h(title)}</h2>")
        if dim == "agent" and defs.get("agent"):
            parts.append(f"<p class=sub>{h(defs['agent'])}</p>")
        if not groups:
            parts.append("<p>None.</p>")
        else:
            headers = [dim.capitalize(), *rows.GROUP_HEADERS[1:]]
            parts.append(html_table(headers, [rows.group_row(g) for g in groups[:rows.MAX_GROUP_ROWS]]))
            if len(groups) > rows.MAX_GROUP_ROWS:
                parts.append(f"<p class=sub>{len(groups) - rows.MAX_GROUP_ROWS} more in the JSON report.</p>")
        if dim == "agent" and "agents" in kpis:
            parts.append("<h3>Agent activity (from the audit log)</h3>")
            parts.append(table_or_none(rows.AGENT_HEADERS, rows.agent_rows(kpis)))
    return "".join(parts)


def _themes_html(kpis: dict) -> str:
    themes = kpis["themes"]
    words, phrases = rows.theme_rows(themes, "words"), rows.theme_rows(themes, "phrases")
    body = (f"<div class=cols><div>{html_table(['Word', 'Mentions', 'For example'], words, {1})}</div>"
            f"<div>{html_table(['Phrase', 'Mentions', 'For example'], phrases, {1})}</div></div>") \
        if words or phrases else "<p>None.</p>"
    return f"<h2>Complaint themes</h2><p class=sub>From {themes['complaints']} complaints.</p>{body}"


def _definitions_html(kpis: dict) -> str:
    defs = kpis.get("definitions") or {}
    if not defs:
        return ""
    items = "".join(f'<dt id="def-{h(k)}">{h(k)}</dt><dd>{h(v)}</dd>' for k, v in defs.items())
    return f"<h2>How these numbers are counted</h2><dl class=defs>{items}</dl>"


def render_html(kpis: dict, images: list[tuple[str, str]] | None = None) -> str:
    """The whole HTML document (`images`: (title, data URI) pairs, by default drawn now)."""
    images = charts(kpis) if images is None else images
    spikes = kpis["spikes"]
    figures = "".join(
        f'<figure><figcaption>{h(title)}</figcaption><img alt="{h(title)}" src="{h(uri)}"></figure>'
        for title, uri in images if uri.startswith("data:image/png;base64,")
    )
    overall = _defined_table(kpis)
    spike_html = table_or_none(rows.SPIKE_HEADERS, rows.spike_rows(kpis)) if spikes["enough_history"] else ""
    complainer_html = table_or_none(rows.COMPLAINER_HEADERS, rows.complainer_rows(kpis), {2, 3, 4})
    comment_html = table_or_none(rows.COMMENT_HEADERS, rows.comment_rows(kpis), set())
    trend_html = table_or_none(rows.TREND_HEADERS, rows.trend_rows(kpis))
    sla_html = "".join(f"<li>{h(line)}</li>" for line in rows.sla_lines(kpis))
    notes_html = "".join(f"<li>{h(n)}</li>" for n in kpis.get("notes") or [])
    excluded = (kpis.get("excluded") or {}).get("survey_answers")
    defs = kpis.get("definitions") or {}
    brand = kpis["period"].get("brand") or ""
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{h(brand + ' ' if brand else '')}social care report</title><style>{CSS}</style></head><body>"
        f"<h1>{h(brand + ': ' if brand else '')}social care report</h1><p class=sub>{h(rows.period_line(kpis))}</p>"
        + (f"<p class=sub>{h(rows.previous_line(kpis))}</p>" if kpis.get("previous") else "")
        + (f"<div class=sla><b>Service levels in force</b><ul>{sla_html}</ul></div>" if sla_html else "")
        + f"{_cards(kpis)}<div class=charts>{figures}</div>"
        f"<h2>Overall</h2>{overall}"
        + (f"<p class=sub>Not counted as mentions: {excluded} answers to satisfaction surveys.</p>" if excluded else "")
        + (f"<div class=notes><b>Notes</b><ul>{notes_html}</ul></div>" if notes_html else "")
        + f"{_groups_html(kpis)}"
        f"<h2>Weekly trend</h2><p class=sub>{h(defs.get('trend', ''))} * partial week.</p>{trend_html}"
        f"<h2>Satisfaction survey comments</h2><p class=sub>Least satisfied first.</p>{comment_html}"
        f"<h2>Spikes</h2><p class=sub>{h(rows.spikes_line(kpis))}</p>{spike_html}"
        f"{_themes_html(kpis)}<h2>Repeat complainers</h2>{complainer_html}"
        f"{_definitions_html(kpis)}"
        f"<p class=sub>Generated by socialwatch at {h(rows.when(kpis['period']['now']))}.</p></body></html>\n"
    )


def html_report(kpis: dict, path: str | os.PathLike) -> pathlib.Path:
    """Write the self-contained HTML report to `path` atomically; returns the path."""
    from socialwatch.store.files import atomic_write

    target = pathlib.Path(path)
    atomic_write(target, render_html(kpis).encode("utf-8"))
    return target

