"""The KPIs (the dict `report.kpi.compute` returns) as labelled rows, cells and sentences: what the
terminal report (`report.text`) and the HTML report (`report.html`) both show, in one place.

Cells are plain strings; each output makes them safe its own way (`render.safe`, then HTML escaping).
"""

from __future__ import annotations

DIMENSION_TITLES = {"source": "By source", "agent": "By agent", "tag": "By tag", "brand": "By brand"}
GROUP_HEADERS = ["", "Volume (vs prev)", "Negative", "Angry", "Viral", "FRT median", "FRT p90", "SLA", "Resolution median",
                 "FCR", "CSAT", "Backlog"]
#: Rows shown per group table (the JSON has them all).
MAX_GROUP_ROWS = 25


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
    """'12 (40%)', or the count alone when there is no share."""
    return f"{n} ({percent(share)})" if share is not None else str(n)


def when(value: str | None) -> str:
    """'2026-11-16T09:30:00Z' -> '2026-11-16 09:30 UTC' (other text unchanged)."""
    if not value or len(value) != 20 or not value.endswith("Z"):
        return value or "-"
    return f"{value[:10]} {value[11:16]} UTC"


def period_line(kpis: dict) -> str:
    """The period, and how durations and hours are measured."""
    p = kpis["period"]
    clock = "business time" if p.get("business_time") else "clock time"
    return f"{when(p['since'])} to {when(p['until'])} (durations in {clock}, hours of day in {p['timezone']})"


def previous_line(kpis: dict) -> str:
    """The previous period the KPIs are compared with ('' when there is none)."""
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
    """CSAT with its satisfied and answered counts."""
    if not k.get("csat_sent"):
        return "-"
    if not k["csat_responses"]:
        return f"no answer yet ({k['csat_sent']} surveys sent)"
    rated = k.get("csat_rated", k["csat_responses"])
    unrated = k["csat_responses"] - rated
    tail = f"; {unrated} comment{'' if unrated == 1 else 's'} without a rating" if unrated else ""
    if not rated:
        return f"- (no rated answer{tail})"
    return f"{percent(k['csat'])} ({k['csat_satisfied']} satisfied of {rated} rated answer{'' if rated == 1 else 's'}{tail})"


def responses_text(k: dict) -> str:
    """Survey answers of surveys sent, and the response rate."""
    if not k.get("csat_sent"):
        return "-"
    return f"{k['csat_responses']} of {k['csat_sent']} surveys ({percent(k['csat_response_rate'])})"


def sla_excluded_text(k: dict) -> str:
    """Why the mentions left out of the SLA attainment were left out."""
    no_response = k.get("sla_excluded_no_response") or 0
    return (f"{k['sla_pending']} not yet due, {k['sla_excluded_followups']} follow-ups, "
            f"{k['sla_excluded_ignored']} ignored without an answer"
            + (f", {no_response} unanswered that need no response" if no_response else ""))


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
        ("SLA not measured", f"{DERIVED['sla_not_measured'](k)} ({sla_excluded_text(k)})"),
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
    "Complaints": ("complaint_share", "share", "complaints"),
    "Questions": ("question_share", "share", "complaints"),
    "Needs a response": ("needs_response_share", "share", "complaints"),
    "Needs a response, answered": ("needs_response_answered_share", "share", "complaints"),
    "First response, median": ("frt_median_s", "time", "frt"),
    "First response, p90": ("frt_p90_s", "time", "frt"),
    "Answered": ("answered", "count", "frt"),
    "SLA attainment": ("sla_attainment", "share", "sla"),
    "SLA not measured": ("sla_not_measured", "count", "sla"),
    "Resolution time, median": ("resolution_median_s", "time", "resolution"),
    "Resolution time, p90": ("resolution_p90_s", "time", "resolution"),
    "Resolved": ("resolved", "count", "resolution"),
    "First-contact resolution": ("fcr_rate", "share", "fcr"),
    "CSAT": ("csat", "share", "csat"),
    "Survey responses": ("csat_response_rate", "share", "csat"),
    "Backlog at period end": ("backlog", "count", "backlog"),
    "Busiest hours": (None, "", "busiest"),
}
#: Headline figures derived here from a period's KPIs (compared like the stored ones).
DERIVED = {
    "sla_not_measured": lambda k: sum(int(k.get(key) or 0) for key in
                                      ("sla_pending", "sla_excluded_followups", "sla_excluded_ignored")),
}
#: Headline rows that are no single quantity: the previous period's value side by side, and "n/a"
#: as the change (their definition says why).
SIDE_BY_SIDE = {"Busiest hours": lambda k: hours_text(k.get("busiest_hours") or [])}


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


def headline_rows(kpis: dict) -> list[list[str]]:
    """The headline KPIs: `compared_rows` when there is a previous period, else [label, value]."""
    return compared_rows(kpis) if kpis.get("previous") else [list(r) for r in overall_rows(kpis["overall"])]


def compared_rows(kpis: dict) -> list[list[str]]:
    """[label, this period, previous period, change] for the headline KPIs."""
    k = kpis["overall"]
    before = (kpis.get("previous") or {}).get("overall") or {}
    deltas = kpis.get("deltas") or {}
    rows = []
    for label, value in overall_rows(k):
        key, how, _ = COMPARE.get(label, (None, "", ""))
        if not before:
            rows.append([label, value, "", ""])
        elif label in SIDE_BY_SIDE:
            rows.append([label, value, SIDE_BY_SIDE[label](before), "n/a"])
        elif key in DERIVED:
            now, then = DERIVED[key](k), DERIVED[key](before)
            rows.append([label, value, str(then), change(now - then, how)])
        else:
            rows.append([label, value, short_value(key, how, before), change(deltas.get(key) if key else None, how)])
    return rows


