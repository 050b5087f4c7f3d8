"""The report's second half, against numbers computed by hand: counts that add up, the policy in
force, business hours across a weekend and a holiday, the previous period and weekly trend, spikes
against earlier weeks, credit for work from the audit trail, CSAT, themes and complainers; the
`report` command on both backends after real agent work."""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime, timedelta

import pytest

from socialwatch import sla
from socialwatch.report import kpi
from socialwatch.report.html import render_html
from socialwatch.report.text import text_report
from tests.conftest import use_backend
from tests.test_cli import sw, write_jsonl
from tests.test_report import BRAND, NOW, POLICY, SINCE, UNTIL, dataset, history, mention


def compute(rows: list[dict], **kw: object) -> dict:
    return kpi.compute(rows, SINCE, UNTIL, kw.pop("policy", POLICY), kw.pop("now", NOW), brand_name=BRAND, **kw)


# --------------------------------------------------------------------------- counts that add up


def test_sla_counts_add_up_to_the_volume_and_name_what_is_left_out() -> None:
    o = compute(dataset())["overall"]
    # met A B D J1-J5, breached C E, not yet due F, follow-up D2, ignored without an answer G
    assert (o["sla_met"], o["sla_breached"], o["sla_pending"]) == (8, 2, 1)
    assert (o["sla_excluded_followups"], o["sla_excluded_ignored"]) == (1, 1)
    assert o["volume"] == 13 == (o["sla_met"] + o["sla_breached"] + o["sla_pending"] + o["sla_excluded_followups"]
                                 + o["sla_excluded_ignored"])
    out = compute(dataset())
    assert "SLA: 10 of 13 mentions measured; not measured: 1 not yet due, 1 follow-ups" in out["notes"][0]
    assert "1 not yet due, 1 follow-ups, 1 ignored without an answer" in text_report(out, width=200)


def test_the_policy_in_force_is_described_and_defaults_are_named() -> None:
    info = compute(dataset())["sla"]
    assert info["configured"] is True and info["defaults"] == ["days", "holidays", "resolution", "business_time"]
    assert (info["timezone"], info["hours"], info["days"]) == ("UTC", "09:00-17:00", ["mon", "tue", "wed", "thu", "fri"])
    assert info["targets"] == [{"min_priority": 80, "first_response_s": 3600}, {"min_priority": 0, "first_response_s": 14400}]
    text = text_report(compute(dataset()), width=200)
    assert "First response within 1h 00m (priority >= 80), 4h 00m (other mentions)" in text
    assert "business hours 09:00-17:00 Mon, Tue, Wed, Thu, Fri (UTC)" in text
    assert "Defaults in force for: days, holidays, resolution, business_time" in text
    default = compute(dataset(), policy=sla.policy({}))
    assert default["sla"]["configured"] is False and default["sla"]["hours"] == "09:00-17:30"
    assert "These are the defaults: the config has no [sla] table." in text_report(default, width=200)
    holiday = sla.policy({"holidays": ["2026-11-19", "2026-12-25"]})
    assert compute(dataset(), policy=holiday)["sla"]["holidays_in_period"] == ["2026-11-19"]


