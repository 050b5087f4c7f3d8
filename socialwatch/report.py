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
GROUP_HEADERS = ["", "Volume (vs prev)", "Negative", "Angry", "Viral", "FRT median", "FRT p90", "SLA", "Resolution median",
                 "FCR", "CSAT", "Backlog"]
#: The terminal leaves out the viral share and uses short headers.
TEXT_GROUP_HEADERS = ["", "Vol", "Neg", "Angry", "FRT med", "FRT p90", "SLA", "Res med", "FCR", "CSAT", "Backlog"]
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


def previous_line(kpis: dict) -> str:
    prev = kpis.get("previous") or {}
    if not prev:
        return ""
    return f"Compared with the previous period of the same length: {when(prev['since'])} to {when(prev['until'])}."


def sla_lines(kpis: dict) -> list[str]:
    """The service levels in force, and whether they are defaults."""
    info = kpis.get("sla")
    if not info:
        return []
    bands = info["targets"]
    targets = []
    for i, b in enumerate(bands):
        who = f"priority >= {b['min_priority']}" if i < len(bands) - 1 or b["min_priority"] else "other mentions"
        targets.append(f"{duration(b['first_response_s'])} ({who})")
    clock = (f"business hours {info['hours']} {', '.join(d.capitalize() for d in info['days'])} ({info['timezone']})"
             if info["business_time"] else "clock time, around the clock")
    lines = [f"First response within {', '.join(targets)}; measured in {clock}."]
    if info["resolution_s"]:
        lines.append(f"Resolution target: {duration(info['resolution_s'])}.")
    holidays = info["holidays_in_period"]
    lines.append("Holidays in the period: " + (", ".join(holidays) if holidays else "none")
                 + (f" ({len(info['holidays'])} configured in all)." if info["holidays"] else " (none configured)."))
    if not info["configured"]:
        lines.append("These are the defaults: the config has no [sla] table.")
    elif info["defaults"]:
        lines.append(f"Defaults in force for: {', '.join(info['defaults'])} (not set in [sla]).")
    return lines


def csat_text(k: dict) -> str:
    if not k.get("csat_sent"):
        return "-"
    if not k["csat_responses"]:
        return f"no answer yet ({k['csat_sent']} surveys sent)"
    return f"{percent(k['csat'])} ({k['csat_satisfied']} satisfied of {k['csat_responses']} answers)"


def responses_text(k: dict) -> str:
    if not k.get("csat_sent"):
        return "-"
    return f"{k['csat_responses']} of {k['csat_sent']} surveys ({percent(k['csat_response_rate'])})"


def sla_excluded_text(k: dict) -> str:
    return (f"{k['sla_pending']} not yet due, {k['sla_excluded_followups']} follow-ups, "
            f"{k['sla_excluded_ignored']} ignored without an answer")


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
        ("SLA not measured", sla_excluded_text(k)),
        ("Resolution time, median", duration(k["resolution_median_s"])),
        ("Resolution time, p90", duration(k["resolution_p90_s"])),
        ("Resolved", f"{k['resolved']} ({k['resolved_without_reply']} without a reply)"),
        ("First-contact resolution", f"{percent(k['fcr_rate'])} ({k['fcr']} of {k['fcr_eligible']})"),
        ("CSAT", csat_text(k)),
        ("Survey responses", responses_text(k)),
        ("Backlog at period end", str(k["backlog"])),
        ("Busiest hours", hours_text(k["busiest_hours"])),
    ]


#: label -> (the KPI compared, how its change reads: count, share or time), and the definition key.
COMPARE = {
    "Volume": ("volume", "count", "volume"),
    "Negative": ("negative_share", "share", "negative"),
    "Angry": ("angry_share", "share", "negative"),
    "Viral": ("viral_share", "share", "negative"),
    "First response, median": ("frt_median_s", "time", "frt"),
    "First response, p90": ("frt_p90_s", "time", "frt"),
    "Answered": ("answered", "count", "frt"),
    "SLA attainment": ("sla_attainment", "share", "sla"),
    "SLA not measured": (None, "", "sla"),
    "Resolution time, median": ("resolution_median_s", "time", "resolution"),
    "Resolution time, p90": ("resolution_p90_s", "time", "resolution"),
    "Resolved": ("resolved", "count", "resolution"),
    "First-contact resolution": ("fcr_rate", "share", "fcr"),
    "CSAT": ("csat", "share", "csat"),
    "Survey responses": ("csat_response_rate", "share", "csat"),
    "Backlog at period end": ("backlog", "count", "backlog"),
    "Busiest hours": (None, "", "volume"),
}


