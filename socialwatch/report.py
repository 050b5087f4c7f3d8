"""The KPI report for people: terminal tables (`text_report`) and a self-contained HTML file (`html_report`).

Both take the dict `kpi.compute` returns. Every string that can come from a mention (source and
tag names, agents, handles, theme words) goes through `render.safe`; in HTML it is then
HTML-escaped, so a hostile tweet can neither run script in the manager's browser nor draw on
the agent's terminal. The HTML file loads nothing from the network: its charts are PNG images
inlined as data: URIs (drawn with matplotlib's Agg backend, imported only when a file is
written), its style is inline, and a Content-Security-Policy forbids any other load or script.
"""

from __future__ import annotations

import base64
import html
import io
import os
import pathlib
from collections.abc import Callable
from typing import Any

from socialwatch.render import safe, table

DIMENSION_TITLES = {"source": "By source", "agent": "By agent", "tag": "By tag", "brand": "By brand"}
GROUP_HEADERS = ["", "Volume", "Negative", "Angry", "Viral", "FRT median", "FRT p90", "SLA", "Resolution median",
                 "FCR", "Backlog"]
#: The terminal leaves out the viral share and uses short headers, to fit 80 columns.
TEXT_GROUP_HEADERS = ["", "Vol", "Neg", "Angry", "FRT med", "FRT p90", "SLA", "Res med", "FCR", "Backlog"]
TEXT_GROUP_ALIGN = {i: "r" for i in range(1, len(TEXT_GROUP_HEADERS))}
#: Rows shown per group table (the JSON has them all).
MAX_GROUP_ROWS = 25


# --------------------------------------------------------------------------- formatting


def duration(seconds: float | None) -> str:
    """'45s', '12m', '3h 05m' ('-' for None); business hours are not folded into days."""
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return f"{s // 3600}h {(s % 3600) // 60:02d}m"


def short(seconds: int) -> str:
    """A bin bound: '15m', '1h', '16h'."""
    return f"{seconds // 3600}h" if seconds >= 3600 and seconds % 3600 == 0 else duration(seconds)


def percent(share: float | None) -> str:
    """'62.5%', '80%' ('-' for None)."""
    if share is None:
        return "-"
    return f"{share * 100:.1f}".rstrip("0").rstrip(".") + "%"


def count_share(n: int, share: float | None) -> str:
    return f"{n} ({percent(share)})" if share is not None else str(n)


def when(value: str | None) -> str:
    """'2026-11-16T09:30:00Z' -> '2026-11-16 09:30 UTC' (other text unchanged)."""
    if not value or len(value) != 20 or not value.endswith("Z"):
        return value or "-"
    return f"{value[:10]} {value[11:16]} UTC"


def period_line(kpis: dict) -> str:
    p = kpis["period"]
    clock = "business time" if p.get("business_time") else "clock time"
    return f"{when(p['since'])} to {when(p['until'])} (durations in {clock}, hours of day in {p['timezone']})"


def overall_rows(k: dict) -> list[tuple[str, str]]:
    """(label, value) pairs of the headline KPIs."""
    return [
        ("Volume", str(k["volume"])),
        ("Negative", count_share(k["negative"], k["negative_share"])),
        ("Angry", count_share(k["angry"], k["angry_share"])),
        ("Viral", count_share(k["viral"], k["viral_share"])),
        ("Complaints", count_share(k["complaints"], k["complaint_share"])),
        ("Questions", count_share(k["questions"], k["question_share"])),
        ("Needs a response", count_share(k["needs_response"], k["needs_response_share"])),
        ("Needs a response, answered", f"{k['needs_response_answered']} of {k['needs_response']} "
                                       f"({percent(k['needs_response_answered_share'])})"),
        ("First response, median", duration(k["frt_median_s"])),
        ("First response, p90", duration(k["frt_p90_s"])),
        ("Answered", str(k["answered"])),
        ("SLA attainment", f"{percent(k['sla_attainment'])} ({k['sla_met']} met, {k['sla_breached']} breached, "
                           f"{k['sla_pending']} not yet due)"),
        ("Resolution time, median", duration(k["resolution_median_s"])),
        ("Resolution time, p90", duration(k["resolution_p90_s"])),
        ("First-contact resolution", f"{percent(k['fcr_rate'])} ({k['fcr']} of {k['fcr_eligible']})"),
        ("Backlog at period end", str(k["backlog"])),
        ("Busiest hours", hours_text(k["busiest_hours"])),
    ]


def hours_text(rows: list[dict]) -> str:
    return ", ".join(f"{r['hour']:02d}:00 ({r['mentions']})" for r in rows) or "-"