def test_business_hours_across_a_weekend_and_a_holiday() -> None:
    # 09:00-17:00 Mon-Fri UTC, Monday 23 November a holiday; the report runs on Tue 24 at 12:00.
    policy = sla.policy({"timezone": "UTC", "hours": "09:00-17:00", "holidays": ["2026-11-23"],
                         "targets": [{"min_priority": 0, "first_response": "4h"}]})
    since, until, now = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 24, 12, tzinfo=UTC)
    rows = [
        # X Fri 16:00, answered Tue 10:00: Fri 1 h + (weekend, holiday) + Tue 1 h = 2 h (met); resolved Tue 11:00 = 3 h.
        mention("h:x", "2026-11-20T16:00:00Z", answered="2026-11-24T10:00:00Z", resolved="2026-11-24T11:00:00Z",
                status="resolved", replies=1, agent="alice"),
        # Y Sat 10:00, answered Tue 09:10 (10 min), resolved Tue 09:30 (30 min).
        mention("h:y", "2026-11-21T10:00:00Z", answered="2026-11-24T09:10:00Z", resolved="2026-11-24T09:30:00Z",
                status="resolved", replies=1, agent="bob"),
        # Z Sun 12:00, unanswered at Tue 12:00: 3 h of business time, not yet due (it would be 11 h without the holiday).
        mention("h:z", "2026-11-22T12:00:00Z"),
        # W on the holiday itself, 10:00, answered at 16:00 the same day: no business time passed (0 s, met).
        mention("h:w", "2026-11-23T10:00:00Z", answered="2026-11-23T16:00:00Z", replies=1, agent="bob", status="pending"),
    ]
    o = kpi.compute(rows, since, until, policy, now)["overall"]
    assert o["answered"] == 3 and o["frt_median_s"] == 600  # 0 s, 10 min, 2 h
    assert o["frt_p90_s"] == 600 + 0.8 * (7200 - 600)  # rank 1.8 between 10 min and 2 h
    assert (o["sla_met"], o["sla_breached"], o["sla_pending"]) == (3, 0, 1)
    assert o["resolved"] == 2 and o["resolution_median_s"] == (1800 + 10800) / 2
    assert o["backlog"] == 2  # Z and W
    plain = sla.policy({"timezone": "UTC", "hours": "09:00-17:00", "targets": [{"min_priority": 0, "first_response": "4h"}]})
    without = kpi.compute(rows, since, until, plain, now)["overall"]
    # a working Monday: X 10 h, Y 8 h 10 m, W 6 h, Z 11 h: all four breach the 4 h target
    assert (without["sla_met"], without["sla_breached"], without["sla_pending"]) == (0, 4, 0)
    assert without["frt_median_s"] == 8 * 3600 + 600


def test_a_shorter_median_resolution_than_first_response_is_explained() -> None:
    rows = [
        # answered after 2 h, resolved after 3 h
        mention("r:1", "2026-11-17T09:00:00Z", answered="2026-11-17T11:00:00Z", resolved="2026-11-17T12:00:00Z",
                status="resolved", replies=1, agent="alice"),
        # closed without a reply after 10 and 20 minutes (handled by phone)
        mention("r:2", "2026-11-17T10:00:00Z", resolved="2026-11-17T10:10:00Z", status="resolved"),
        mention("r:3", "2026-11-17T10:00:00Z", resolved="2026-11-17T10:20:00Z", status="resolved"),
    ]
    out = compute(rows)
    o = out["overall"]
    assert o["frt_median_s"] == 7200 and o["resolution_median_s"] == 1200 and o["resolved_without_reply"] == 2
    note = next(n for n in out["notes"] if "shorter than the median first response" in n)
    assert "3 resolved cases, 2 of them resolved without a reply" in note and "1 answered" in note


# --------------------------------------------------------------------------- previous period and trend


def previous_week() -> list[dict]:
    return [
        # P1 Tue 10 Nov 10:00, answered 10:30 by alice, resolved 11:00, one reply: FCR.
        mention("p:1", "2026-11-10T10:00:00Z", compound=0.5, answered="2026-11-10T10:30:00Z",
                resolved="2026-11-10T11:00:00Z", status="resolved", replies=1, agent="alice"),
        # P2 Wed 11 Nov 12:00, never answered, still open.
        mention("p:2", "2026-11-11T12:00:00Z", compound=-0.6, status="open"),
    ]


def test_every_kpi_is_compared_with_the_previous_period() -> None:
    out = compute(dataset() + previous_week())
    prev = out["previous"]
    assert (prev["since"], prev["until"]) == ("2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z")
    b = prev["overall"]
    # In [9 Nov, 16 Nov): P1 P2 H I. Negative: P2 H I.
    assert b["volume"] == 4 and b["negative"] == 3 and b["negative_share"] == 0.75
    assert b["answered"] == 1 and b["frt_median_s"] == 1800
    # Met P1; breached P2, H (unanswered, past due at now) and I (resolved without an answer, past due).
    assert (b["sla_met"], b["sla_breached"], b["sla_attainment"]) == (1, 3, 0.25)
    # Resolved P1 (1 h) and I (Sat to Sun: 0 s of business time, without a reply).
    assert (b["resolved"], b["resolution_median_s"], b["resolved_without_reply"]) == (2, 1800, 1)
    assert (b["fcr"], b["fcr_eligible"]) == (1, 1) and b["backlog"] == 2  # P2 and H open at 16 Nov
    d = out["deltas"]
    assert out["overall"]["backlog"] == 6  # the five of test_backlog_at_period_end, and P2, still open
    assert (d["volume"], d["sla_attainment"], d["backlog"], d["frt_median_s"]) == (9, 0.55, 4, 1200)
    assert set(d) == set(kpi.COMPARED)
    alice = next(g for g in out["groups"]["agent"] if g["key"] == "alice")
    assert alice["previous"]["volume"] == 1 and alice["previous"]["frt_median_s"] == 1800
    text = text_report(out, width=200)
    assert "Compared with the previous period of the same length: 2026-11-09 00:00 UTC to 2026-11-16 00:00 UTC." in text
    assert "+55.0 pts" in text and "+20m" in text