def short_value(key: str | None, how: str, k: dict) -> str:
    """A KPI's value alone (for the previous period's column)."""
    if key is None:
        return ""
    value = k.get(key)
    if how == "share":
        return percent(value)
    if how == "time":
        return duration(value)
    return "-" if value is None else str(value)


def change(value: float | None, how: str) -> str:
    """'+3', '-2.5 pts', '+12m' ('-' when either period has no value)."""
    if value is None or how == "":
        return "-" if how else ""
    if how == "share":
        pts = value * 100
        return "0 pts" if abs(pts) < 0.05 else f"{pts:+.1f} pts"
    if how == "time":
        return "0" if abs(value) < 1 else ("+" if value > 0 else "-") + duration(abs(value))
    return f"{int(value):+d}" if value else "0"


def compared_rows(kpis: dict) -> list[list[str]]:
    """[label, this period, previous period, change] for the headline KPIs."""
    k = kpis["overall"]
    before = (kpis.get("previous") or {}).get("overall") or {}
    deltas = kpis.get("deltas") or {}
    rows = []
    for label, value in overall_rows(k):
        key, how, _ = COMPARE.get(label, (None, "", ""))
        rows.append([label, value, short_value(key, how, before) if before else "",
                     change(deltas.get(key) if key else None, how) if before else ""])
    return rows


def hours_text(rows: list[dict]) -> str:
    return ", ".join(f"{r['hour']:02d}:00 ({r['mentions']})" for r in rows) or "-"


def group_row(k: dict) -> list[str]:
    prev = k.get("previous") or {}
    vol = str(k["volume"])
    if prev.get("volume") is not None:
        vol += f" ({change(k['volume'] - prev['volume'], 'count')})"
    return [k["key"], vol, percent(k["negative_share"]), percent(k["angry_share"]),
            percent(k["viral_share"]), duration(k["frt_median_s"]), duration(k["frt_p90_s"]),
            percent(k["sla_attainment"]), duration(k["resolution_median_s"]), percent(k["fcr_rate"]),
            f"{percent(k['csat'])} (n={k['csat_responses']})" if k.get("csat_responses") else "-", str(k["backlog"])]


def agent_rows(kpis: dict) -> list[list[str]]:
    rows = []
    for a in kpis.get("agents") or []:
        before = a.get("previous") or {}

        def with_change(key: str, row: dict = a, prev: dict = before) -> str:
            return f"{row[key]} ({change(row[key] - prev.get(key, 0), 'count')})"

        handle = f"{duration(a['handle_time_median_s'])} (n={a['handle_time_n']})" if a["handle_time_n"] else "-"
        rows.append([a["agent"], str(a["assigned"]), str(a["first_replies"]), with_change("replies"),
                     with_change("resolved"), str(a["ignored"]), str(a["notes"]), str(a["tags"]), str(a["escalations"]),
                     handle])
    return rows


AGENT_HEADERS = ["Agent", "Assigned", "First replies", "Replies (vs prev)", "Resolved (vs prev)", "Ignored", "Notes",
                 "Tags", "Escalations", "Handle time median"]


def trend_rows(kpis: dict) -> list[list[str]]:
    return [[r["week"] + (" *" if r["partial"] else ""), str(r["volume"]), percent(r["negative_share"]),
             duration(r["frt_median_s"]), percent(r["sla_attainment"]), duration(r["resolution_median_s"]),
             percent(r["fcr_rate"]), f"{percent(r['csat'])} (n={r['csat_responses']})" if r["csat_responses"] else "-"]
            for r in kpis.get("trend") or []]


TREND_HEADERS = ["Week of", "Volume", "Negative", "FRT med", "SLA", "Res med", "FCR", "CSAT"]


def comment_rows(kpis: dict) -> list[list[str]]:
    from socialwatch.views import csat_score

    return [[csat_score(c), c["case"] or "", c["agent"], c["comment"]] for c in kpis.get("csat_comments") or []]


COMMENT_HEADERS = ["Score", "Case", "Agent", "Comment"]


