"""Satisfaction surveys: reading answers, sending exactly once (also across processes and a
daemon killed mid-way), the customer window, and answers matched from the thread; both backends."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from socialwatch import csat
from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl

CSAT = '\n[csat]\nsources = ["import"]\nwhen = "on_resolve"\n'


# --------------------------------------------------------------------------- reading an answer


@pytest.mark.parametrize(
    ("text", "score", "scale", "method", "comment", "only"),
    [
        ("5", 5, "1-5", "number", None, True),
        ("@NorthwindHelp 4/5", 4, "1-5", "number", None, True),
        ("5/5 thanks so much!", 5, "1-5", "number", None, True),
        ("3 out of 5, took too long", 3, "1-5", "number", "took too long", False),
        ("8/10", 4, "1-5", "number", None, True),
        ("10/10 would recommend", 5, "1-5", "number", "would recommend", False),
        ("★★★★☆", 4, "1-5", "stars", None, True),
        ("⭐⭐⭐⭐⭐ brilliant", 5, "1-5", "stars", "brilliant", False),
        ("2 stars. Nobody called me back", 2, "1-5", "number", "Nobody called me back", False),
        ("I'd give it a 4", 4, "1-5", "number", None, True),
        ("😀", 5, "1-5", "emoji", None, True),
        ("😡 still no signal", 1, "1-5", "emoji", "still no signal", False),
        ("🙂", 4, "1-5", "emoji", None, True),
        ("👍🏽", 1, "yes-no", "emoji", None, True),
        ("👎", 0, "yes-no", "emoji", None, True),
        ("Yes, thanks!", 1, "yes-no", "yes-no", None, True),
        ("no, the bill is still wrong", 0, "yes-no", "yes-no", "the bill is still wrong", False),
        ("not really", 0, "yes-no", "yes-no", None, True),
    ],
)
def test_parse_answer_reads_numbers_stars_faces_and_yes_no(text, score, scale, method, comment, only) -> None:
    a = csat.parse_answer(text)
    assert a is not None, text
    assert (a.score, a.scale, a.method, a.comment, a.only_rating) == (score, scale, method, comment, only)


@pytest.mark.parametrize("text", ["I waited 3 hours on hold", "call me at 5pm", "no problem, all sorted", "£5 refund?",
                                  "order #4411 is late", "it took 2 days", "hello"])
def test_parse_answer_finds_no_rating_in_ordinary_text(text) -> None:
    assert csat.parse_answer(text) is None


def test_free_text_answering_the_survey_is_read_as_a_comment() -> None:
    # (the full reading, with the real scorer, is tested in tests/test_report_fixes.py)
    happy = csat.parse_answer("Brilliant, thank you so much", {"compound": 0.8, "intent": "praise"})
    assert (happy.score, happy.scale, happy.method, happy.satisfied) == (1, "yes-no", "comment", True)
    low = csat.parse_answer("still not working at all", {"compound": -0.6, "complaint": True})
    assert (low.score, low.method, low.satisfied, low.only_rating) == (0, "comment", False, False)
    plain = csat.parse_answer("ok", {"compound": 0.0})
    assert (plain.score, plain.scale, plain.satisfied, plain.rated, plain.comment) == (None, None, None, False, "ok")
    assert csat.parse_answer("ok") is None  # no free text read without the score of a direct reply


def test_satisfied_is_four_or_five_or_yes() -> None:
    assert [csat.is_satisfied({"score": s, "scale": "1-5"}) for s in range(1, 6)] == [False, False, False, True, True]
    assert csat.is_satisfied({"score": 1, "scale": "yes-no"}) and not csat.is_satisfied({"score": 0, "scale": "yes-no"})


# --------------------------------------------------------------------------- the workflow


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text() + CSAT)
    return isolated_home


def load(tmp_path: pathlib.Path, records: list[dict], name: str = "in.jsonl") -> None:
    code, _, err = sw("import", str(write_jsonl(tmp_path / name, records)))
    assert code == 0, err


def surveys(home: pathlib.Path) -> list[dict]:
    """The survey lines the outbox responder wrote (what the customers received)."""
    path = home / "outbox" / "replies.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [r for r in rows if "How did we do?" in r["text"]]


def show(mid: str) -> dict:
    code, out, err = sw("show", mid, "--json")
    assert code == 0, err
    return json.loads(out)


CASES = [{"id": "twitter:1", "text": "my router is dead", "author": {"handle": "kim", "name": "Kim"}},
         {"id": "twitter:2", "text": "bill is wrong", "author": {"handle": "lee"}}]


def test_a_survey_goes_out_once_after_resolution_and_the_answer_lands_on_the_case(home, tmp_path) -> None:
    load(tmp_path, CASES)
    assert sw("--as", "priya", "reply", "twitter:1", "--text", "Sorry Kim, fixed now", "--resolve")[0] == 0
    assert show("twitter:1")["csat_survey"]["state"] == "due"
    code, out, err = sw("csat", "send", "--json")
    assert code == 0, err
    assert [(r["case"], r["state"]) for r in lines(out)] == [("twitter:1", "sent")]
    assert sw("csat", "send", "--json")[1] == ""  # nothing due any more
    sent = surveys(home)
    assert len(sent) == 1 and sent[0]["in_reply_to"] == "twitter:1" and sent[0]["visibility"] == "public"
    assert sent[0]["text"].startswith("Hi Kim, thanks for contacting Northwind Mobile.")
    case = show("twitter:1")
    survey = case["csat_survey"]
    assert survey["state"] == "sent" and survey["ref"] == "twitter:" + sent[0]["reply_id"]
    assert case["resolved_by"] == "priya" and case["first_replied_by"] == "priya"
    assert len(case["replies"]) == 1  # the survey is not a reply
    # an agent can still answer the customer after the survey: it is no reply "already sent"
    records = lines(sw("outbox", "--all", "--json")[1])
    assert sorted(r.get("kind", "reply") for r in records) == ["csat", "reply"]

    load(tmp_path, [{"id": "twitter:10", "text": "@NorthwindHelp 4/5 quick fix", "author": {"handle": "Kim"},
                     "in_reply_to": survey["ref"], "conversation_id": "twitter:1"}], "answer.jsonl")
    case = show("twitter:1")
    assert case["status"] == "resolved" and not case.get("followups") and not case.get("reopened")
    answer = case["csat"]
    assert (answer["score"], answer["scale"], answer["satisfied"], answer["comment"]) == (4, "1-5", True, "quick fix")
    assert answer["answer_id"] == "twitter:10" and case["csat_survey"]["state"] == "answered"
    reply = show("twitter:10")
    assert reply["status"] == "resolved" and reply["csat_answer_to"] == "twitter:1"
    assert "twitter:10" not in {m["id"] for m in lines(sw("triage", "--json")[1])}
    code, out, _ = sw("show", "twitter:1")
    assert "CSAT 4/5" in out and "CSAT survey answered" in out and "quick fix" in out
    assert [a["action"] for a in lines(sw("history", "twitter:1", "--json")[1])][-3:] == [
        "csat-sending", "csat-sent", "csat-answer"]


def test_a_dissatisfied_comment_reopens_the_case_and_a_bare_rating_does_not(home, tmp_path) -> None:
    load(tmp_path, CASES)
    for mid in ("twitter:1", "twitter:2"):
        assert sw("reply", mid, "--text", "Sorted, thanks", "--resolve")[0] == 0
    assert sw("csat", "send")[0] == 0
    ref1, ref2 = show("twitter:1")["csat_survey"]["ref"], show("twitter:2")["csat_survey"]["ref"]
    load(tmp_path, [
        {"id": "twitter:11", "text": "2/5 the router died again tonight", "author": {"handle": "kim"}, "in_reply_to": ref1},
        {"id": "twitter:12", "text": "1", "author": {"handle": "lee"}, "in_reply_to": ref2},
    ], "answers.jsonl")
    kim = show("twitter:1")
    assert kim["status"] == "open" and kim["reopened"] == 1 and kim["followups"] == ["twitter:11"]
    assert kim["csat"]["score"] == 2 and kim["csat"]["comment"] == "the router died again tonight"
    assert show("twitter:11")["case_id"] == "twitter:1" and not show("twitter:11").get("csat_answer_to")
    lee = show("twitter:2")
    assert lee["status"] == "resolved" and lee["csat"]["score"] == 1 and not lee.get("reopened")
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["twitter:1"]


def test_no_survey_for_ignored_unanswered_spam_or_other_sources(home, tmp_path) -> None:
    load(tmp_path, [{"id": f"twitter:{i}", "text": "help", "author": {"handle": f"c{i}"}} for i in range(4)])
    load(tmp_path, [{"id": "file:9", "text": "help", "author": {"handle": "c9"}}], "other.jsonl")
    assert sw("reply", "twitter:0", "--text", "on it")[0] == 0
    assert sw("ignore", "twitter:0")[0] == 0  # ignored: never
    assert sw("resolve", "twitter:1")[0] == 0  # closed without an answer from us
    assert sw("reply", "twitter:2", "--text", "on it")[0] == 0
    assert sw("tag", "twitter:2", "spam")[0] == 0
    assert sw("resolve", "twitter:2")[0] == 0
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('sources = ["import"]', 'sources = ["elsewhere"]'))
    assert sw("reply", "twitter:3", "--text", "done", "--resolve")[0] == 0  # its source is not enabled
    assert sw("csat", "send", "--json")[1] == ""
    assert surveys(home) == []
    assert all("csat_survey" not in show(f"twitter:{i}") for i in range(4))


def test_one_survey_per_customer_within_min_interval(home, tmp_path, monkeypatch) -> None:
    clock = [datetime(2026, 12, 1, 10, 0, tzinfo=UTC)]
    monkeypatch.setattr("socialwatch.model.utcnow", lambda: clock[0])
    load(tmp_path, [{"id": f"twitter:{i}", "text": "help", "author": {"handle": "kim" if i < 3 else "lee"}}
                    for i in range(4)])
    for i in (0, 1, 3):
        assert sw("reply", f"twitter:{i}", "--text", "done", "--resolve")[0] == 0
    results = {r["case"]: r for r in lines(sw("csat", "send", "--json")[1])}
    assert results["twitter:0"]["state"] == "sent" and results["twitter:3"]["state"] == "sent"
    assert results["twitter:1"]["state"] == "skipped" and "within min_interval" in results["twitter:1"]["detail"]
    assert show("twitter:1")["csat_survey"]["state"] == "skipped"
    clock[0] += timedelta(days=31)  # the default window is 30 days
    assert sw("reply", "twitter:2", "--text", "done", "--resolve")[0] == 0
    assert [r["state"] for r in lines(sw("csat", "send", "--json")[1])] == ["sent"]
    assert sorted(s["to"] for s in surveys(home)) == ["kim", "kim", "lee"]


def test_delay_reopen_and_a_second_resolution(home, tmp_path, monkeypatch) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('when = "on_resolve"', 'delay = "10m"'))
    clock = [datetime(2026, 12, 1, 10, 0, tzinfo=UTC)]
    monkeypatch.setattr("socialwatch.model.utcnow", lambda: clock[0])
    load(tmp_path, CASES[:1])
    assert sw("reply", "twitter:1", "--text", "done", "--resolve")[0] == 0
    assert show("twitter:1")["csat_survey"]["due_at"] == "2026-12-01T10:10:00Z"
    assert sw("csat", "send", "--json")[1] == ""  # not yet due
    assert sw("reopen", "twitter:1")[0] == 0
    clock[0] += timedelta(minutes=11)
    assert [r["state"] for r in lines(sw("csat", "send", "--json")[1])] == ["cancelled"]  # reopened meanwhile
    assert sw("resolve", "twitter:1")[0] == 0
    clock[0] += timedelta(minutes=11)
    assert [r["state"] for r in lines(sw("csat", "send", "--json")[1])] == ["sent"]
    assert sw("reopen", "twitter:1")[0] == 0 and sw("resolve", "twitter:1")[0] == 0  # surveyed already: never again
    clock[0] += timedelta(minutes=11)
    assert sw("csat", "send", "--json")[1] == ""
    assert len(surveys(home)) == 1


def test_answers_by_message_or_in_the_thread_need_a_rating_and_expire(home, tmp_path, monkeypatch) -> None:
    clock = [datetime(2026, 12, 1, 10, 0, tzinfo=UTC)]
    monkeypatch.setattr("socialwatch.model.utcnow", lambda: clock[0])
    load(tmp_path, [*CASES, {"id": "twitter:3", "text": "no signal", "author": {"handle": "max"}}])
    for mid in ("twitter:1", "twitter:2", "twitter:3"):
        assert sw("reply", mid, "--text", "fixed", "--resolve")[0] == 0
    assert sw("csat", "send")[0] == 0
    clock[0] += timedelta(hours=1)
    load(tmp_path, [
        # a DM from kim with a rating: her answer (same customer, a message)
        {"id": "twitter:20", "kind": "dm", "text": "★★★★★", "author": {"handle": "kim"}, "created_at": "2026-12-01T10:30:00Z",
         "conversation_id": "twitter:555-666"},
        # lee writes in the thread without a rating: an ordinary follow-up, not an answer
        {"id": "twitter:21", "text": "also my bill is wrong again", "author": {"handle": "lee"},
         "created_at": "2026-12-01T10:31:00Z", "in_reply_to": "twitter:2", "conversation_id": "twitter:2"},
    ], "later.jsonl")
    assert show("twitter:1")["csat"]["score"] == 5 and show("twitter:20")["csat_answer_to"] == "twitter:1"
    lee = show("twitter:2")
    assert "csat" not in lee and lee["followups"] == ["twitter:21"] and lee["status"] == "open"
    clock[0] += timedelta(days=8)  # the survey expired (7 days)
    load(tmp_path, [{"id": "twitter:22", "text": "5", "author": {"handle": "max"}, "created_at": "2026-12-09T12:00:00Z",
                     "in_reply_to": show("twitter:3")["csat_survey"]["ref"], "conversation_id": "twitter:3"}], "late.jsonl")
    assert "csat" not in show("twitter:3") and show("twitter:22").get("csat_answer_to") is None


@pytest.mark.parametrize(("extra", "key"), [('unknown = 1', "csat.unknown"), ('when = "sometimes"', "csat.when"),
                                            ('question = "Hi {nobody}"', "csat.question"), ('delay = "soon"', "csat.delay"),
                                            ('visibility = "loud"', "csat.visibility")])
def test_a_bad_csat_table_is_a_configuration_error(home, extra, key) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace('when = "on_resolve"\n', "") + extra + "\n")
    code, _, err = sw("csat", "send")
    assert code == 2 and key in err and err.startswith("Error:")


def test_csat_send_says_when_surveys_are_off(isolated_home) -> None:
    assert sw("init")[0] == 0
    code, _, err = sw("csat", "send")
    assert code == 1 and "[csat]" in err


# --------------------------------------------------------------------------- real processes

RACER = """
import sys
from socialwatch import csat, outbox, workflow
from socialwatch.app import App
from socialwatch.errors import SocialwatchError