def test_weekly_trend_over_twelve_weeks() -> None:
    out = compute(dataset() + previous_week())
    weeks = out["trend"]
    # a one-week period: the twelve weeks ending with it, Monday to Monday, none partial
    assert len(weeks) == 12 and weeks[0]["week"] == "2026-08-31" and weeks[-1]["week"] == "2026-11-16"
    assert not any(w["partial"] for w in weeks)
    last, before = weeks[-1], weeks[-2]
    o = out["overall"]
    for key in ("volume", "negative_share", "frt_median_s", "sla_attainment", "resolution_median_s", "fcr_rate"):
        assert last[key] == o[key], key
    assert before["volume"] == 4 and before["sla_attainment"] == 0.25  # the previous period's week
    assert sum(w["volume"] for w in weeks[:-2]) == 0
    # a period longer than twelve weeks, from a Wednesday: its own weeks, the first one partial
    longer = kpi.compute(dataset(), datetime(2026, 8, 26, tzinfo=UTC), UNTIL, POLICY, NOW)
    assert longer["trend"][0]["week"] == "2026-08-24" and longer["trend"][0]["partial"] is True
    assert len(longer["trend"]) == 13 and not any(w["partial"] for w in longer["trend"][1:])


# --------------------------------------------------------------------------- spikes


def test_spikes_are_judged_against_the_same_hour_of_earlier_weeks() -> None:
    busy_tuesday = [mention(f"n:bt{i}", f"2026-11-17T10:{10 * i:02d}:00Z") for i in range(5)]
    sp = compute(dataset() + history() + busy_tuesday)["spikes"]
    assert sp["enough_history"] and (sp["judged_hours"], sp["unjudged_hours"]) == (168, 0)
    # Thu 15:00: 5 against 1 each earlier Thursday (a spike); Tue 10:00: 5 against 2 (usual: not a spike).
    assert [(s["start"], s["volume"], s["baseline"], s["weeks"], s["ratio"]) for s in sp["hours"]] == [
        ("2026-11-19T15:00:00Z", 5, 1.0, 4, 5.0)]
    assert "Thu 2026-11-19 15:00" in text_report(compute(dataset() + history()), width=200)


def test_hours_without_two_earlier_weeks_are_not_judged() -> None:
    anchor = mention("n:first", "2026-11-03T10:00:00Z", status="resolved", resolved="2026-11-03T11:00:00Z")
    sp = compute(dataset() + [anchor])["spikes"]
    # Mon 16 (24 hours: 2 Nov is before the store) and Tue 17 00:00-09:00 (10 hours) have one earlier week.
    assert (sp["judged_hours"], sp["unjudged_hours"]) == (134, 34)
    # twelve hours of history, as in the issue: nothing can be judged, and the report says so
    short = kpi.compute(dataset(), datetime(2026, 11, 19, 8, tzinfo=UTC), datetime(2026, 11, 19, 20, tzinfo=UTC), POLICY, NOW)
    assert short["spikes"]["enough_history"] is False and short["spikes"]["hours"] == []
    assert "not enough history to judge" in text_report(short, width=200)


# --------------------------------------------------------------------------- credit for work


def entry(at: str, agent: str, action: str, mid: str, before: dict | None = None, after: dict | None = None, **extra) -> dict:
    return {"at": at, "agent": agent, "action": action, "id": mid, "before": before or {}, "after": after or {}, **extra}