def spike_rows(kpis: dict) -> list[list[str]]:
    return [[f"{s['weekday']} {s['local']}", str(s["volume"]), str(s["negative"]), str(s["angry"]),
             f"{s['baseline']:g}", f"{s['ratio']}x" if s["ratio"] is not None else "new"]
            for s in kpis["spikes"]["hours"]]


def spikes_line(kpis: dict) -> str:
    sp = kpis["spikes"]
    head = (f"Hours with at least {sp['minimum']} mentions and more than {sp['factor']:g}x the {sp['method']}")
    if not sp["enough_history"]:
        since = when(sp["history_since"]) if sp["history_since"] else "nothing stored yet"
        return (f"{head}: not enough history to judge (each hour needs {sp['min_weeks']} earlier weeks of data; "
                f"the stored mentions begin {since}).")
    tail = f"; {sp['unjudged_hours']} hours of the period had too little history to judge" if sp["unjudged_hours"] else ""
    return f"{head}{tail}:"


def complainer_rows(kpis: dict) -> list[list[str]]:
    return [["@" + c["handle"], c.get("platform") or "", str(c["complaints"]), str(c["cases"]), str(c["mentions"]),
             when(c["last_at"])] for c in kpis["complainers"]]


SPIKE_HEADERS = ["Hour", "Mentions", "Negative", "Angry", "Usual", "vs usual"]
COMPLAINER_HEADERS = ["Customer", "Platform", "Complaints", "Cases", "Mentions", "Last complaint"]


def theme_example(t: dict) -> str:
    ex = t.get("examples") or []
    return f"“{ex[0]['text']}”" if ex else ""


# --------------------------------------------------------------------------- terminal


def text_report(kpis: dict, width: int | None = None) -> str:
    """The report as terminal text: service levels, headline KPIs against the previous period,
    notes, group tables, agent activity, weekly trend, CSAT comments, spikes, themes, complainers."""
    out = [safe(f"KPI report: {period_line(kpis)}")]
    if kpis.get("previous"):
        out.append(previous_line(kpis))
    out.append("")
    if kpis.get("sla"):
        out += ["Service levels in force:", *["  " + safe(line) for line in sla_lines(kpis)], ""]
    headers = ["Overall", "This period", "Previous", "Change"] if kpis.get("previous") else ["Overall", ""]
    rows = compared_rows(kpis) if kpis.get("previous") else [list(r) for r in overall_rows(kpis["overall"])]
    out += [table(rows, headers, max_width=width), ""]
    excluded = (kpis.get("excluded") or {}).get("survey_answers")
    if excluded:
        out += [f"Not counted as mentions: {excluded} answers to satisfaction surveys.", ""]
    if kpis.get("notes"):
        out += ["Notes:", *[safe(f"- {n}") for n in kpis["notes"]], ""]
    for dim, rows in kpis["groups"].items():
        out.append(f"{DIMENSION_TITLES.get(dim, dim)}:")
        headers = [dim.capitalize(), *TEXT_GROUP_HEADERS[1:]]
        shown = [[c for i, c in enumerate(group_row(r)) if i != 4] for r in rows[:MAX_GROUP_ROWS]]
        out.append(table(shown, headers, max_width=width, align=TEXT_GROUP_ALIGN, shrink=[0]) if shown else "none")
        if len(rows) > MAX_GROUP_ROWS:
            out.append(f"... {len(rows) - MAX_GROUP_ROWS} more (see --json)")
        out.append("")
        if dim == "agent":
            out += _agents_text(kpis, width)
    out += _trend_text(kpis, width)
    rows = comment_rows(kpis)
    out.append("Satisfaction survey comments (least satisfied first):")
    out += [table(rows, COMMENT_HEADERS, max_width=width, shrink=[3]) if rows else "none", ""]
    out.append(safe(f"Spikes ({spikes_line(kpis)})"))
    rows = spike_rows(kpis)
    if kpis["spikes"]["enough_history"]:
        out.append(table(rows, SPIKE_HEADERS, max_width=width, align={i: "r" for i in range(1, 6)}) if rows else "none")
    out.append("")
    out += _themes_text(kpis["themes"], width)
    rows = complainer_rows(kpis)
    out.append("Repeat complainers:")
    out.append(table(rows, COMPLAINER_HEADERS, max_width=width, align={2: "r", 3: "r", 4: "r"}, shrink=[0])
               if rows else "none")
    return "\n".join(out)