def group_row(k: dict) -> list[str]:
    return [k["key"], str(k["volume"]), percent(k["negative_share"]), percent(k["angry_share"]),
            percent(k["viral_share"]), duration(k["frt_median_s"]), duration(k["frt_p90_s"]),
            percent(k["sla_attainment"]), duration(k["resolution_median_s"]), percent(k["fcr_rate"]), str(k["backlog"])]


def spike_rows(kpis: dict) -> list[list[str]]:
    return [[s["local"], str(s["volume"]), str(s["negative"]), str(s["angry"]), f"{s['ratio']}x"]
            for s in kpis["spikes"]["hours"]]


def complainer_rows(kpis: dict) -> list[list[str]]:
    return [["@" + c["handle"], str(c["complaints"]), str(c["cases"]), str(c["mentions"]), ", ".join(c["sources"]),
             when(c["last_at"])] for c in kpis["complainers"]]


SPIKE_HEADERS = ["Hour", "Mentions", "Negative", "Angry", "vs mean"]
COMPLAINER_HEADERS = ["Author", "Complaints", "Cases", "Mentions", "Sources", "Last complaint"]


# --------------------------------------------------------------------------- terminal


def text_report(kpis: dict, width: int | None = None) -> str:
    """The report as terminal text: headline KPIs, group tables, hours, spikes, themes, complainers."""
    out = [safe(f"KPI report: {period_line(kpis)}"), ""]
    out += [table([list(r) for r in overall_rows(kpis["overall"])], ["Overall", ""], max_width=width), ""]
    for dim, rows in kpis["groups"].items():
        out.append(f"{DIMENSION_TITLES.get(dim, dim)}:")
        headers = [dim.capitalize(), *TEXT_GROUP_HEADERS[1:]]
        shown = [[c for i, c in enumerate(group_row(r)) if i != 4] for r in rows[:MAX_GROUP_ROWS]]
        out.append(table(shown, headers, max_width=width, align=TEXT_GROUP_ALIGN) if shown else "none")
        if len(rows) > MAX_GROUP_ROWS:
            out.append(f"... {len(rows) - MAX_GROUP_ROWS} more (see --json)")
        out.append("")
    spikes = kpis["spikes"]
    out.append(f"Spikes (hours above {spikes['factor']:g}x the mean of {spikes['mean_hourly']:g}/h "
               f"and at least {spikes['minimum']}):")
    rows = spike_rows(kpis)
    out += [table(rows, SPIKE_HEADERS, max_width=width, align={1: "r", 2: "r", 3: "r", 4: "r"}) if rows else "none", ""]
    out += _themes_text(kpis["themes"], width)
    rows = complainer_rows(kpis)
    out.append("Repeat complainers:")
    out.append(table(rows, COMPLAINER_HEADERS, max_width=width, align={1: "r", 2: "r", 3: "r"}, shrink=[4, 0])
               if rows else "none")
    return "\n".join(out)


def _themes_text(themes: dict, width: int | None) -> list[str]:
    out = [f"Complaint themes ({themes['complaints']} complaints):"]
    words = [[t["term"], str(t["mentions"])] for t in themes["words"]]
    phrases = [[t["term"], str(t["mentions"])] for t in themes["phrases"]]
    if not words and not phrases:
        return [*out, "none", ""]
    if words:
        out += [table(words, ["Word", "Mentions"], max_width=width, align={1: "r"}), ""]
    if phrases:
        out += [table(phrases, ["Phrase", "Mentions"], max_width=width, align={1: "r"}), ""]
    return out


# --------------------------------------------------------------------------- charts

#: Longest label drawn on a chart axis.
LABEL_MAX = 28


def chart_label(text: Any) -> str:
    """A mention-derived string made safe to draw: escaped controls, no mathtext, bounded length."""
    label = safe(text)
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1] + "…"
    return label.replace("$", r"\$")


