"""KPIs and the report, checked against a small dataset computed by hand; the `report` command."""

from __future__ import annotations

import json
import pathlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from socialwatch import sla
from socialwatch.cli import cli
from socialwatch.commands.report import report
from socialwatch.report import kpi
from socialwatch.report.charts import CHARTS
from socialwatch.report.html import render_html
from socialwatch.report.text import text_report
from tests.test_cli import sw, write_jsonl

if "report" not in cli.commands:  # until the lead attaches it in cli.py
    cli.add_command(report)

# Business hours 09:00-17:00 Mon-Fri UTC; priority >= 80: 1 h, else 4 h.
POLICY = sla.policy({"timezone": "UTC", "hours": "09:00-17:00",
                     "targets": [{"min_priority": 80, "first_response": "1h"}, {"min_priority": 0, "first_response": "4h"}]})
# Mon 16 Nov 2026 00:00 to Mon 23 Nov 2026 00:00 (168 hours); the report runs on Mon 23 at 12:00.
SINCE = datetime(2026, 11, 16, tzinfo=UTC)
UNTIL = datetime(2026, 11, 23, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BRAND = "Northwind Mobile"


def mention(mid: str, created: str, *, compound: float = 0.0, angry: bool = False, viral: bool = False,
            priority: int = 50, author: str = "someone", source: str = "demo", tags: tuple[str, ...] = (),
            text: str = "hello", status: str = "new", answered: str | None = None, resolved: str | None = None,
            replies: int = 0, agent: str | None = None, **extra: object) -> dict:
    """A stored-mention-shaped dict; `replies` reply records by `agent`, the first at `answered`."""
    m = {
        "id": mid, "source": source, "created_at": created, "text": text, "author": {"handle": author},
        "score": {"compound": compound, "angry": angry, "viral": viral, "priority": priority},
        "priority": priority, "status": status, "tags": list(tags), "assignee": None,
        "first_response_at": answered, "resolved_at": resolved,
    }
    if replies:
        m["replies"] = [{"at": answered, "agent": agent} for _ in range(replies)]
        m["replied_by"] = agent
        m["assignee"] = agent
    m.update(extra)
    return m


def dataset() -> list[dict]:
    # Times in the comments are UTC = business-hours zone. "bt" = business time.
    return [
        # A Mon 10:00, prio 90 (1 h target), answered 10:20 (FRT 20 m, met), resolved 11:00 (1 h), one reply: FCR.
        mention("n:a", "2026-11-16T10:00:00Z", compound=-0.6, angry=True, priority=90, author="ann", tags=("billing",),
                text="@NorthwindHelp charged twice for my bill again, refund please https://t.co/abc123",
                status="resolved", answered="2026-11-16T10:20:00Z", resolved="2026-11-16T11:00:00Z", replies=1, agent="alice"),
        # B Fri 16:30, answered Mon 23 09:30: 30 m Fri + 30 m Mon = 1 h bt across the weekend (met, 4 h); pending.
        mention("n:b", "2026-11-20T16:30:00Z", compound=-0.7, author="ann", tags=("outage",),
                text="Still no refund after 3 weeks. Charged twice!! #NorthwindMobile",
                status="pending", answered="2026-11-23T09:30:00Z", replies=1, agent="bob"),
        # C Sat 12:00, prio 85 (1 h), answered Mon 23 10:30: 1 h 30 m bt (breached); two replies; resolved Mon 23 11:00
        # (2 h bt), after the period's end, so it is backlog at the end.
        mention("n:c", "2026-11-21T12:00:00Z", compound=-0.8, angry=True, priority=85, author="cy", tags=("outage",),
                text="No signal at all since Saturday, this is the worst network", status="resolved",
                answered="2026-11-23T10:30:00Z", resolved="2026-11-23T11:00:00Z", replies=2, agent="alice"),
        # D Tue 09:00, positive for VADER but the agent said negative; answered 12:00 (3 h, met), resolved 13:00 (4 h),
        # one reply but the customer wrote again (D2): not FCR.
        mention("n:d", "2026-11-17T09:00:00Z", compound=0.3, author="dan", tags=("billing",),
                text="The bill arrived and it is wrong", status="resolved", answered="2026-11-17T12:00:00Z",
                resolved="2026-11-17T13:00:00Z", replies=1, agent="bob", sentiment_override="negative",
                followups=["n:d2"]),
        # D2 the follow-up of D: volume and sentiment only.
        mention("n:d2", "2026-11-17T12:30:00Z", compound=-0.5, author="dan", tags=("billing",),
                text="still no refund for the wrong bill", status="resolved", resolved="2026-11-17T13:00:00Z",
                case_id="n:d", assignee="bob"),
        # E Wed 14:00, never answered: 3 h Wed + 8 h Thu > 4 h: breached; open: backlog.
        mention("n:e", "2026-11-18T14:00:00Z", compound=-0.9, author="ann", source="import", status="open",
                text="Charged twice AGAIN. Northwind mobile is a joke @fakehandle 0800123456", assignee="carol"),
        # F Fri 16:30, unanswered: 30 m Fri + 3 h Mon 23 = 3 h 30 m < 4 h at now: not yet due (left out); backlog.
        # VADER says negative, the agent said neutral: not negative, not a complaint.
        mention("n:f", "2026-11-20T16:30:00Z", compound=-0.6, author="eve", source="import", tags=("billing", "churn-risk"),
                text="thinking about switching to another network", sentiment_override="neutral"),
        # G Thu 10:00, ignored without an answer: no SLA; closed: no backlog.
        mention("n:g", "2026-11-19T10:00:00Z", compound=0.1, author="spam", source="import", status="ignored",
                resolved="2026-11-19T10:05:00Z", text="buy followers"),
        # H before the period, still open: backlog only. I before the period, closed: nothing.
        mention("n:h", "2026-11-15T12:00:00Z", compound=-0.7, author="old", tags=("outage",), status="open"),
        mention("n:i", "2026-11-14T10:00:00Z", compound=-0.7, author="old", status="resolved",
                resolved="2026-11-15T10:00:00Z"),
        # J1-J5 Thu 15:05..15:45 (a spike), all answered 16:05 (FRT 60/50/40/30/20 m), resolved 16:30
        # (85/75/65/55/45 m), one reply each; J5 was reopened once (not FCR). J1, J2 are for brand Contoso.
        *[mention(f"n:j{i}", f"2026-11-19T15:{5 + 10 * (i - 1):02d}:00Z", compound=-0.6, angry=i <= 2, viral=i == 1,
                  author=f"j{i}", tags=("outage",), text=text, status="resolved", answered="2026-11-19T16:05:00Z",
                  resolved="2026-11-19T16:30:00Z", replies=1, agent="alice", **extra)
          for i, text, extra in (
              (1, "No signal in Leeds since 3pm", {"brand": "Contoso"}),
              (2, "no signal again in Leeds", {"brand": "Contoso"}),
              (3, "Leeds: no signal, no data", {}),
              (4, "network down in Leeds? no signal", {}),
              (5, "no signal here either https://example.com/status", {"reopened": 1}),
          )],
    ]


def history() -> list[dict]:
    """Four weeks before the period: one mention every Thursday at 15:20 UTC, two every Tuesday at
    10:00 and 10:30, and the store's first mention on 1 October (all resolved long ago)."""
    rows = [mention("n:h0", "2026-10-01T10:00:00Z", status="resolved", resolved="2026-10-01T11:00:00Z")]
    for week in range(1, 5):
        thursday = datetime(2026, 11, 19, 15, 20, tzinfo=UTC) - timedelta(weeks=week)
        tuesday = datetime(2026, 11, 17, 10, 0, tzinfo=UTC) - timedelta(weeks=week)
        for mid, at in ((f"n:th{week}", thursday), (f"n:tu{week}a", tuesday), (f"n:tu{week}b", tuesday + timedelta(minutes=30))):
            rows.append(mention(mid, at.strftime("%Y-%m-%dT%H:%M:%SZ"), status="resolved",
                                resolved=(at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return rows


@pytest.fixture(scope="module")
def kpis() -> dict:
    return kpi.compute(dataset(), SINCE, UNTIL, POLICY, NOW, brand_name=BRAND,
                       brand_terms=["NorthwindMobile", "NorthwindHelp", "northwind"])


def group(kpis: dict, dim: str, key: str) -> dict:
    return next(g for g in kpis["groups"][dim] if g["key"] == key)


def test_volume_and_shares(kpis: dict) -> None:
    o = kpis["overall"]
    # In the period: A B C D D2 E F G J1-J5 = 13 (H and I are older).
    assert o["volume"] == 13
    # Negative: A B C D(override) D2 E J1-J5 = 11; F is neutral by override, G positive.
    assert o["negative"] == 11 and o["negative_share"] == round(11 / 13, 4)
    assert o["angry"] == 4 and o["angry_share"] == round(4 / 13, 4)  # A C J1 J2
    assert o["viral"] == 1 and o["viral_share"] == round(1 / 13, 4)  # J1


def test_first_response_time_in_business_minutes(kpis: dict) -> None:
    o = kpis["overall"]
    # Answered, not follow-ups: A 20m, B 60m (Fri 30m + Mon 30m, weekend skipped), C 90m (Sat..Mon 10:30),
    # D 180m, J 60/50/40/30/20m. Sorted minutes: 20 20 30 40 50 60 60 90 180.
    assert o["answered"] == 9
    assert o["frt_median_s"] == 50 * 60
    # p90: rank 0.9 * 8 = 7.2 -> 90 + 0.2 * (180 - 90) = 108 minutes.
    assert o["frt_p90_s"] == 108 * 60
    # Histogram bins <=15m, <=30m, <=1h, <=2h, <=4h, ...: 20 20 30 | 40 50 60 60 | 90 | 180.
    assert [b["count"] for b in kpis["frt_histogram"]] == [0, 3, 4, 1, 1, 0, 0, 0, 0]


def test_sla_attainment(kpis: dict) -> None:
    o = kpis["overall"]
    # Met: A B D J1-J5 = 8; breached: C (90m > 1h) and E (unanswered, past due); F not yet due; G ignored; D2 follow-up.
    assert (o["sla_met"], o["sla_breached"], o["sla_pending"]) == (8, 2, 1)
    assert o["sla_attainment"] == 0.8


def test_resolution_time_and_fcr(kpis: dict) -> None:
    o = kpis["overall"]
    # Resolved, not follow-ups: A 60m, C 120m, D 240m, J 85/75/65/55/45m (G is ignored, not resolved).
    # Sorted: 45 55 60 65 75 85 120 240 -> median (65 + 75) / 2 = 70m; p90 rank 6.3 -> 120 + 0.3 * 120 = 156m.
    assert o["resolved"] == 8
    assert o["resolution_median_s"] == 70 * 60
    assert o["resolution_p90_s"] == 156 * 60
    # FCR over resolved with >= 1 reply (A C D J1-J5 = 8): A J1-J4 yes; C two replies, D follow-up, J5 reopened.
    assert (o["fcr"], o["fcr_eligible"], o["fcr_rate"]) == (5, 8, 0.625)


def test_backlog_at_period_end(kpis: dict) -> None:
    # Created before Mon 23 00:00, not closed then, not a follow-up: B (pending), C (resolved only at 11:00),
    # E (open), F (new), H (older, open) = 5.
    assert kpis["overall"]["backlog"] == 5


def test_busiest_hours_and_spike(kpis: dict) -> None:
    # Hours: 15h x5 (J), 10h A G, 12h C D2, 16h B F, 9h D, 14h E.
    assert kpis["overall"]["busiest_hours"] == [{"hour": 15, "mentions": 5}, {"hour": 10, "mentions": 2},
                                                {"hour": 12, "mentions": 2}]
    assert kpis["hours"][15] == 5 and sum(kpis["hours"]) == 13
    # The store begins on Sat 14 Nov (I): no hour of the period has two earlier weeks to compare with, so the
    # five mentions of Thu 15:00 are not judged against a mean of the period (the old, noisy rule).
    spikes = kpis["spikes"]
    assert spikes["enough_history"] is False and spikes["hours"] == []
    assert (spikes["judged_hours"], spikes["unjudged_hours"]) == (0, 168)
    assert spikes["history_since"] == "2026-11-14T10:00:00Z"


def test_groups_by_agent(kpis: dict) -> None:
    alice = group(kpis, "agent", "alice")  # A C J1-J5
    assert alice["volume"] == 7
    assert alice["frt_median_s"] == 40 * 60  # 20 20 30 40 50 60 90
    assert (alice["sla_met"], alice["sla_breached"]) == (6, 1)  # C breached
    assert (alice["fcr"], alice["fcr_eligible"]) == (5, 7)  # C and J5 are not FCR
    assert alice["backlog"] == 1  # C
    bob = group(kpis, "agent", "bob")  # B D and the follow-up D2 (assigned to bob)
    assert bob["volume"] == 3 and bob["frt_median_s"] == 120 * 60  # (60 + 180) / 2
    assert bob["sla_attainment"] == 1.0 and (bob["fcr"], bob["fcr_eligible"]) == (0, 1) and bob["backlog"] == 1
    carol = group(kpis, "agent", "carol")  # E, assigned but never answered
    assert carol["volume"] == 1 and carol["sla_attainment"] == 0.0 and carol["frt_median_s"] is None
    unassigned = group(kpis, "agent", "unassigned")  # F G, and H in the backlog
    assert unassigned["volume"] == 2 and unassigned["sla_attainment"] is None and unassigned["sla_pending"] == 1
    assert unassigned["backlog"] == 2
    assert [g["key"] for g in kpis["groups"]["agent"]] == ["alice", "bob", "unassigned", "carol"]


def test_groups_by_tag_source_and_brand(kpis: dict) -> None:
    billing = group(kpis, "tag", "billing")  # A D D2 F
    assert billing["volume"] == 4 and billing["negative"] == 3  # F is neutral by override
    assert billing["backlog"] == 1  # F (D2 is a follow-up)
    outage = group(kpis, "tag", "outage")  # B C J1-J5; H in the backlog
    assert outage["volume"] == 7 and outage["backlog"] == 3
    assert group(kpis, "tag", "churn-risk")["volume"] == 1  # F counts in each of its tags
    assert group(kpis, "tag", kpi.UNTAGGED)["volume"] == 2  # E G
    assert group(kpis, "source", "demo")["volume"] == 10
    assert group(kpis, "source", "import")["volume"] == 3
    assert group(kpis, "brand", "Contoso")["volume"] == 2
    assert group(kpis, "brand", BRAND)["volume"] == 11


def test_themes(kpis: dict) -> None:
    themes = kpis["themes"]
    assert themes["complaints"] == 11  # the negative or angry mentions
    words = {t["term"]: t["mentions"] for t in themes["words"]}
    phrases = {t["term"]: t["mentions"] for t in themes["phrases"]}
    # signal: C J1-J5; leeds: J1-J4; charged/twice: A B E; refund: A B D2; bill: A D D2.
    assert words["signal"] == 6 and words["leeds"] == 4
    assert words["charged"] == words["twice"] == words["refund"] == words["bill"] == 3
    assert [t["term"] for t in themes["words"][:6]] == ["signal", "leeds", "bill", "charged", "refund", "twice"]
    assert phrases["no signal"] == 6 and phrases["charged twice"] == 3 and phrases["no refund"] == 2
    assert "wrong bill" not in phrases  # one mention only: phrases need two
    every = " ".join(words) + " " + " ".join(phrases)
    for banned in ("the", "is", "for", "again", "no", "northwind", "mobile", "northwindmobile", "northwindhelp",
                   "fakehandle", "https", "t.co", "abc123", "0800123456", "3pm", "example", "switching"):
        assert banned not in words, banned
    assert not re.search(r"\d|@|http", every)


def test_repeat_complainers(kpis: dict) -> None:
    # ann: A B E (3 complaints, 3 cases); dan: D and its follow-up D2 (2 complaints, 1 case). eve's F is neutral.
    assert [(c["handle"], c["complaints"], c["cases"], c["mentions"]) for c in kpis["complainers"]] == [
        ("ann", 3, 3, 3), ("dan", 2, 1, 2)]
    assert kpis["complainers"][0]["sources"] == ["demo", "import"]


def test_result_is_json_and_filters_apply(kpis: dict) -> None:
    assert json.loads(json.dumps(kpis)) == kpis
    only = kpi.compute(dataset(), SINCE, UNTIL, POLICY, NOW, brand_name=BRAND, by=["tag"],
                       keep=lambda m: m["source"] == "import")
    assert only["overall"]["volume"] == 3 and list(only["groups"]) == ["tag"]


def test_hours_in_the_policy_zone() -> None:
    ny = sla.policy({"timezone": "America/New_York", "hours": "09:00-17:00"})
    out = kpi.compute(dataset() + history(), SINCE, UNTIL, ny, NOW, brand_name=BRAND)
    assert out["overall"]["busiest_hours"][0] == {"hour": 10, "mentions": 5}  # 15:00 UTC is 10:00 in November
    assert out["spikes"]["hours"][0]["local"] == "2026-11-19 10:00" and out["spikes"]["hours"][0]["weekday"] == "Thu"


def test_timeline_per_day_and_per_hour(kpis: dict) -> None:
    timeline = kpis["timeline"]
    assert timeline["unit"] == "day" and [b["label"] for b in timeline["buckets"]][0] == "2026-11-16"
    assert len(timeline["buckets"]) == 7
    thursday = timeline["buckets"][3]  # G and J1-J5
    assert (thursday["volume"], thursday["negative"]) == (6, 5)
    short = kpi.compute(dataset(), datetime(2026, 11, 19, 12, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC), POLICY, NOW)
    assert short["timeline"]["unit"] == "hour" and len(short["timeline"]["buckets"]) == 12
    assert short["timeline"]["buckets"][3] == {"label": "2026-11-19 15:00", "volume": 5, "negative": 5,
                                               "negative_share": 1.0}


def test_percentile_is_linear_between_ranks() -> None:
    assert kpi.percentile([], 0.5) is None
    assert kpi.percentile([7], 0.9) == 7
    assert kpi.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert kpi.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == 91


def test_text_report_renders_every_section(kpis: dict) -> None:
    out = text_report(kpis, width=120)
    for part in ("Volume", "13", "50m", "1h 48m", "80%", "62.5%", "84.6%", "By agent", "alice", "By tag", "billing",
                 "not enough history", "no signal", "@ann", "Backlog at period end"):
        assert part in out, part


# --------------------------------------------------------------------------- hostile text

HOSTILE_TAG = "<script>alert(1)</script>"
HOSTILE_AGENT = "\x1b[2J\x1b]52;c;ZXZpbA==\x07mallory"
HOSTILE_HANDLE = '"><img src=x onerror=alert(1)>'


def hostile_kpis() -> dict:
    rows = [mention(f"h:{i}", f"2026-11-17T1{i}:00:00Z", compound=-0.8, author=HOSTILE_HANDLE, tags=(HOSTILE_TAG,),
                    text="<script>alert(1)</script> terrible \x1b[31mservice $x^2$", replies=1, agent=HOSTILE_AGENT,
                    answered=f"2026-11-17T1{i}:30:00Z", source="<b>src</b>") for i in range(3)]
    return kpi.compute(rows, SINCE, UNTIL, POLICY, NOW, brand_name="<i>brand</i>")


def test_hostile_text_is_escaped_in_terminal_and_html() -> None:
    k = hostile_kpis()
    out = text_report(k, width=200)
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[2J" in out and HOSTILE_TAG in out
    page = render_html(k, images=[])
    assert "<script" not in page and "\x1b" not in page and "<img src=x" not in page and "<b>src" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;src&lt;/b&gt;" in page
    assert "\\x1b[2J" in page and "&lt;i&gt;brand&lt;/i&gt;" in page


# --------------------------------------------------------------------------- the command

CLI_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def reported(isolated_home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    monkeypatch.setattr("socialwatch.model.utcnow", lambda: CLI_NOW)
    assert sw("init")[0] == 0
    records = [
        {"id": "file:r1", "text": "@NorthwindMobile charged twice, terrible service, I hate this", "author": {"handle": "ann"},
         "created_at": "2026-11-16T10:00:00Z", "first_response_at": "2026-11-16T10:30:00Z", "assignee": "alice",
         "status": "resolved", "resolved_at": "2026-11-16T11:00:00Z", "tags": ["billing"]},
        {"id": "file:r2", "text": "Charged twice again, awful, worst company ever", "author": {"handle": "ann"},
         "created_at": "2026-11-17T10:00:00Z", "tags": ["billing", HOSTILE_TAG]},
        {"id": "file:r3", "text": "thanks, great help today", "author": {"handle": "bob"},
         "created_at": "2026-11-18T10:00:00Z", "first_response_at": "2026-11-18T11:00:00Z", "assignee": HOSTILE_AGENT},
        {"id": "file:r4", "text": "Terrible! \x1b]0;pwned\x07 <script>alert(1)</script> awful awful", "author": {"handle": HOSTILE_HANDLE},
         "created_at": "2026-11-18T12:00:00Z"},
        {"id": "file:r5", "text": "I hate this, awful, terrible", "author": {"handle": HOSTILE_HANDLE},
         "created_at": "2026-11-18T13:00:00Z"},
        {"id": "file:old", "text": "old", "created_at": "2026-11-01T10:00:00Z"},
    ]
    code, _, err = sw("import", str(write_jsonl(tmp_path / "in.jsonl", records)))
    assert code == 0, err
    return tmp_path


def test_report_json(reported: pathlib.Path) -> None:
    code, out, err = sw("report", "--since", "2026-11-16", "--until", "2026-11-23", "--json")
    assert code == 0, err
    data = json.loads(out)  # one JSON object
    assert data["period"]["since"] == "2026-11-16T00:00:00Z" and data["period"]["brand"] == "Northwind Mobile"
    o = data["overall"]
    assert o["volume"] == 5 and o["answered"] == 2
    assert o["frt_median_s"] == 45 * 60  # 30 m and 60 m (default policy, 09:00-17:30 UTC)
    assert o["backlog"] == 5  # everything but the resolved r1, the old one included
    assert set(data["groups"]) == {"source", "agent", "tag", "brand"}
    assert {c["handle"] for c in data["complainers"]} >= {"ann", HOSTILE_HANDLE}
    assert "charged twice" in {t["term"] for t in data["themes"]["phrases"]}


def test_report_default_period_filters_and_by(reported: pathlib.Path) -> None:
    code, out, err = sw("report", "--json", "--by", "tag", "--tag", "billing")  # last 7 days before Mon 23 12:00
    assert code == 0, err
    data = json.loads(out)
    assert data["period"]["since"] == "2026-11-16T12:00:00Z"
    assert list(data["groups"]) == ["tag"] and data["overall"]["volume"] == 1  # r2 (r1 is before Mon 12:00)
    code, out, err = sw("report", "--json", "--since", "30d", "--source", "nope")
    assert code == 0 and json.loads(out)["overall"]["volume"] == 0
    code, _, err = sw("report", "--since", "2026-11-20", "--until", "2026-11-19")
    assert code == 2 and err.startswith("Error:")
    code, _, err = sw("report", "--until", "yesterday-ish")
    assert code == 2 and "--until" in err


def test_report_text_escapes_hostile_text(reported: pathlib.Path) -> None:
    code, out, err = sw("report", "--since", "2026-11-16", "--until", "2026-11-23")
    assert code == 0, err
    assert "By agent" in out and "alice" in out and "Repeat complainers" in out and "@ann" in out
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[2J" in out


def test_report_html_is_self_contained_and_escaped(reported: pathlib.Path) -> None:
    path = reported / "out" / "report.html"
    code, out, err = sw("report", "--since", "2026-11-16", "--until", "2026-11-23", "--html", str(path))
    assert code == 0, err
    assert out == "" and "Wrote" in err
    page = path.read_text(encoding="utf-8")
    assert "<img" in page or "<svg" in page
    assert page.count('src="data:image/png;base64,') == len(CHARTS) == 7
    assert not re.search(r"""(src|href|action|poster|srcset)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page and "url(" not in page and "@import" not in page
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page and "\\x1b[2J" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not list(path.parent.glob(".*.tmp"))  # written atomically, nothing left behind
