"""The report's charts: matplotlib figures (Agg backend) as inline PNG data: URIs.

matplotlib is imported only by `charts`, when an HTML report is written. Labels that come from
mentions (agents, the time zone) are drawn through `chart_label`: escaped, no mathtext, bounded.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

from socialwatch.render import safe
from socialwatch.report.rows import short

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


def _no_data(fig: Any, ax: Any, what: str) -> str:
    """The chart that says there is nothing to draw."""
    ax.text(0.5, 0.5, f"No {what} in this period", ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_axis_off()
    return _png(fig)


def _thin_ticks(ax: Any, labels: list[str], most: int = 14) -> None:
    step = max(1, -(-len(labels) // most))
    ticks = list(range(0, len(labels), step))
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=45, ha="right", fontsize=9)


#: One series of a bar-and-line chart: (values, colour, legend label, axis label).
Series = tuple[list[Any], str, str, str]


def _bars_and_share(ax: Any, bars: Series, share: Series, labels: list[str], xlabel: str, most: int,
                    integer: bool = False) -> None:
    """Bars on the left axis and a share (0..1, None where unknown) as a percentage line on a right axis
    (0-105 %), over the same x labels (thinned to `most`), with one legend for both."""
    x = list(range(len(labels)))
    values, color, label, axis = bars
    ax.bar(x, values, color=color, label=label)
    ax.set_ylabel(axis)
    if integer:
        ax.yaxis.get_major_locator().set_params(integer=True)
    right = ax.twinx()
    values, color, label, axis = share
    right.plot(x, [None if v is None else v * 100 for v in values], color=color, marker="o", markersize=4, label=label)
    right.set_ylim(0, 105)
    right.set_ylabel(axis, color=color)
    right.spines[["top"]].set_visible(False)
    _thin_ticks(ax, labels, most)
    ax.set_xlabel(xlabel)
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *right.get_legend_handles_labels()[0]],
              loc="upper left", fontsize=8, frameon=False)


def chart_timeline(kpis: dict) -> str:
    """Volume (bars) and negative share (line, right axis) per day or hour."""
    timeline = kpis["timeline"]
    rows = timeline["buckets"]
    fig, ax = _figure()
    if not any(r["volume"] for r in rows):
        return _no_data(fig, ax, "mentions")
    _bars_and_share(ax, ([r["volume"] for r in rows], "#4c78a8", "Volume", "Mentions"),
                    ([r["negative_share"] for r in rows], "#e45756", "Negative share", "Negative %"),
                    [r["label"][5:] if timeline["unit"] == "hour" else r["label"] for r in rows],
                    f"Per {timeline['unit']} ({chart_label(kpis['period']['timezone'])})", most=14)
    return _png(fig)


def chart_frt(kpis: dict) -> str:
    """Histogram of first-response times in the fixed bins of `kpi.accumulate.FRT_BINS`."""
    bins = kpis["frt_histogram"]
    fig, ax = _figure()
    if not any(b["count"] for b in bins):
        return _no_data(fig, ax, "answered mentions")
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
        return _no_data(fig, ax, "SLA measurements by agent" if "agent" in kpis["groups"] else "agent grouping")
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
        return _no_data(fig, ax, "mentions")
    ax.bar(range(24), hours, color="#72b7b2")
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)], fontsize=9)
    ax.set_xlabel(f"Hour of day ({chart_label(kpis['period']['timezone'])})")
    ax.set_ylabel("Mentions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def _trend_chart(rows: list[dict], has_data: bool, nothing: str, bars: Series, share: Series,
                 integer: bool = False) -> str:
    """The weekly `rows` as bars and a share line (see `_bars_and_share`), or "No `nothing`" without data."""
    fig, ax = _figure()
    if not has_data:
        return _no_data(fig, ax, nothing)
    labels = [r["week"][5:] + ("*" if r["partial"] else "") for r in rows]
    _bars_and_share(ax, bars, share, labels, "Week of (* partial)", most=13, integer=integer)
    return _png(fig)


def chart_trend_volume(kpis: dict) -> str:
    """Weekly volume (bars) and negative share (line)."""
    rows = kpis.get("trend") or []
    return _trend_chart(rows, any(r["volume"] for r in rows), "mentions",
                        ([r["volume"] for r in rows], "#4c78a8", "Volume", "Mentions"),
                        ([r["negative_share"] for r in rows], "#e45756", "Negative share", "Negative %"))


def chart_trend_service(kpis: dict) -> str:
    """Weekly median first response (bars, hours) and SLA attainment (line)."""
    rows = kpis.get("trend") or []
    return _trend_chart(rows, any(r["frt_median_s"] is not None or r["sla_attainment"] is not None for r in rows),
                        "answered mentions",
                        ([(r["frt_median_s"] or 0) / 3600 for r in rows], "#72b7b2", "First response, median (h)", "Hours"),
                        ([r["sla_attainment"] for r in rows], "#54a24b", "SLA attainment", "SLA %"))


def chart_trend_csat(kpis: dict) -> str:
    """Weekly CSAT (line) with the number of answers (bars)."""
    rows = kpis.get("trend") or []
    return _trend_chart(rows, any(r["csat_responses"] for r in rows), "survey answers",
                        ([r["csat_responses"] for r in rows], "#bab0ac", "Answers", "Answers"),
                        ([r["csat"] for r in rows], "#f58518", "CSAT", "CSAT %"), integer=True)


CHARTS: list[tuple[str, Callable[[dict], str]]] = [
    ("Volume and negative share over time", chart_timeline),
    ("First-response time distribution", chart_frt),
    ("Weekly trend: volume and negative share", chart_trend_volume),
    ("Weekly trend: first response and SLA", chart_trend_service),
    ("Weekly trend: CSAT", chart_trend_csat),
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