def _figure(width: float = 6.4, height: float = 3.0) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig: Any) -> str:
    """The figure as a data: URI (base64 PNG)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _no_data(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"No {what} in this period", ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_axis_off()


def _thin_ticks(ax: Any, labels: list[str], most: int = 14) -> None:
    step = max(1, -(-len(labels) // most))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=45, ha="right", fontsize=9)


def chart_timeline(kpis: dict) -> str:
    """Volume (bars) and negative share (line, right axis) per day or hour."""
    timeline = kpis["timeline"]
    rows = timeline["buckets"]
    fig, ax = _figure()
    if not any(r["volume"] for r in rows):
        _no_data(ax, "mentions")
        return _png(fig)
    x = list(range(len(rows)))
    ax.bar(x, [r["volume"] for r in rows], color="#4c78a8", label="Volume")
    ax.set_ylabel("Mentions")
    share = ax.twinx()
    share.plot(x, [None if r["negative_share"] is None else r["negative_share"] * 100 for r in rows],
               color="#e45756", marker="o", markersize=4, label="Negative share")
    share.set_ylim(0, 105)
    share.set_ylabel("Negative %", color="#e45756")
    share.spines[["top"]].set_visible(False)
    labels = [r["label"][5:] if timeline["unit"] == "hour" else r["label"] for r in rows]
    _thin_ticks(ax, labels)
    ax.set_xlabel(f"Per {timeline['unit']} ({chart_label(kpis['period']['timezone'])})")
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *share.get_legend_handles_labels()[0]],
              loc="upper left", fontsize=8, frameon=False)
    return _png(fig)


def chart_frt(kpis: dict) -> str:
    """Histogram of first-response times in the fixed bins of kpi.FRT_BINS."""
    bins = kpis["frt_histogram"]
    fig, ax = _figure()
    if not any(b["count"] for b in bins):
        _no_data(ax, "answered mentions")
        return _png(fig)
    last = bins[-2]["le_s"] if len(bins) > 1 else 0
    labels = [f"≤{short(b['le_s'])}" if b["le_s"] is not None else f">{short(last)}" for b in bins]
    ax.bar(range(len(bins)), [b["count"] for b in bins], color="#54a24b")
    ax.set_xticks(range(len(bins)), labels, fontsize=9)
    ax.set_ylabel("Mentions")
    ax.set_xlabel("First-response time (business time)" if kpis["period"].get("business_time") else "First-response time")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def chart_sla_by_agent(kpis: dict) -> str:
    """Horizontal bars: SLA attainment per agent, with the number of measured mentions."""
    rows = [r for r in kpis["groups"].get("agent", []) if r["sla_met"] + r["sla_breached"]][:15]
    fig, ax = _figure(6.4, max(2.2, 0.4 * len(rows) + 1.2))
    if not rows:
        _no_data(ax, "SLA measurements by agent" if "agent" in kpis["groups"] else "agent grouping")
        return _png(fig)
    rows = rows[::-1]
    values = [r["sla_attainment"] * 100 for r in rows]
    colors = ["#54a24b" if v >= 90 else "#f58518" if v >= 70 else "#e45756" for v in values]
    y = range(len(rows))
    ax.barh(y, values, color=colors, height=0.6)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(y, [chart_label(r["key"]) for r in rows], fontsize=9)
    ax.set_xlim(0, 132)
    ax.set_xticks(range(0, 101, 20))
    ax.spines["bottom"].set_bounds(0, 100)
    ax.set_xlabel("SLA attainment %")
    for i, r in enumerate(rows):
        ax.text(values[i] + 1, i, f"{values[i]:.0f}% (n={r['sla_met'] + r['sla_breached']})", va="center", fontsize=8)
    return _png(fig)


def chart_hours(kpis: dict) -> str:
    """Mentions per hour of day in the policy's time zone."""
    fig, ax = _figure()
    hours = kpis["hours"]
    if not any(hours):
        _no_data(ax, "mentions")
        return _png(fig)
    ax.bar(range(24), hours, color="#72b7b2")
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=9)
    ax.set_xlabel(f"Hour of day ({chart_label(kpis['period']['timezone'])})")
    ax.set_ylabel("Mentions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


CHARTS: list[tuple[str, Callable[[dict], str]]] = [
    ("Volume and negative share over time", chart_timeline),
    ("First-response time distribution", chart_frt),
    ("SLA attainment by agent", chart_sla_by_agent),
    ("Busiest hours", chart_hours),
]


def charts(kpis: dict) -> list[tuple[str, str]]:
    """(title, data URI) of every chart; matplotlib is imported here only."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings(), matplotlib.rc_context({"font.size": 10}):
        warnings.simplefilter("ignore")  # e.g. "Glyph missing from font" for an emoji tag
        return [(title, draw(kpis)) for title, draw in CHARTS]


# --------------------------------------------------------------------------- HTML


def h(text: Any) -> str:
    """Text for HTML: terminal-safe first (controls and bidi made visible), then HTML-escaped."""
    return html.escape(safe(text), quote=True)


def html_table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    """An HTML table, every cell escaped with `h`; `numeric` columns (default: all but the first) align right."""
    numeric = set(range(1, len(headers))) if numeric is None else numeric

    def cls(i: int) -> str:
        return " class=n" if i in numeric else ""

    head = "".join(f"<th{cls(i)}>{h(x)}</th>" for i, x in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{h(c)}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


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
@media (max-width:900px){.charts{grid-template-columns:1fr}}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _cards(k: dict) -> str:
    cards = [
        ("Mentions", str(k["volume"])),
        ("Negative", percent(k["negative_share"])),
        ("Angry", percent(k["angry_share"])),
        ("Complaints", percent(k["complaint_share"])),
        ("Needs a response", percent(k["needs_response_share"])),
        ("Of those, answered", percent(k["needs_response_answered_share"])),
        ("First response (median)", duration(k["frt_median_s"])),
        ("First response (p90)", duration(k["frt_p90_s"])),
        ("SLA attainment", percent(k["sla_attainment"])),
        ("First-contact resolution", percent(k["fcr_rate"])),
        ("Backlog at period end", str(k["backlog"])),
    ]
    return "<div class=cards>" + "".join(
        f"<div class=card><div class=v>{h(v)}</div><div class=l>{h(label)}</div></div>" for label, v in cards
    ) + "</div>"


def _groups_html(kpis: dict) -> str:
    parts = []
    for dim, rows in kpis["groups"].items():
        title = DIMENSION_TITLES.get(dim, dim)
        parts.append(f"<h2>{h(title)}</h2>")
        if not rows:
            parts.append("<p>None.</p>")
            continue
        headers = [dim.capitalize(), *GROUP_HEADERS[1:]]
        parts.append(html_table(headers, [group_row(r) for r in rows[:MAX_GROUP_ROWS]]))
        if len(rows) > MAX_GROUP_ROWS:
            parts.append(f"<p class=sub>{len(rows) - MAX_GROUP_ROWS} more in the JSON report.</p>")
    return "".join(parts)


def _themes_html(kpis: dict) -> str:
    themes = kpis["themes"]
    words = [[t["term"], str(t["mentions"])] for t in themes["words"]]
    phrases = [[t["term"], str(t["mentions"])] for t in themes["phrases"]]
    body = (f"<div class=cols><div>{html_table(['Word', 'Mentions'], words)}</div>"
            f"<div>{html_table(['Phrase', 'Mentions'], phrases)}</div></div>") if words or phrases else "<p>None.</p>"
    return f"<h2>Complaint themes</h2><p class=sub>From {themes['complaints']} complaints.</p>{body}"


def render_html(kpis: dict, images: list[tuple[str, str]] | None = None) -> str:
    """The whole HTML document (`images`: (title, data URI) pairs, by default drawn now)."""
    images = charts(kpis) if images is None else images
    k = kpis["overall"]
    spikes = kpis["spikes"]
    complainers = complainer_rows(kpis)
    figures = "".join(
        f'<figure><figcaption>{h(title)}</figcaption><img alt="{h(title)}" src="{h(uri)}"></figure>'
        for title, uri in images if uri.startswith("data:image/png;base64,")
    )
    overall = html_table(["Measure", "Value"], [list(r) for r in overall_rows(k)], numeric=set())
    spike_html = (html_table(SPIKE_HEADERS, spike_rows(kpis)) if spikes["hours"] else "<p>None.</p>")
    complainer_html = html_table(COMPLAINER_HEADERS, complainers, {1, 2, 3}) if complainers else "<p>None.</p>"
    brand = kpis["period"].get("brand") or ""
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{h(brand + ' ' if brand else '')}social care report</title><style>{CSS}</style></head><body>"
        f"<h1>{h(brand + ': ' if brand else '')}social care report</h1><p class=sub>{h(period_line(kpis))}</p>"
        f"{_cards(k)}<div class=charts>{figures}</div>"
        f"<h2>Overall</h2>{overall}{_groups_html(kpis)}"
        f"<h2>Spikes</h2><p class=sub>Hours above {spikes['factor']:g}x the mean of {spikes['mean_hourly']:g} "
        f"mentions per hour, with at least {spikes['minimum']}.</p>{spike_html}"
        f"{_themes_html(kpis)}<h2>Repeat complainers</h2>{complainer_html}"
        f"<p class=sub>Generated by socialwatch at {h(when(kpis['period']['now']))}.</p></body></html>\n"
    )


def html_report(kpis: dict, path: str | os.PathLike) -> pathlib.Path:
    """Write the self-contained HTML report to `path` atomically; returns the path."""
    from socialwatch.storage import atomic_write

    target = pathlib.Path(path)
    atomic_write(target, render_html(kpis).encode("utf-8"))
    return target