AUDIT = [
    # alice claims V at 09:00 and replies at 09:30 (its first response), then resolves it at 10:00
    entry("2026-11-17T09:00:00Z", "alice", "claim", "c:v", {"assignee": None}, {"assignee": "alice"}),
    entry("2026-11-17T09:30:00Z", "alice", "replied", "c:v", {"first_response_at": None}, {"first_response_at": "2026-11-17T09:30:00Z"}),
    entry("2026-11-17T10:00:00Z", "alice", "resolve", "c:v", {"status": "pending"}, {"status": "resolved"}),
    # zoe resolves U, which nobody was assigned and nobody answered; the follow-up closing with it is not counted again
    entry("2026-11-18T11:00:00Z", "zoe", "resolve", "c:u", {"status": "new"}, {"status": "resolved"}),
    entry("2026-11-18T11:00:00Z", "zoe", "resolve", "c:u2", {"status": "new"}, {"status": "resolved"}, case="c:u"),
    # a lead assigns W to bob on Friday 16:00; bob answers on Monday 23 at 09:30 (1 h 30 m of business time)
    entry("2026-11-20T16:00:00Z", "lead", "assign", "c:w", {"assignee": None}, {"assignee": "bob"}),
    entry("2026-11-20T16:05:00Z", "bob", "note", "c:w", {}, {"notes": ["..."]}),
    entry("2026-11-20T16:06:00Z", "bob", "tag", "c:w", {"tags": []}, {"tags": ["billing"]}),
    entry("2026-11-20T16:07:00Z", "bob", "escalate", "c:w", {"team": None}, {"team": "billing"}),
    entry("2026-11-23T09:30:00Z", "bob", "replied", "c:w", {"first_response_at": None}, {"first_response_at": "x"}),
    # the week before: zoe replied twice
    entry("2026-11-10T10:00:00Z", "zoe", "replied", "c:old", {"first_response_at": None}, {"first_response_at": "x"}),
    entry("2026-11-10T11:00:00Z", "zoe", "replied", "c:old", {}, {}),
]


def test_work_is_credited_from_the_audit_trail() -> None:
    rows = [
        mention("c:v", "2026-11-17T08:00:00Z", status="resolved", answered="2026-11-17T09:30:00Z", resolved="2026-11-17T10:00:00Z"),
        mention("c:u", "2026-11-18T10:00:00Z", status="resolved", resolved="2026-11-18T11:00:00Z"),
        mention("c:w", "2026-11-20T15:00:00Z", status="pending", answered="2026-11-23T09:30:00Z", assignee="bob"),
        mention("c:x", "2026-11-19T09:00:00Z"),
    ]
    # eight days, to Tue 24 00:00, so that bob's Monday reply is in the period
    out = kpi.compute(rows, SINCE, UNTIL + timedelta(days=1), POLICY, NOW, audit=AUDIT)
    agents = {g["key"]: g["volume"] for g in out["groups"]["agent"]}
    # V: alice's first reply (no stamp on the mention: the audit says so); U: resolved by zoe though unassigned
    assert agents == {"alice": 1, "zoe": 1, "bob": 1, "unassigned": 1}
    work = {a["agent"]: a for a in out["agents"]}
    assert [a["agent"] for a in out["agents"]] == ["alice", "bob", "zoe", "lead"]
    alice = work["alice"]
    assert (alice["claimed"], alice["assigned_to"], alice["first_replies"], alice["replies"], alice["resolved"]) == (1, 0, 1, 1, 1)
    assert alice["assigned"] == 1  # (claimed + assigned to: the cases the agent was given)
    assert (alice["handle_time_median_s"], alice["handle_time_n"]) == (1800, 1)  # claim 09:00 -> reply 09:30
    bob = work["bob"]
    assert (bob["claimed"], bob["assigned_to"], bob["assigned_by"]) == (0, 1, 0)
    assert (bob["assigned"], bob["first_replies"], bob["notes"], bob["tags"], bob["escalations"]) == (1, 1, 1, 1, 1)
    assert bob["handle_time_median_s"] == 5400  # Fri 16:00-17:00 + Mon 09:00-09:30
    zoe = work["zoe"]
    assert (zoe["resolved"], zoe["replies"], zoe["handle_time_n"]) == (1, 0, 0)
    assert zoe["previous"]["replies"] == 2  # the week before
    # the lead's assignment to bob: "assigned by" for the lead, "assigned to" for bob
    lead = work["lead"]
    assert (lead["assigned_by"], lead["assigned_to"], lead["claimed"], lead["replies"]) == (1, 0, 0, 0)
    text = text_report(out, width=200)
    assert "Agent activity in the period" in text and "zoe" in text


# --------------------------------------------------------------------------- CSAT


def surveyed(mid: str, created: str, sent: str, answer: dict | None = None, **kw: object) -> dict:
    m = mention(mid, created, status="resolved", answered=created, resolved=sent, replies=1, agent=kw.pop("agent", "alice"), **kw)
    m["csat_survey"] = {"state": "answered" if answer else "sent", "sent_at": sent}
    if answer:
        m["csat"] = {"scale": "1-5", "answered_at": sent, **answer}
    return m


