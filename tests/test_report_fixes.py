"""The defects QA found in the manager's report, CSAT and export (QA report of issues 17/18/19):
free-text survey answers read with the full scorer (5), agent activity counted once per case
(7), every headline row compared and defined (8), the report at 80 columns (10), skipped surveys
listed (19), survey answers marked in the export (20), the small ones (21) and theme fragments.
Numbers are computed by hand in the comments; store-touching ones run on both backends."""

from __future__ import annotations

import csv
import io
import json
import pathlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from socialwatch import csat
from socialwatch.render import display_width
from socialwatch.report import kpi, rows
from socialwatch.report.html import render_html
from socialwatch.report.kpi.themes import terms_of
from socialwatch.report.text import text_report
from socialwatch.views import csat_line
from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl
from tests.test_report import BRAND, NOW, POLICY, SINCE, UNTIL, dataset, mention
from tests.test_report_periods import AUDIT, entry, previous_week

CSAT = '\n[csat]\nsources = ["import"]\nwhen = "on_resolve"\n'


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text() + CSAT)
    return isolated_home


def scored(text: str) -> dict:
    from socialwatch.scoring import Scorer

    return Scorer().score_text(text)


# --------------------------------------------------------------------------- 5: free-text CSAT answers


QA_ANSWER = "Honestly slow and unhelpful, took days to get a real answer"


def test_a_negative_comment_is_dissatisfied_though_vader_reads_it_positive() -> None:
    score = scored(QA_ANSWER)
    assert score["compound"] > 0.4  # what misled the old reading (+0.46 -> 4/5)
    a = csat.parse_answer(QA_ANSWER, score)
    assert (a.score, a.scale, a.method, a.satisfied, a.rated) == (0, "yes-no", "comment", False, True)
    assert "slow" in a.why and "unhelpful" in a.why


@pytest.mark.parametrize(("text", "satisfied"), [
    ("Thanks, that sorted it, you were brilliant", True),
    ("Good service, quick and friendly", True),
    ("the refund came through", True),  # scoring's complaint flag fires on "refund" alone
    ("wasn't slow at all, very helpful", True),
    ("The agent was lovely but the app is still broken", False),
    ("not helpful", False),
    ("still waiting for the refund", False),
    ("Thanks for nothing", False),  # sarcasm: scoring says angry
    ("thanks, but my bill is wrong again", False),
    ("It was ok I guess", None),  # says neither: a comment without a rating
    ("Took a while but got there in the end", None),
    ("Fine.", None),
    ("Can you also check my bill?", None),
])
def test_free_text_is_read_with_the_full_scorer_or_left_unrated(text: str, satisfied: bool | None) -> None:
    a = csat.parse_answer(text, scored(text))
    assert a is not None and a.method == "comment"
    assert a.satisfied is satisfied, a.why
    assert a.rated is (satisfied is not None) and a.comment == text


def test_csat_counts_unrated_comments_as_responses_only() -> None:
    def surveyed(mid: str, answer: dict | None) -> dict:
        m = mention(mid, "2026-11-16T10:00:00Z", status="resolved", answered="2026-11-16T10:00:00Z",
                    resolved="2026-11-17T09:00:00Z", replies=1, agent="alice")
        m["csat_survey"] = {"state": "answered" if answer else "sent", "sent_at": "2026-11-17T10:00:00Z"}
        if answer:
            m["csat"] = {"answered_at": "2026-11-17T11:00:00Z", "answer_id": mid + "a", **answer}
        return m

    out = kpi.compute([
        surveyed("s:1", {"score": 5, "scale": "1-5", "satisfied": True, "method": "number", "comment": None}),
        surveyed("s:2", {"score": 0, "scale": "yes-no", "satisfied": False, "method": "comment", "comment": QA_ANSWER}),
        surveyed("s:3", {"score": None, "scale": None, "satisfied": None, "method": "comment", "comment": "It was ok"}),
        surveyed("s:4", None),
    ], SINCE, UNTIL, POLICY, NOW, brand_name=BRAND)
    o = out["overall"]
    # 4 sent, 3 answered (75%), 2 of them rated, 1 of those satisfied: CSAT 50%
    assert (o["csat_sent"], o["csat_responses"], o["csat_rated"], o["csat_satisfied"]) == (4, 3, 2, 1)
    assert (o["csat_response_rate"], o["csat"]) == (0.75, 0.5)
    assert rows.csat_text(o) == "50% (1 satisfied of 2 rated answers; 1 comment without a rating)"
    assert rows.csat_cell(o) == "50% (n=2)"
    # least satisfied first: the dissatisfied one, then the one without a rating
    assert [(c["case"], c["satisfied"]) for c in out["csat_comments"]] == [("s:2", False), ("s:3", None)]
    assert [r[0] for r in rows.comment_rows(out)] == ["dissatisfied", "comment, no rating"]