def _agents_text(kpis: dict, width: int | None) -> list[str]:
    if "agents" not in kpis:
        return []
    rows = agent_rows(kpis)
    head = "Agent activity in the period (from the audit log; change vs the previous period):"
    return [head, table(rows, AGENT_HEADERS, max_width=width, align={i: "r" for i in range(1, 10)}) if rows else "none", ""]


def _trend_text(kpis: dict, width: int | None) -> list[str]:
    rows = trend_rows(kpis)
    if not rows:
        return []
    return ["Weekly trend (* partial week):",
            table(rows, TREND_HEADERS, max_width=width, align={i: "r" for i in range(1, 8)}), ""]


def _themes_text(themes: dict, width: int | None) -> list[str]:
    out = [f"Complaint themes ({themes['complaints']} complaints):"]
    words = [[t["term"], str(t["mentions"]), theme_example(t)] for t in themes["words"]]
    phrases = [[t["term"], str(t["mentions"]), theme_example(t)] for t in themes["phrases"]]
    if not words and not phrases:
        return [*out, "none", ""]
    if words:
        out += [table(words, ["Word", "Mentions", "For example"], max_width=width, align={1: "r"}, shrink=[2]), ""]
    if phrases:
        out += [table(phrases, ["Phrase", "Mentions", "For example"], max_width=width, align={1: "r"}, shrink=[2]), ""]
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


def _trend_axis(ax: Any, rows: list[dict]) -> None:
    labels = [r["week"][5:] + ("*" if r["partial"] else "") for r in rows]
    _thin_ticks(ax, labels, most=13)
    ax.set_xlabel("Week of (* partial)")


def chart_trend_volume(kpis: dict) -> str:
    """Weekly volume (bars) and negative share (line)."""
    rows = kpis.get("trend") or []
    fig, ax = _figure()
    if not any(r["volume"] for r in rows):
        _no_data(ax, "mentions")
        return _png(fig)
    x = list(range(len(rows)))
    ax.bar(x, [r["volume"] for r in rows], color="#4c78a8", label="Volume")
    ax.set_ylabel("Mentions")
    share = ax.twinx()
    share.plot(x, [None if r["negative_share"] is None else r["negative_share"] * 100 for r in rows], color="#e45756",
               marker="o", markersize=4, label="Negative share")
    share.set_ylim(0, 105)
    share.set_ylabel("Negative %", color="#e45756")
    share.spines[["top"]].set_visible(False)
    _trend_axis(ax, rows)
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *share.get_legend_handles_labels()[0]],
              loc="upper left", fontsize=8, frameon=False)
    return _png(fig)


def chart_trend_service(kpis: dict) -> str:
    """Weekly median first response (bars, hours) and SLA attainment (line)."""
    rows = kpis.get("trend") or []
    fig, ax = _figure()
    if not any(r["frt_median_s"] is not None or r["sla_attainment"] is not None for r in rows):
        _no_data(ax, "answered mentions")
        return _png(fig)
    x = list(range(len(rows)))
    ax.bar(x, [(r["frt_median_s"] or 0) / 3600 for r in rows], color="#72b7b2", label="First response, median (h)")
    ax.set_ylabel("Hours")
    sla = ax.twinx()
    sla.plot(x, [None if r["sla_attainment"] is None else r["sla_attainment"] * 100 for r in rows], color="#54a24b",
             marker="o", markersize=4, label="SLA attainment")
    sla.set_ylim(0, 105)
    sla.set_ylabel("SLA %", color="#54a24b")
    sla.spines[["top"]].set_visible(False)
    _trend_axis(ax, rows)
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *sla.get_legend_handles_labels()[0]],
              loc="upper left", fontsize=8, frameon=False)
    return _png(fig)