def hours_text(rows: list[dict]) -> str:
    """'13:00 (125), 08:00 (102)' for the busiest hours."""
    return ", ".join(f"{r['hour']:02d}:00 ({r['mentions']})" for r in rows) or "-"


def csat_cell(k: dict) -> str:
    """'70% (n=10)' (n: the rated answers), or '-' without a rated answer."""
    rated = k.get("csat_rated", k.get("csat_responses"))
    return f"{percent(k['csat'])} (n={rated})" if rated else "-"


def group_row(k: dict) -> list[str]:
    """One group's row under GROUP_HEADERS."""
    prev = k.get("previous") or {}
    vol = str(k["volume"])
    if prev.get("volume") is not None:
        vol += f" ({change(k['volume'] - prev['volume'], 'count')})"
    return [k["key"], vol, percent(k["negative_share"]), percent(k["angry_share"]),
            percent(k["viral_share"]), duration(k["frt_median_s"]), duration(k["frt_p90_s"]),
            percent(k["sla_attainment"]), duration(k["resolution_median_s"]), percent(k["fcr_rate"]),
            csat_cell(k), str(k["backlog"])]


def agent_rows(kpis: dict) -> list[list[str]]:
    """Each agent's work under AGENT_HEADERS, replies and resolutions with their change."""
    rows = []
    for a in kpis.get("agents") or []:
        before = a.get("previous") or {}

        def with_change(key: str, row: dict = a, prev: dict = before) -> str:
            return f"{row[key]} ({change(row[key] - prev.get(key, 0), 'count')})"

        handle = f"{duration(a['handle_time_median_s'])} (n={a['handle_time_n']})" if a["handle_time_n"] else "-"
        rows.append([a["agent"], str(a.get("claimed", 0)), str(a.get("assigned_to", a.get("assigned", 0))),
                     str(a.get("assigned_by", 0)), str(a["first_replies"]), with_change("replies"),
                     with_change("resolved"), str(a["ignored"]), str(a["notes"]), str(a["tags"]), str(a["escalations"]),
                     handle])
    return rows


#: Claimed: cases the agent took; Assigned to: cases others assigned to the agent; Assigned by: cases
#: the agent assigned to others (see `report.credit`).
AGENT_HEADERS = ["Agent", "Claimed", "Assigned to", "Assigned by", "First replies", "Replies (vs prev)",
                 "Resolved (vs prev)", "Ignored", "Notes", "Tags", "Escalations", "Handle time median"]


def trend_rows(kpis: dict) -> list[list[str]]:
    """One row per week under TREND_HEADERS ('*': a partial week)."""
    return [[r["week"] + (" *" if r["partial"] else ""), str(r["volume"]), percent(r["negative_share"]),
             duration(r["frt_median_s"]), percent(r["sla_attainment"]), duration(r["resolution_median_s"]),
             percent(r["fcr_rate"]), csat_cell(r)]
            for r in kpis.get("trend") or []]


TREND_HEADERS = ["Week of", "Volume", "Negative", "FRT med", "SLA", "Res med", "FCR", "CSAT"]


def comment_rows(kpis: dict) -> list[list[str]]:
    """The survey comments under COMMENT_HEADERS."""
    from socialwatch.views import csat_score

    return [[csat_score(c), c["case"] or "", c["agent"], c["comment"]] for c in kpis.get("csat_comments") or []]


COMMENT_HEADERS = ["Score", "Case", "Agent", "Comment"]


def spike_rows(kpis: dict) -> list[list[str]]:
    """The spike hours under SPIKE_HEADERS."""
    return [[f"{s['weekday']} {s['local']}", str(s["volume"]), str(s["negative"]), str(s["angry"]),
             f"{s['baseline']:g}", f"{s['ratio']}x" if s["ratio"] is not None else "new"]
            for s in kpis["spikes"]["hours"]]


def spikes_line(kpis: dict) -> str:
    """How spikes are judged, and what could not be judged, in whole sentences."""
    sp = kpis["spikes"]
    head = f"Hours with at least {sp['minimum']} mentions and more than {sp['factor']:g}x the {sp['method']}."
    if not sp["enough_history"]:
        since = when(sp["history_since"]) if sp["history_since"] else "nothing stored yet"
        return (f"{head} There is not enough history to judge: each hour needs {sp['min_weeks']} earlier weeks of data, "
                f"and the stored mentions begin {since}.")
    n = sp["unjudged_hours"]
    tail = f" {n} hour{'' if n == 1 else 's'} of the period had too little history to be judged." if n else ""
    return head + tail


def complainer_rows(kpis: dict) -> list[list[str]]:
    """The repeat complainers under COMPLAINER_HEADERS."""
    return [["@" + c["handle"], c.get("platform") or "", str(c["complaints"]), str(c["cases"]), str(c["mentions"]),
             when(c["last_at"])] for c in kpis["complainers"]]


SPIKE_HEADERS = ["Hour", "Mentions", "Negative", "Angry", "Usual", "vs usual"]
COMPLAINER_HEADERS = ["Customer", "Platform", "Complaints", "Cases", "Mentions", "Last complaint"]


def theme_example(t: dict) -> str:
    """The first example mention of a theme, quoted."""
    ex = t.get("examples") or []
    return f"“{ex[0]['text']}”" if ex else ""


def theme_rows(themes: dict, kind: str) -> list[list[str]]:
    """[term, mentions, example] for the theme `kind` ("words" or "phrases")."""
    return [[t["term"], str(t["mentions"]), theme_example(t)] for t in themes[kind]]