def test_a_survey_comment_through_the_commands(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    records = [{"id": f"file:{i}", "text": text, "author": {"handle": f"cust{i}"}}
               for i, text in enumerate(["my bill is wrong", "no signal at home"])]
    assert sw("import", str(write_jsonl(tmp_path / "in.jsonl", records)))[0] == 0
    for i in (0, 1):
        assert sw("--as", "sam", "reply", f"file:{i}", "--text", "Sorted, sorry", "--resolve")[0] == 0
    assert sw("csat", "send")[0] == 0
    refs = [json.loads(sw("show", f"file:{i}", "--json")[1])["csat_survey"]["ref"] for i in (0, 1)]
    answers = [{"id": "file:8", "text": QA_ANSWER, "author": {"handle": "cust0"}, "in_reply_to": refs[0]},
               {"id": "file:9", "text": "It was ok I guess", "author": {"handle": "cust1"}, "in_reply_to": refs[1]}]
    assert sw("import", str(write_jsonl(tmp_path / "answers.jsonl", answers)))[0] == 0

    first = json.loads(sw("show", "file:0", "--json")[1])
    assert (first["csat"]["score"], first["csat"]["satisfied"], first["csat"]["method"]) == (0, False, "comment")
    assert first["status"] == "open" and first["followups"] == ["file:8"]  # a complaint needs an answer: reopened
    assert "answer dissatisfied (read from the comment)" in sw("show", "file:0")[1]
    second = json.loads(sw("show", "file:1", "--json")[1])
    assert (second["csat"]["score"], second["csat"]["satisfied"], second["status"]) == (None, None, "resolved")
    assert "answer: comment, no rating" in sw("show", "file:1")[1]

    code, out, err = sw("report", "--json", "--since", "1d")
    assert code == 0, err
    data = json.loads(out)
    o = data["overall"]
    # 2 sent, 2 answered; 1 rated (dissatisfied): CSAT 0 %, response rate 100 %
    assert (o["csat_sent"], o["csat_responses"], o["csat_rated"], o["csat_satisfied"]) == (2, 2, 1, 0)
    assert (o["csat"], o["csat_response_rate"]) == (0.0, 1.0)
    # volume: the two cases and the dissatisfied comment (a follow-up); the unrated answer is no mention
    assert o["volume"] == 3 and data["excluded"]["survey_answers"] == 1
    text = sw("report", "--since", "1d")[1]
    assert "0% (0 satisfied of 1 rated answer; 1 comment without a rating)" in text
    assert "comment, no rating" in text and "4/5" not in text
    # the export agrees with the report: 3 rows, the survey answer left out unless asked for
    code, csv_out, err = sw("export", "--for", "analysis")
    assert code == 0 and sorted(r["id"] for r in csv.DictReader(io.StringIO(csv_out))) == ["file:0", "file:1", "file:8"]
    assert "Left out 1 answer to satisfaction surveys" in err
    code, csv_out, _ = sw("export", "--for", "analysis", "--survey-answers")
    marked = {r["id"]: r["csat_answer_to"] for r in csv.DictReader(io.StringIO(csv_out))}
    # both answers are marked: file:9 (no mention) and file:8 (the dissatisfied comment, a follow-up of file:0)
    assert marked == {"file:0": "", "file:1": "", "file:8": "file:0", "file:9": "file:1"}
    by_id = {r["id"]: r for r in csv.DictReader(io.StringIO(sw("export", "--for", "analysis")[1]))}
    assert (by_id["file:0"]["csat_score"], by_id["file:0"]["csat_scale"]) == ("0", "yes-no")
    assert (by_id["file:1"]["csat_score"], by_id["file:1"]["csat_comment"]) == ("", "It was ok I guess")


# --------------------------------------------------------------------------- 7: agent activity per case


THREADS = [
    {"id": "file:0", "text": "my bill is wrong", "author": {"handle": "cust0"}},
    {"id": "file:1", "text": "still wrong, any news?", "author": {"handle": "cust0"}, "in_reply_to": "file:0"},
    {"id": "file:2", "text": "no signal at home", "author": {"handle": "cust2"}},
    {"id": "file:3", "text": "still no signal", "author": {"handle": "cust2"}, "in_reply_to": "file:2"},
    {"id": "file:4", "text": "how do I change my plan", "author": {"handle": "cust4"}},
    {"id": "file:5", "text": "refund please", "author": {"handle": "cust5"}},
    {"id": "file:6", "text": "hello? refund?", "author": {"handle": "cust5"}, "in_reply_to": "file:5"},
]


def test_agent_activity_counts_each_act_once_per_case(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    assert sw("import", str(write_jsonl(tmp_path / "in.jsonl", THREADS)))[0] == 0
    # sam: 3 first replies (two of the cases have a follow-up, which the reply assigns to sam too), then
    # one more reply in case file:0, to its follow-up: 4 replies, 3 first replies
    for mid in ("file:0", "file:2", "file:4", "file:1"):
        assert sw("--as", "sam", "reply", mid, "--text", "On it")[0] == 0
    # tom claims the one unassigned case (file:5 with its follow-up file:6) and answers it in the follow-up
    code, out, err = sw("--as", "tom", "claim")
    assert code == 0 and "file:5" in out + err
    assert sw("--as", "tom", "reply", "file:6", "--text", "Refund sent")[0] == 0
    # priya gives file:4 to tom, who resolves it
    assert sw("--as", "priya", "assign", "file:4", "--to", "tom")[0] == 0
    assert sw("--as", "tom", "resolve", "file:4")[0] == 0
    code, out, err = sw("report", "--json", "--since", "1d", "--by", "agent")
    assert code == 0, err
    work = {a["agent"]: a for a in json.loads(out)["agents"]}
    fields = ("claimed", "assigned_to", "assigned_by", "first_replies", "replies", "resolved")
    assert {a: tuple(w[f] for f in fields) for a, w in work.items()} == {
        "sam": (0, 0, 0, 3, 4, 0),
        "tom": (1, 1, 0, 1, 1, 1),
        "priya": (0, 0, 1, 0, 0, 0),
    }
    # tom's handle times: one per case he was given (file:5 claimed -> replied; file:4 assigned -> resolved)
    assert work["tom"]["handle_time_n"] == 2 and work["tom"]["assigned"] == 2
    text = sw("report", "--since", "1d", "--by", "agent")[1]
    assert "Claimed" in text and "Assigned to" in text and "Assigned by" in text


def test_one_command_on_several_members_of_a_case_counts_once() -> None:
    audit = [
        # zoe claims case c:r (follow-up c:f) at 09:00; at 10:00 one bulk resolve changes both members
        entry("2026-11-17T09:00:00Z", "zoe", "claim", "c:r", {"assignee": None}, {"assignee": "zoe"}),
        entry("2026-11-17T09:00:00Z", "zoe", "claim", "c:f", {"assignee": None}, {"assignee": "zoe"}, case="c:r"),
        entry("2026-11-17T10:00:00Z", "zoe", "resolve", "c:f", {"status": "open"}, {"status": "resolved"}),
        entry("2026-11-17T10:00:00Z", "zoe", "resolve", "c:r", {"status": "open"}, {"status": "resolved"}),
        # a tag on both members at once, then a note
        entry("2026-11-17T10:05:00Z", "zoe", "tag", "c:r", {"tags": []}, {"tags": ["billing"]}),
        entry("2026-11-17T10:05:00Z", "zoe", "tag", "c:f", {"tags": []}, {"tags": ["billing"]}),
    ]
    rows_ = [mention("c:r", "2026-11-17T08:00:00Z", status="resolved", resolved="2026-11-17T10:00:00Z", followups=["c:f"]),
             mention("c:f", "2026-11-17T08:30:00Z", status="resolved", resolved="2026-11-17T10:00:00Z", case_id="c:r")]
    zoe = kpi.compute(rows_, SINCE, UNTIL, POLICY, NOW, audit=audit)["agents"][0]
    assert (zoe["claimed"], zoe["resolved"], zoe["tags"]) == (1, 1, 1)
    # one handle time for the case: claim 09:00 -> resolution 10:00, 1 h of business time
    assert (zoe["handle_time_n"], zoe["handle_time_median_s"]) == (1, 3600)


# --------------------------------------------------------------------------- 8: every headline row compared


def flagged(mid: str, created: str, *, complaint: bool = False, question: bool = False, needs: bool = False,
            answered: str | None = None) -> dict:
    m = mention(mid, created, answered=answered, replies=1 if answered else 0, agent="alice")
    m["score"].update(complaint=complaint, intent="question" if question else "complaint" if complaint else "other",
                      needs_response=needs)
    return m


def test_complaints_questions_and_needs_a_response_are_compared_and_defined() -> None:
    out = kpi.compute([
        # this week: complaints 2 of 4 (50%), questions 1 (25%), needs a response 2 (50%), 1 of them answered (50%)
        flagged("n:a", "2026-11-16T10:00:00Z", complaint=True, needs=True, answered="2026-11-16T10:30:00Z"),
        flagged("n:b", "2026-11-17T10:00:00Z", question=True, needs=True),
        flagged("n:c", "2026-11-18T10:00:00Z", complaint=True),
        flagged("n:d", "2026-11-19T10:00:00Z"),
        # the week before: complaints 1 of 2 (50%), questions 1 (50%), needs a response 2 (100%), both answered (100%)
        flagged("p:e", "2026-11-10T10:00:00Z", complaint=True, needs=True, answered="2026-11-10T11:00:00Z"),
        flagged("p:f", "2026-11-11T10:00:00Z", question=True, needs=True, answered="2026-11-11T11:00:00Z"),
    ], SINCE, UNTIL, POLICY, NOW, brand_name=BRAND)
    table = {r[0]: r[1:] for r in rows.compared_rows(out)}
    assert table["Complaints"] == ["2 (50%)", "50%", "0 pts"]
    assert table["Questions"] == ["1 (25%)", "50%", "-25.0 pts"]
    assert table["Needs a response"] == ["2 (50%)", "100%", "-50.0 pts"]
    assert table["Needs a response, answered"] == ["1 of 2 (50%)", "100%", "-50.0 pts"]
    html = render_html(out, images=[])
    for label in ("Complaints", "Questions", "Needs a response", "Needs a response, answered"):
        cell = re.search(rf'<td title="([^"]*)">{re.escape(label)} <a class=fn href="#def-complaints">', html)
        assert cell and "needs-response flag" in cell.group(1), label  # hover text and a footnote link
        assert re.search(rf">{re.escape(label)} <a[^<]*</a></td><td>[^<]+</td><td class=n>(?!-<)[^<]+</td>"
                         rf"<td class=n>(?!-<)[^<]+</td>", html), label  # previous and change filled in
    text = text_report(out, width=200).splitlines()
    assert any(re.fullmatch(r"Questions\s+1 \(25%\)\s+50%\s+-25\.0 pts", line) for line in text)


# --------------------------------------------------------------------------- 10: 80 columns


def wide_kpis() -> dict:
    rows_ = dataset() + previous_week()
    for m in rows_:
        if m["source"] == "demo":
            m["source"] = "social_main"
    rows_.append(mention("n:z", "2026-11-19T10:00:00Z", source="import", tags=("billing-disputes",),
                         brand="Northwind Mobile Business", status="open"))
    return kpi.compute(rows_, SINCE, UNTIL, POLICY, NOW, brand_name=BRAND, audit=AUDIT)


def headline_value(text: str, label: str) -> str:
    """The "This period" cell of a headline row, its continuation lines joined."""
    lines_ = text.splitlines()
    header = next(line for line in lines_ if line.startswith("Overall "))
    start, end = header.index("This period"), header.index("Previous")
    i = next(n for n, line in enumerate(lines_) if line.startswith(label + "  "))
    parts = [lines_[i][start:end].strip()]
    for line in lines_[i + 1:]:
        if line[:start].strip() or not line.strip():
            break
        parts.append(line[start:end].strip())
    return " ".join(parts)


@pytest.mark.parametrize("width", [80, 60])
def test_the_report_fits_narrow_terminals_without_cutting_names_or_counts(width: int) -> None:
    out = wide_kpis()
    text = text_report(out, width=width)
    body = text.split("Satisfaction survey comments")[0]  # (free-text examples below may be cut, as texts are)
    for line in body.splitlines():
        assert display_width(line) <= width, line
    assert "…" not in body
    first_words = {line.split("  ")[0] for line in body.splitlines() if line}
    for dim, groups in out["groups"].items():
        for g in groups:
            assert g["key"] in first_words, (dim, g["key"])  # every name whole, at the start of its row
    for a in out["agents"]:
        assert a["agent"] in first_words
    # the SLA line, wrapped onto continuation lines, keeps every count
    o = out["overall"]
    assert headline_value(body, "SLA attainment") == (
        f"{rows.percent(o['sla_attainment'])} ({o['sla_met']} met, {o['sla_breached']} breached, "
        f"{o['sla_pending']} not yet due)")
    assert headline_value(body, "SLA not measured") == f"3 ({rows.sla_excluded_text(o)})"
    # every agent count is shown: the activity table is split, not cut
    assert body.count("Agent  ") >= 2 and "Handle time median" in body and "Escalations" in body


def test_a_wide_terminal_keeps_one_table() -> None:
    text = text_report(wide_kpis(), width=300)
    assert text.count("Handle time median") == 1 and "Claimed" in text


# --------------------------------------------------------------------------- 19: skipped surveys listed


def test_csat_list_shows_cases_that_got_no_survey_and_why(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    records = [{"id": f"file:{i}", "text": text, "author": {"handle": f"cust{i}"}} for i, text in
               enumerate(["my bill is wrong", "no signal", "WIN A PRIZE click here", "thanks all sorted", "hello?"])]
    assert sw("import", str(write_jsonl(tmp_path / "in.jsonl", records)))[0] == 0
    assert sw("--as", "sam", "reply", "file:0", "--text", "Fixed", "--resolve")[0] == 0  # surveyed
    assert sw("--as", "sam", "resolve", "file:1")[0] == 0  # resolved without a reply
    assert sw("--as", "sam", "tag", "file:2", "spam")[0] == 0
    assert sw("--as", "sam", "reply", "file:2", "--text", "Hi", "--resolve")[0] == 0  # answered, but spam
    assert sw("--as", "sam", "ignore", "file:3")[0] == 0
    # file:4 stays open: nothing to list
    assert sw("csat", "send")[0] == 0
    # cust0 again, in a new case: the survey is due, then decided "skipped" (surveyed within min_interval)
    again = [{"id": "file:5", "text": "bill wrong again", "author": {"handle": "cust0"}}]
    assert sw("import", str(write_jsonl(tmp_path / "again.jsonl", again)))[0] == 0
    assert sw("--as", "sam", "reply", "file:5", "--text", "Fixed again", "--resolve")[0] == 0
    assert sw("csat", "send")[0] == 0
    code, out, err = sw("csat", "list", "--json")
    assert code == 0, err
    listed = {r["case"]: (r["state"], r["reason"]) for r in lines(out)}
    assert listed.pop("file:5")[0] == "skipped" and "within min_interval" in json.dumps(lines(out))
    assert listed == {
        "file:0": ("sent", None),
        "file:1": ("skipped", "it was closed without an answer from us"),
        "file:2": ("skipped", "it is tagged spam"),
        "file:3": ("skipped", "it was ignored, not resolved"),
    }
    text = sw("csat", "list")[1]
    assert "it was ignored, not resolved" in text and "it is tagged spam" in text


# --------------------------------------------------------------------------- 21: small ones


def test_show_says_sent_once_and_never_now_ago() -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = csat_line({"id": "x:1", "csat_survey": {"state": "sent", "sent_at": "2026-12-04T10:00:00Z"}})
    assert line == "CSAT survey sent 2026-12-04T10:00:00Z"
    answered = csat_line({"id": "x:1", "csat_survey": {"state": "answered", "sent_at": "2026-12-04T10:00:00Z"},
                          "csat": {"score": 4, "scale": "1-5", "satisfied": True, "method": "number",
                                   "answered_at": soon, "answer_id": "x:2"}})
    assert "sent sent" not in answered and "now ago" not in answered
    assert answered == "CSAT survey answered (sent 2026-12-04T10:00:00Z) · answer 4/5 (satisfied, read from a number) just now"


def test_the_spikes_heading_is_a_heading_and_its_sentence_ends() -> None:
    out = kpi.compute(dataset(), SINCE, UNTIL, POLICY, NOW, brand_name=BRAND)
    out["spikes"].update(enough_history=True, unjudged_hours=5, hours=[])
    text = text_report(out, width=200)
    after = text.split("\nSpikes:\n")[1].splitlines()
    assert after[0].endswith("5 hours of the period had too little history to be judged.") and after[1] == "none"
    assert not any(line.endswith("judge:") for line in text.splitlines())


def test_timezone_is_refused_where_it_cannot_apply(isolated_home: pathlib.Path) -> None:
    assert sw("init")[0] == 0
    for args in (["--for", "analysis"], ["--format", "jsonl"]):
        code, _, err = sw("export", *args, "--timezone", "Europe/London")
        assert code == 2 and "--timezone" in err and "ISO 8601 UTC" in err, args
        assert sw("export", *args, "--timezone", "UTC")[0] == 0
    assert sw("export", "--timezone", "Europe/London")[0] == 0  # --for excel applies it


def test_list_columns_describes_dates_as_each_mode_writes_them(isolated_home: pathlib.Path) -> None:
    assert sw("init")[0] == 0

    def created(*args: str) -> str:
        code, out, _ = sw("export", "--list-columns", *args)
        assert code == 0
        return next(line for line in out.splitlines() if line.startswith("created_at "))

    assert "YYYY-MM-DD HH:MM:SS in UTC" in created() and "ISO" not in created()
    assert "YYYY-MM-DD HH:MM:SS in Europe/London" in created("--timezone", "Europe/London")
    assert "ISO 8601 UTC" in created("--for", "analysis")
    assert "Excel date" in created("--format", "xlsx")
    assert "ISO 8601 UTC" in created("--format", "jsonl")


# --------------------------------------------------------------------------- themes


def test_themes_skip_negated_verbs_cut_mid_phrase() -> None:
    def phrases(text: str) -> set[str]:
        return terms_of(text, frozenset())[1]

    assert phrases("the app won't let me log in") == set()
    assert phrases("the engineer didn't turn up again") == {"didn't turn up"}
    assert phrases("router won't turn on") == {"won't turn on"}
    assert phrases("phone doesn't work.") == {"doesn't work"}
    assert "no signal" in phrases("still no signal in town")
    complaints = [mention(f"t:{i}", f"2026-11-17T1{i}:00:00Z", compound=-0.7, text=text) for i, text in enumerate([
        "app won't let me pay my bill", "app won't let me see my bill", "router won't turn on", "router won't turn on again",
        "engineer didn't turn up", "engineer didn't turn up, twice"])]
    themes = kpi.compute(complaints, SINCE, UNTIL, POLICY, NOW)["themes"]
    found = {t["term"]: t["mentions"] for t in themes["phrases"]}
    assert "won't let" not in found and "didn't turn" not in found
    assert found["won't turn on"] == 2 and found["didn't turn up"] == 2


def test_themes_keep_hyphenated_words_whole_and_drop_words_cut_by_truncation() -> None:
    def words(text: str, brand: frozenset[str] = frozenset()) -> set[str]:
        return terms_of(text, brand)[0]

    assert words("the wi-fi keeps dropping") == {"wi-fi", "dropping"}  # not "wi" and "fi"
    assert words("my top-up failed") == {"top-up", "failed"}
    assert words("charged twice for my bill again, refund plea…") == {"charged", "twice", "bill", "refund"}  # no "plea"
    assert words("charged twice for my bill again, refund plea...") == {"charged", "twice", "bill", "refund"}
    assert words("no signal at the stat…  ") == {"signal"}  # (trailing space after the ellipsis)
    assert words("waited... nothing") == {"waited", "nothing"}  # an ellipsis inside a text cuts nothing
    assert words("northwind-mobile broke my e-sim", frozenset({"northwind", "mobile"})) == {"broke", "e-sim"}


def test_theme_examples_are_cut_at_a_word_boundary() -> None:
    from socialwatch.report.kpi.themes import EXAMPLE_CHARS, excerpt

    text = "router " * 30 + "dropping"
    cut = excerpt(text)
    assert cut.endswith("router…") and len(cut) <= EXAMPLE_CHARS + 1
    assert excerpt("short text") == "short text"
    complaints = [mention("t:1", "2026-11-17T10:00:00Z", compound=-0.7, text="x" * 10 + " " + "signal " * 40)]
    example = kpi.compute(complaints, SINCE, UNTIL, POLICY, NOW)["themes"]["words"][0]["examples"][0]["text"]
    assert example.endswith("signal…"), example


def test_every_headline_row_has_a_comparison_or_says_why_not() -> None:
    out = kpi.compute(dataset() + previous_week(), SINCE, UNTIL, POLICY, NOW, brand_name=BRAND, audit=AUDIT)
    table = {r[0]: r[1:] for r in rows.compared_rows(out)}
    for label, (_, before, delta) in table.items():
        assert before and delta, label  # no blank cell in any row
    # SLA not measured: compared by its total (this week 1 not yet due + 1 follow-up + 1 ignored; none before)
    assert table["SLA not measured"] == [f"3 ({rows.sla_excluded_text(out['overall'])})", "0", "+3"]
    # busiest hours: side by side; "n/a" as the change, and the definition says why
    prev_hours = rows.hours_text(out["previous"]["overall"]["busiest_hours"])
    assert table["Busiest hours"][1:] == [prev_hours, "n/a"] and prev_hours != "-"
    assert "not a quantity" in out["definitions"]["busiest"]
    assert rows.COMPARE["Busiest hours"][2] == "busiest"
    assert 'href="#def-busiest"' in render_html(out, images=[])


def test_wrapped_values_keep_an_hour_with_its_count() -> None:
    out = kpi.compute(dataset() + previous_week(), SINCE, UNTIL, POLICY, NOW, brand_name=BRAND, audit=AUDIT)
    for width in (80, 60):
        text = text_report(out, width=width)
        headline = text[text.index("\nOverall "):text.index("\nNotes:")]
        assert not re.search(r"\d\d:00\s*$", headline, re.M), width  # "12:00" never ends a line without its "(2)"
        assert "62.5% (5 of 8)" in headline  # a short aside stays whole


def test_a_first_response_carried_to_a_follow_up_still_credits_it() -> None:
    # an older follow-up (no first_replied_by stamp, no replies of its own): the audit entry that carried
    # the case's first response to it names the agent, who is credited with it (as before the per-case
    # counting), while the carried entry is not counted as another reply
    audit = [
        entry("2026-11-17T09:30:00Z", "alice", "replied", "c:r", {"first_response_at": None},
              {"first_response_at": "2026-11-17T09:30:00Z"}),
        entry("2026-11-17T09:30:00Z", "alice", "replied", "c:f", {"first_response_at": None},
              {"first_response_at": "2026-11-17T09:30:00Z"}, case="c:r"),
    ]
    rows_ = [mention("c:r", "2026-11-17T08:00:00Z", answered="2026-11-17T09:30:00Z", followups=["c:f"]),
             mention("c:f", "2026-11-17T08:30:00Z", answered="2026-11-17T09:30:00Z", case_id="c:r")]
    out = kpi.compute(rows_, SINCE, UNTIL, POLICY, NOW, audit=audit)
    assert {g["key"]: g["volume"] for g in out["groups"]["agent"]} == {"alice": 2}
    (alice,) = out["agents"]
    assert (alice["replies"], alice["first_replies"]) == (1, 1)