def test_csat_per_period_group_and_comments() -> None:
    rows = [
        surveyed("s:1", "2026-11-16T10:00:00Z", "2026-11-17T10:00:00Z", {"score": 5, "satisfied": True, "comment": "great"}),
        surveyed("s:2", "2026-11-16T11:00:00Z", "2026-11-18T10:00:00Z", {"score": 2, "satisfied": False, "comment": "slow"},
                 agent="bob", source="x"),
        surveyed("s:3", "2026-11-16T12:00:00Z", "2026-11-19T10:00:00Z"),
        # created the week before and surveyed then: the previous period's CSAT
        surveyed("s:4", "2026-11-09T12:00:00Z", "2026-11-10T10:00:00Z", {"score": 4, "satisfied": True, "comment": None}),
        # a survey answer is no mention
        mention("s:9", "2026-11-17T10:30:00Z", csat_answer_to="s:1", case_id="s:1", status="resolved",
                resolved="2026-11-17T10:30:00Z"),
    ]
    out = compute(rows)
    o = out["overall"]
    assert o["volume"] == 3 and out["excluded"] == {"survey_answers": 1}
    assert (o["csat_sent"], o["csat_responses"], o["csat_satisfied"]) == (3, 2, 1)
    assert (o["csat"], o["csat_response_rate"]) == (0.5, 0.6667)
    assert (out["previous"]["overall"]["csat"], out["deltas"]["csat"]) == (1.0, -0.5)
    by_source = {g["key"]: (g["csat_responses"], g["csat"]) for g in out["groups"]["source"]}
    assert by_source == {"demo": (1, 1.0), "x": (1, 0.0)}
    by_agent = {g["key"]: g["csat"] for g in out["groups"]["agent"]}
    assert by_agent["alice"] == 1.0 and by_agent["bob"] == 0.0
    assert [(c["case"], c["comment"]) for c in out["csat_comments"]] == [("s:2", "slow"), ("s:1", "great")]
    text = text_report(out, width=200)
    assert "50% (1 satisfied of 2 rated answers)" in text and "2 of 3 surveys (66.7%)" in text and "slow" in text
    assert "Not counted as mentions: 1 answers to satisfaction surveys." in text
    assert "slow" in render_html(out, images=[])


# --------------------------------------------------------------------------- themes and complainers


def test_support_talk_is_no_theme_and_themes_have_examples() -> None:
    rows = [mention(f"t:{i}", f"2026-11-17T1{i}:00:00Z", compound=-0.7, text=text) for i, text in enumerate([
        "Waited 3 hours on the phone, please help, the router keeps dropping",
        "time and time again the router drops, 2 days now, please fix",
        "router dropping every hour, called twice, nobody helps",
    ])]
    themes = compute(rows)["themes"]
    words = {t["term"]: t for t in themes["words"]}
    for filler in ("hours", "time", "please", "help", "days", "hour", "called", "fix", "helps", "now"):
        assert filler not in words, filler
    assert words["router"]["mentions"] == 3
    assert [e["id"] for e in words["router"]["examples"]] == ["t:0", "t:1"]
    assert words["router"]["examples"][0]["text"].startswith("Waited 3 hours")


def test_repeat_complainers_are_customers_on_a_platform() -> None:
    rows = [mention(f"twitter:{i}", f"2026-11-17T1{i}:00:00Z", compound=-0.8, author="ann", platform="twitter",
                    source="x_brand") for i in range(2)]
    rows.append(mention("reddit:t1_a", "2026-11-17T15:00:00Z", compound=-0.8, author="ann", platform="reddit",
                        source="reddit_main"))
    rows.append(mention("reddit:t1_b", "2026-11-17T16:00:00Z", compound=-0.8, author="ann", platform="reddit",
                        source="reddit_main"))
    rows.append(mention("reddit:t1_c", "2026-11-17T17:00:00Z", compound=-0.8, author="ann", platform="reddit",
                        source="reddit_main"))
    complainers = compute(rows)["complainers"]
    assert [(c["handle"], c["platform"], c["complaints"]) for c in complainers] == [("ann", "reddit", 3), ("ann", "twitter", 2)]
    text = text_report(compute(rows), width=200)
    assert "reddit_main" not in text.split("Repeat complainers:")[1]