app = App(agent=sys.argv[1])
for round_ in range(2):
    for mid in sys.argv[2:]:
        try:
            if round_:
                workflow.reopen(app, mid)
            workflow.resolve(app, mid)
        except SocialwatchError:
            pass
        for r in csat.send_due(app):
            print(r.case, r.state, flush=True)
"""


def test_concurrent_resolves_and_senders_send_each_survey_once(home, tmp_path) -> None:
    ids = [f"twitter:{i}" for i in range(6)]
    load(tmp_path, [{"id": mid, "text": "help", "author": {"handle": f"c{mid[-1]}"}} for mid in ids])
    for mid in ids:
        assert sw("reply", mid, "--text", "on it")[0] == 0
    procs = [subprocess.Popen([sys.executable, "-c", RACER, f"agent{n}", *(ids if n % 2 else ids[::-1])],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)
             for n in range(4)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results += out.split("\n")
    sent = [r.split()[0] for r in results if r.endswith(" sent")]
    assert sorted(sent) == sorted(ids)  # each case's survey was sent by exactly one process
    assert sorted(s["in_reply_to"] for s in surveys(home)) == sorted(ids)
    records = [r for r in lines(sw("outbox", "--all", "--json")[1]) if r.get("kind") == "csat"]
    assert sorted(r["mention_id"] for r in records) == sorted(ids) and {r["state"] for r in records} == {"sent"}


def start_daemon() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "socialwatch", "run"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ)


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def survey_states(ids: list[str]) -> set[str]:
    stored = {m["id"]: m for m in lines(sw("export", "--format", "jsonl")[1])}
    return {(stored[mid].get("csat_survey") or {}).get("state", "none") for mid in ids}


def test_a_daemon_killed_while_sending_never_sends_a_survey_twice(home, tmp_path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text().replace("[sources.demo]\n", "[sources.demo]\nenabled = false\n")
                      + 'check_every = "0.2s"\n')
    ids = [f"twitter:{i}" for i in range(12)]
    load(tmp_path, [{"id": mid, "text": "help", "author": {"handle": f"c{i}"}} for i, mid in enumerate(ids)])
    for mid in ids:
        assert sw("reply", mid, "--text", "on it")[0] == 0
    daemon = start_daemon()
    try:
        resolver = subprocess.Popen([sys.executable, "-m", "socialwatch", "resolve", *ids[:6]], env=os.environ,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert resolver.wait(timeout=120) == 0
        assert wait_for(lambda: len(surveys(home)) >= 1)
        daemon.send_signal(signal.SIGKILL)  # mid-way, perhaps between a claim and its platform call
        daemon.wait(timeout=30)
        assert sw("resolve", *ids[6:])[0] == 0
        daemon = start_daemon()  # the restart picks up what is still due, and nothing else
        assert wait_for(lambda: survey_states(ids) <= {"sent", "sending"}, timeout=90), survey_states(ids)
        time.sleep(1.0)  # a few more rounds of the job: nothing more may go out
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
    # A kill between a claim and the platform call leaves the record `sending`: never re-sent by itself.
    # Reconciling asks the responder: written, it becomes sent; not written, failed, and a retry sends it.
    assert sw("outbox", "reconcile")[0] == 0
    for r in lines(sw("outbox", "--json")[1]):
        assert r["kind"] == "csat" and r["state"] == "failed", r
        assert sw("outbox", "retry", r["id"])[0] == 0
    sent = [s["in_reply_to"] for s in surveys(home)]
    assert sorted(sent) == sorted(ids), sent
    records = [r for r in lines(sw("outbox", "--all", "--json")[1]) if r.get("kind") == "csat"]
    assert sorted(r["mention_id"] for r in records) == sorted(ids) and {r["state"] for r in records} == {"sent"}
    assert {show(mid)["csat_survey"]["state"] for mid in ids} == {"sent"}


def test_a_survey_whose_sender_died_after_the_claim_is_never_sent_by_itself(home, tmp_path) -> None:
    from socialwatch import model, outbox
    from socialwatch.app import App
    from socialwatch.csat import send

    load(tmp_path, CASES[:1])
    assert sw("reply", "twitter:1", "--text", "done", "--resolve")[0] == 0
    app = App()
    st = csat.settings(app.config)
    responder = outbox.build_responder(app, outbox.responder_name(app, app.store.get("twitter:1")))
    with app.store.session() as s:  # the claim commits; the process dies before the platform call
        record, _ = send._claim(app, st, s, "twitter:1", model.utcnow(), responder)
    responder.close()
    assert csat.send_due(App()) == [] and sw("csat", "send", "--json")[1] == ""
    assert surveys(home) == [] and show("twitter:1")["csat_survey"]["state"] == "sending"
    assert [(r["id"], r["state"]) for r in lines(sw("outbox", "--json")[1])] == [(record["id"], "sending")]
    code, out, _ = sw("outbox", "reconcile")  # the responder never wrote it: failed, safe to retry
    assert code == 0 and f"{record['id']} (twitter:1): failed" in out
    assert show("twitter:1")["csat_survey"]["state"] == "failed"
    assert sw("outbox", "retry", record["id"])[0] == 0
    assert len(surveys(home)) == 1 and show("twitter:1")["csat_survey"]["state"] == "sent"
    assert sw("outbox", "retry", record["id"])[0] == 1  # sent: nothing to retry
    assert len(surveys(home)) == 1


def test_a_case_that_came_in_as_a_direct_message_is_surveyed_privately(home, tmp_path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + 'visibility = "public"\n')
    load(tmp_path, [{"id": "twitter:7", "kind": "dm", "text": "my account is locked", "author": {"handle": "kim"}},
                    {"id": "twitter:8", "text": "no signal", "author": {"handle": "lee"}}])
    assert sw("reply", "twitter:7", "--text", "unlocked", "--resolve")[0] == 0
    assert sw("reply", "twitter:8", "--text", "fixed", "--resolve")[0] == 0
    assert sw("csat", "send")[0] == 0
    assert {s["in_reply_to"]: s["visibility"] for s in surveys(home)} == {"twitter:7": "private", "twitter:8": "public"}


def test_history_tells_the_survey_in_words(home, tmp_path) -> None:
    load(tmp_path, CASES[:1])
    assert sw("--as", "priya", "reply", "twitter:1", "--text", "fixed", "--resolve", "-y")[0] == 0
    assert sw("csat", "send")[0] == 0
    ref = show("twitter:1")["csat_survey"]["ref"]
    load(tmp_path, [{"id": "twitter:2", "text": "2/5 it died again", "author": {"handle": "kim"}, "in_reply_to": ref}],
         "answer.jsonl")
    code, out, _ = sw("history", "twitter:1")
    assert code == 0
    rows = out.splitlines()
    assert "satisfaction survey due at" in rows[2] and "resolved_by" not in rows[2]
    assert rows[3].endswith("socialwatch  sending the satisfaction survey " + show("twitter:1")["csat_survey"]["record"])
    assert "satisfaction survey c" in rows[4] and rows[4].endswith(" sent")
    assert rows[5].endswith("the customer answered the satisfaction survey: 2/5 “it died again” "
                            "(not satisfied: the case is reopened)")