def chart_trend_csat(kpis: dict) -> str:
    """Weekly CSAT (line) with the number of answers (bars)."""
    rows = kpis.get("trend") or []
    fig, ax = _figure()
    if not any(r["csat_responses"] for r in rows):
        _no_data(ax, "survey answers")
        return _png(fig)
    x = list(range(len(rows)))
    ax.bar(x, [r["csat_responses"] for r in rows], color="#bab0ac", label="Answers")
    ax.set_ylabel("Answers")
    ax.yaxis.get_major_locator().set_params(integer=True)
    score = ax.twinx()
    score.plot(x, [None if r["csat"] is None else r["csat"] * 100 for r in rows], color="#f58518", marker="o",
               markersize=4, label="CSAT")
    score.set_ylim(0, 105)
    score.set_ylabel("CSAT %", color="#f58518")
    score.spines[["top"]].set_visible(False)
    _trend_axis(ax, rows)
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *score.get_legend_handles_labels()[0]],
              loc="upper left", fontsize=8, frameon=False)
    return _png(fig)


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
.card .d{font-size:11px;color:#666}.sla,.notes{background:#f7f7f7;border-radius:6px;padding:8px 12px;margin:12px 0;
font-size:13px}.sla ul,.notes ul{margin:4px 0 0 0;padding-left:18px}
a.fn{font-size:10px;color:#666;text-decoration:none}dl.defs{font-size:13px}dl.defs dt{font-weight:600;margin-top:6px}
dl.defs dd{margin-left:16px;color:#333}h3{font-size:15px;margin-top:18px}
@media (max-width:900px){.charts{grid-template-columns:1fr}}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _cards(kpis: dict) -> str:
    k = kpis["overall"]
    d = kpis.get("deltas") or {}
    before = bool(kpis.get("previous"))
    cards = [
        ("Mentions", str(k["volume"]), change(d.get("volume"), "count"), "volume"),
        ("Negative", percent(k["negative_share"]), change(d.get("negative_share"), "share"), "negative"),
        ("Angry", percent(k["angry_share"]), change(d.get("angry_share"), "share"), "negative"),
        ("Complaints", percent(k["complaint_share"]), change(d.get("complaint_share"), "share"), "complaints"),
        ("Needs a response", percent(k["needs_response_share"]), change(d.get("needs_response_share"), "share"),
         "complaints"),
        ("Of those, answered", percent(k["needs_response_answered_share"]),
         change(d.get("needs_response_answered_share"), "share"), "complaints"),
        ("First response (median)", duration(k["frt_median_s"]), change(d.get("frt_median_s"), "time"), "frt"),
        ("First response (p90)", duration(k["frt_p90_s"]), change(d.get("frt_p90_s"), "time"), "frt"),
        ("SLA attainment", percent(k["sla_attainment"]), change(d.get("sla_attainment"), "share"), "sla"),
        ("First-contact resolution", percent(k["fcr_rate"]), change(d.get("fcr_rate"), "share"), "fcr"),
        ("CSAT", percent(k["csat"]), change(d.get("csat"), "share"), "csat"),
        ("Survey response rate", percent(k["csat_response_rate"]), change(d.get("csat_response_rate"), "share"), "csat"),
        ("Backlog at period end", str(k["backlog"]), change(d.get("backlog"), "count"), "backlog"),
    ]
    defs = kpis.get("definitions") or {}
    return "<div class=cards>" + "".join(
        f'<div class=card title="{h(defs.get(key, ""))}"><div class=v>{h(v)}</div><div class=l>{h(label)}</div>'
        + (f"<div class=d>{h(delta)} vs previous</div>" if before else "") + "</div>"
        for label, v, delta, key in cards
    ) + "</div>"


def _defined_table(kpis: dict) -> str:
    """The headline KPIs against the previous period, each label with its definition on hover."""
    defs = kpis.get("definitions") or {}
    before = bool(kpis.get("previous"))
    headers = ["Measure", "This period", "Previous", "Change"] if before else ["Measure", "Value"]
    head = "".join(f"<th{' class=n' if i > 1 else ''}>{h(x)}</th>" for i, x in enumerate(headers))
    body = []
    rows = compared_rows(kpis) if before else [list(r) for r in overall_rows(kpis["overall"])]
    for row in rows:
        key = COMPARE.get(row[0], (None, "", ""))[2]
        ref = f' <a class=fn href="#def-{h(key)}">[{h(key)}]</a>' if key in defs else ""
        cells = f'<td title="{h(defs.get(key, ""))}">{h(row[0])}{ref}</td>' + "".join(
            f"<td{' class=n' if i > 0 else ''}>{h(c)}</td>" for i, c in enumerate(row[1:]))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _groups_html(kpis: dict) -> str:
    parts = []
    defs = kpis.get("definitions") or {}
    for dim, rows in kpis["groups"].items():
        title = DIMENSION_TITLES.get(dim, dim)
        parts.append(f"<h2>{h(title)}</h2>")
        if dim == "agent" and defs.get("agent"):
            parts.append(f"<p class=sub>{h(defs['agent'])}</p>")
        if not rows:
            parts.append("<p>None.</p>")
        else:
            headers = [dim.capitalize(), *GROUP_HEADERS[1:]]
            parts.append(html_table(headers, [group_row(r) for r in rows[:MAX_GROUP_ROWS]]))
            if len(rows) > MAX_GROUP_ROWS:
                parts.append(f"<p class=sub>{len(rows) - MAX_GROUP_ROWS} more in the JSON report.</p>")
        if dim == "agent" and "agents" in kpis:
            agents = agent_rows(kpis)
            parts.append("<h3>Agent activity (from the audit log)</h3>")
            parts.append(html_table(AGENT_HEADERS, agents) if agents else "<p>None.</p>")
    return "".join(parts)


def _themes_html(kpis: dict) -> str:
    themes = kpis["themes"]
    words = [[t["term"], str(t["mentions"]), theme_example(t)] for t in themes["words"]]
    phrases = [[t["term"], str(t["mentions"]), theme_example(t)] for t in themes["phrases"]]
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
    complainers = complainer_rows(kpis)
    figures = "".join(
        f'<figure><figcaption>{h(title)}</figcaption><img alt="{h(title)}" src="{h(uri)}"></figure>'
        for title, uri in images if uri.startswith("data:image/png;base64,")
    )
    overall = _defined_table(kpis)
    spike_html = (html_table(SPIKE_HEADERS, spike_rows(kpis)) if spikes["hours"] else "<p>None.</p>") \
        if spikes["enough_history"] else ""
    complainer_html = html_table(COMPLAINER_HEADERS, complainers, {2, 3, 4}) if complainers else "<p>None.</p>"
    comments = comment_rows(kpis)
    comment_html = html_table(COMMENT_HEADERS, comments, set()) if comments else "<p>None.</p>"
    trend = trend_rows(kpis)
    trend_html = html_table(TREND_HEADERS, trend) if trend else "<p>None.</p>"
    sla_html = "".join(f"<li>{h(line)}</li>" for line in sla_lines(kpis))
    notes_html = "".join(f"<li>{h(n)}</li>" for n in kpis.get("notes") or [])
    excluded = (kpis.get("excluded") or {}).get("survey_answers")
    defs = kpis.get("definitions") or {}
    brand = kpis["period"].get("brand") or ""
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{h(brand + ' ' if brand else '')}social care report</title><style>{CSS}</style></head><body>"
        f"<h1>{h(brand + ': ' if brand else '')}social care report</h1><p class=sub>{h(period_line(kpis))}</p>"
        + (f"<p class=sub>{h(previous_line(kpis))}</p>" if kpis.get("previous") else "")
        + (f"<div class=sla><b>Service levels in force</b><ul>{sla_html}</ul></div>" if sla_html else "")
        + f"{_cards(kpis)}<div class=charts>{figures}</div>"
        f"<h2>Overall</h2>{overall}"
        + (f"<p class=sub>Not counted as mentions: {excluded} answers to satisfaction surveys.</p>" if excluded else "")
        + (f"<div class=notes><b>Notes</b><ul>{notes_html}</ul></div>" if notes_html else "")
        + f"{_groups_html(kpis)}"
        f"<h2>Weekly trend</h2><p class=sub>{h(defs.get('trend', ''))} * partial week.</p>{trend_html}"
        f"<h2>Satisfaction survey comments</h2><p class=sub>Least satisfied first.</p>{comment_html}"
        f"<h2>Spikes</h2><p class=sub>{h(spikes_line(kpis))}</p>{spike_html}"
        f"{_themes_html(kpis)}<h2>Repeat complainers</h2>{complainer_html}"
        f"{_definitions_html(kpis)}"
        f"<p class=sub>Generated by socialwatch at {h(when(kpis['period']['now']))}.</p></body></html>\n"
    )


def html_report(kpis: dict, path: str | os.PathLike) -> pathlib.Path:
    """Write the self-contained HTML report to `path` atomically; returns the path."""
    from socialwatch.storage import atomic_write

    target = pathlib.Path(path)
    atomic_write(target, render_html(kpis).encode("utf-8"))
    return target