# --------------------------------------------------------------------------- the command, after real work


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[csat]\nsources = ["import"]\nwhen = "on_resolve"\n')
    return isolated_home


def test_report_credits_who_did_the_work_and_shows_csat(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    records = [{"id": f"file:{i}", "text": text, "author": {"handle": f"cust{i}"}} for i, text in
               enumerate(["my bill is wrong", "no signal at home", "how do I change my plan", "refund please"])]
    assert sw("import", str(write_jsonl(tmp_path / "in.jsonl", records)))[0] == 0
    assert sw("--as", "lead", "assign", "file:0", "--to", "bob")[0] == 0
    assert sw("--as", "bob", "reply", "file:0", "--text", "Fixed, sorry", "--resolve")[0] == 0
    assert sw("--as", "carol", "resolve", "file:1")[0] == 0  # unassigned, no reply: carol's work all the same
    assert sw("--as", "dan", "note", "file:2", "called the customer")[0] == 0
    assert sw("--as", "dan", "tag", "file:2", "plans")[0] == 0
    assert sw("--as", "dan", "escalate", "file:2", "--to", "sales", "--reason", "upgrade")[0] == 0
    assert sw("csat", "send")[0] == 0
    ref = json.loads(sw("show", "file:0", "--json")[1])["csat_survey"]["ref"]
    answer = [{"id": "file:9", "text": "5/5", "author": {"handle": "cust0"}, "in_reply_to": ref}]
    assert sw("import", str(write_jsonl(tmp_path / "answer.jsonl", answer)))[0] == 0
    code, out, err = sw("report", "--json", "--since", "1d", "--by", "agent")
    assert code == 0, err
    data = json.loads(out)
    agents = {g["key"]: g["volume"] for g in data["groups"]["agent"]}
    assert agents == {"bob": 1, "carol": 1, "unassigned": 2}
    work = {a["agent"]: a for a in data["agents"]}
    assert (work["bob"]["assigned"], work["bob"]["first_replies"], work["bob"]["resolved"], work["bob"]["handle_time_n"]) == (1, 1, 1, 1)
    assert work["carol"]["resolved"] == 1 and work["carol"]["replies"] == 0
    assert (work["dan"]["notes"], work["dan"]["tags"], work["dan"]["escalations"]) == (1, 1, 1)
    assert "socialwatch" not in work  # the survey machinery does no agent work
    o = data["overall"]
    assert o["volume"] == 4 and data["excluded"]["survey_answers"] == 1
    assert (o["csat_sent"], o["csat_responses"], o["csat"]) == (1, 1, 1.0)
    assert data["sla"]["configured"] is False
    code, text, _ = sw("report", "--since", "1d")
    assert "These are the defaults: the config has no [sla] table." in text
    assert "100% (1 satisfied of 1 rated answer)" in text and "carol" in text


# --------------------------------------------------------------------------- business time, fast


def walked(p: sla.Policy, start: datetime, end: datetime) -> timedelta:
    """Business time by walking every day (the plain definition `Policy.elapsed` must agree with)."""
    if end <= start:
        return timedelta(0)
    a, b = start.astimezone(p.tz), end.astimezone(p.tz)
    return p._walk(a, b, a.date(), b.date())


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Australia/Sydney"])
def test_long_spans_count_whole_days_as_the_day_by_day_walk_does(zone: str) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    holidays = ["2026-12-25", "2026-12-28", "2027-01-01", "2027-04-02", "2027-03-28"]
    policies = [sla.policy({"timezone": zone, "hours": "09:00-17:30", "holidays": holidays}),
                sla.policy({"timezone": zone, "hours": "08:00-20:00", "days": ["mon", "wed", "sat", "sun"]}),
                sla.policy({"timezone": zone, "hours": "00:00-24:00", "days": ["tue"], "holidays": ["2027-01-05"]})]
    base = datetime(2026, 10, 1, tzinfo=UTC)

    @settings(max_examples=150, deadline=None)
    @given(st.integers(0, 400 * 24 * 60), st.integers(0, 400 * 24 * 60), st.integers(0, 2))
    def agree(a: int, b: int, which: int) -> None:
        p = policies[which]
        start, end = base + timedelta(minutes=a), base + timedelta(minutes=b)
        assert p.elapsed(start, end) == walked(p, start, end)

    agree()
    p = policies[0]
    year = p.elapsed(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert year == walked(p, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
