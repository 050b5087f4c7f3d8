"""Scoring: VADER ground truth, the hand-labelled anger check set, and the scoring rules."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import pathlib
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from socialwatch import model, scoring
from socialwatch.errors import ConfigError
from socialwatch.model import iso
from socialwatch.scoring import Scorer, explain, vader
from socialwatch.scoring import scorer as scorer_module

ROOT = pathlib.Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "twcs_labels.csv"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
#: The check set was relabelled by reading with the project's guidelines (tests/data/README.md);
#: the angry flag measures 0.68 on it (VADER's compound <= -0.5: 0.24). The floor is the one the
#: set has always had.
ANGRY_F1_FLOOR = 0.65


# -- fixture readers (cached: several tests share them) -------------------------------------------


@functools.cache
def ground_truth(path: pathlib.Path) -> list[tuple[float, str]]:
    """(mean rating, text) rows of a VADER *_GroundTruth.txt file (tab-separated, CRLF)."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        lines = f.read().split("\r\n")
    for line in lines:
        parts = line.split("\t", 2)
        if len(parts) == 3:
            rows.append((float(parts[1]), parts[2]))
    return rows


@functools.cache
def twcs_rows(path: pathlib.Path) -> dict[str, dict]:
    """The twcs.csv rows by tweet_id (bare \\r characters replaced first: tweet_id 3399 holds two)."""
    with path.open(encoding="utf-8", newline="") as f:  # no newline translation: keep the bare \r to replace
        raw = f.read().replace("\r", " ")
    return {row["tweet_id"]: row for row in csv.DictReader(io.StringIO(raw))}


def read_labels() -> list[dict]:
    with LABELS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def f1(predicted: list[bool], gold: list[bool]) -> float:
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    fp = sum(p and not g for p, g in zip(predicted, gold, strict=True))
    fn = sum(g and not p for p, g in zip(predicted, gold, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def mention(text: str, **fields) -> dict:
    base = {"id": "x:1", "kind": "mention", "text": text, "author": None, "metrics": None, "created_at": None}
    base.update(fields)
    return base


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer()


# -- quality on the shared data --------------------------------------------------------------------


def test_compound_correlates_with_vader_ground_truth(fixtures_dir):
    rows = ground_truth(fixtures_dir / "vader" / "tweets_GroundTruth.txt")
    assert len(rows) == 4200
    english = Scorer({"detect_language": False})  # VADER's own figure: every text scored as English
    ours = [english.score_text(text)["compound"] for _, text in rows]
    r = statistics.correlation(ours, [mean for mean, _ in rows])
    print(f"Pearson r (tweets ground truth) = {r:.4f}")
    assert r >= 0.87


def test_language_detection_leaves_the_english_ground_truth_scored(fixtures_dir, scorer):
    """With detection on, the English tweets of VADER's ground truth keep their sentiment: the
    few taken for another language (about 10 of 4,200, half of them really are) get none, and
    the correlation over the rest stays at VADER's."""
    rows = ground_truth(fixtures_dir / "vader" / "tweets_GroundTruth.txt")
    scores = [(mean, scorer.score_text(text)) for mean, text in rows]
    unscored = [s for _, s in scores if s["compound"] is None]
    assert len(unscored) <= 15
    assert all(s["language"] != "en" and s["sentiment_note"].startswith("sentiment not scored for") for s in unscored)
    kept = [(mean, s["compound"]) for mean, s in scores if s["compound"] is not None]
    assert statistics.correlation([c for _, c in kept], [m for m, _ in kept]) >= 0.87


def test_fast_analyzer_gives_exactly_vader_scores(fixtures_dir, scorer):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    plain = SentimentIntensityAnalyzer()
    texts = [
        text for path in sorted((fixtures_dir / "vader").glob("*_GroundTruth.txt")) for _, text in ground_truth(path)
    ]
    texts += [row["text"] for row in twcs_rows(fixtures_dir / "twcs" / "twcs.csv").values()]
    assert len(texts) > 28_000
    analyzer = scorer.analyzer
    different = [t for t in texts if analyzer.analyze(t)[0] != plain.polarity_scores(t)]
    assert different == []


def test_labelled_check_set_is_well_formed(fixtures_dir):
    rows = twcs_rows(fixtures_dir / "twcs" / "twcs.csv")
    assert len(rows) == 5000
    labels = read_labels()
    with LABELS.open(encoding="utf-8") as f:
        assert f.readline().strip() == "tweet_id,angry,complaint,needs_response,sentiment,intent"
    assert len(labels) == 250
    assert len({row["tweet_id"] for row in labels}) == 250
    for row in labels:
        assert rows[row["tweet_id"]]["inbound"] == "True"
        assert {row["angry"], row["complaint"], row["needs_response"]} <= {"0", "1"}
        assert row["sentiment"] in {"-2", "-1", "0", "1", "2"}
        assert row["intent"] in {"complaint", "question", "request", "feedback", "praise", "other"}
        assert (row["intent"] == "complaint") == (row["complaint"] == "1")  # the guidelines' rules
        assert row["angry"] == "0" or (row["complaint"] == "1" and row["sentiment"] == "-2")
    # the selection rule of tests/data/README.md: the first 250 inbound rows, in file order
    inbound = [tid for tid, row in rows.items() if row["inbound"] == "True"]
    assert [row["tweet_id"] for row in labels] == inbound[:250]


def test_angry_flag_beats_compound_baseline_on_check_set(fixtures_dir, scorer):
    rows = twcs_rows(fixtures_dir / "twcs" / "twcs.csv")
    labels = read_labels()
    gold = [row["angry"] == "1" for row in labels]
    scores = [scorer.score_text(rows[row["tweet_id"]]["text"]) for row in labels]
    ours = f1([s["angry"] for s in scores], gold)
    baseline = f1([(s["compound"] or 0.0) <= -0.5 for s in scores], gold)  # None: not scored (not English)
    print(f"angry F1 on {len(labels)} labelled tweets: ours {ours:.3f}, baseline compound <= -0.5 {baseline:.3f}")
    assert ours > baseline
    assert ours >= ANGRY_F1_FLOOR


# -- anger -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "great, 3 hours on hold",
        "Thanks for nothing. Still no refund.",
        "Love how my order is still not here after two weeks",
        "Switching to another provider, never again",
        "I'm cancelling my subscription today",
        "WHY IS MY ORDER STILL NOT HERE???",
        "MY INTERNET IS DOWN AGAIN!!!",
        "This is ridiculous, I have been waiting for 2 weeks",
        "still waiting for a reply!!!",
        "what a rip-off",
        "your support is useless and rude",
        "wtf is wrong with this app",
        "So frustrated with your service 😡",
        "Charged twice and no response from anyone. Unacceptable.",
    ],
)
def test_angry_support_messages(scorer, text):
    score = scorer.score_text(text)
    assert score["angry"], score["reasons"]


@pytest.mark.parametrize(
    "text",
    [
        "Thank you so much, the agent was amazing and fixed it in minutes!",
        "THANK YOU!!! You are the best support team ever!!!",
        "Love the new update, great job team",
        "frickin awesome service, thanks!!",
        "Can you tell me when the store opens tomorrow?",
        "I'm not frustrated, just curious how the refund works",
        "Happy Halloween! Got my burrito for $3",
        "",
    ],
)
def test_calm_messages(scorer, text):
    score = scorer.score_text(text)
    assert not score["angry"], score["reasons"]


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        # The labelling guidelines call a matter-of-fact churn or mild sarcasm a complaint, not
        # anger ("a light-hearted or matter-of-fact mention of switching is not enough"): the
        # cue is found and counted, and the mention ranks as a complaint.
        ("Oh great, the app crashed again", "sarcasm 'oh great'"),
        ("I want to cancel my account", "churn 'cancel my account'"),
    ],
)
def test_calm_churn_and_mild_sarcasm_are_complaints_with_their_cue(scorer, text, cue):
    score = scorer.score_text(text)
    assert score["complaint"] and score["needs_response"] and score["intent"] == "complaint"
    assert cue in anger_reason(score)["detail"]
    assert anger_reason(score)["contribution"] > 0


def anger_reason(score: dict) -> dict:
    return next(r for r in score["reasons"] if r["factor"] == "anger")


def test_vader_alone_misses_the_sarcasm_we_catch(scorer):
    score = scorer.score_text("great, 3 hours on hold")
    assert score["compound"] > 0  # VADER reads it as positive
    detail = anger_reason(score)["detail"]
    assert "sarcasm" in detail and "waiting" in detail
    assert score["angry"]


def test_negated_anger_word_does_not_count(scorer):
    assert "anger words" not in anger_reason(scorer.score_text("I am not frustrated at all"))["detail"]
    assert "anger words" in anger_reason(scorer.score_text("I am frustrated"))["detail"]


# -- virality, privacy, waiting, priority ----------------------------------------------------------


def test_viral_from_followers(scorer):
    big = scorer.score(mention("my order is late", author={"handle": "star", "followers": 250_000}), NOW)
    small = scorer.score(mention("my order is late", author={"handle": "joe", "followers": 40}), NOW)
    assert big["viral"] and not small["viral"]
    assert big["priority"] > small["priority"]
    assert any(r["factor"] == "viral" and "250000 followers" in r["detail"] for r in big["reasons"])


def test_verified_author_counts_double(scorer):
    half = scorer.viral_followers // 2
    assert scorer.score(mention("hi", author={"followers": half, "verified": True}), NOW)["viral"]
    assert not scorer.score(mention("hi", author={"followers": half, "verified": False}), NOW)["viral"]


def test_viral_from_engagement_velocity(scorer):
    created = iso(NOW - timedelta(hours=1))
    hot = mention("outage again", created_at=created, metrics={"likes": 300, "reposts": 80, "replies": 20, "quotes": 5})
    cold = mention("outage again", created_at=created, metrics={"likes": 3, "reposts": 0, "replies": 1, "quotes": 0})
    assert scorer.score(hot, NOW)["viral"]
    assert not scorer.score(cold, NOW)["viral"]
    # the same engagements spread over a week are not a storm
    old = dict(hot, created_at=iso(NOW - timedelta(days=7)))
    assert not scorer.score(old, NOW)["viral"]


def test_a_few_early_likes_are_not_viral(scorer):
    fresh = mention("hi", created_at=iso(NOW - timedelta(seconds=30)), metrics={"likes": 10})
    assert not scorer.score(fresh, NOW)["viral"]


def test_dm_outranks_the_same_public_text(scorer):
    text = "my package never arrived, please help"
    public = scorer.score(mention(text, kind="mention"), NOW)
    private = scorer.score(mention(text, kind="dm"), NOW)
    assert private["priority"] > public["priority"]
    assert any(r["factor"] == "private" for r in private["reasons"])


def test_waiting_is_live_and_capped_so_old_items_are_not_urgent(scorer):
    """The waiting factor is not frozen in the score: it is computed at read time from the
    score's `waiting` spec, rises with the clock and stops at its weight."""
    text = "what time do you open on Sunday?"
    m = mention(text, created_at=iso(NOW - timedelta(days=60)), status="new")
    m["score"] = score = scorer.score(m, NOW)
    m["priority"] = score["priority"]
    assert score["needs_response"]
    assert "waiting" not in [r["factor"] for r in score["reasons"]]
    assert score["waiting"] == {"weight": scorer.weights["waiting"], "cap_hours": scorer.waiting_cap_hours}
    assert model.effective_priority(m, NOW) - score["priority"] == scorer.weights["waiting"]
    assert model.effective_priority(m) == score["priority"]  # without a time: the stored priority


def test_waiting_rises_during_a_shift(scorer):
    created = NOW - timedelta(hours=1)
    m = mention("my broadband is down, any news?", created_at=iso(created), status="new")
    m["score"] = scorer.score(m, created)
    m["priority"] = m["score"]["priority"]
    hour = [model.effective_priority(m, created + timedelta(hours=h)) for h in (0, 4, 8, 12, 24, 48)]
    assert hour == sorted(hour) and hour[0] < hour[-1]
    assert hour[-1] - hour[0] == scorer.weights["waiting"]
    assert model.waiting_points(m, created + timedelta(hours=6)) == int(scorer.weights["waiting"] * 6 / 24)
    # answered, closed or overridden: no more waiting
    assert model.effective_priority({**m, "first_response_at": iso(NOW)}, NOW + timedelta(days=1)) == m["priority"]
    assert model.effective_priority({**m, "status": "resolved"}, NOW + timedelta(days=1)) == m["priority"]
    assert model.effective_priority({**m, "priority_override": 7}, NOW + timedelta(days=1)) == 7


def test_no_waiting_for_mentions_that_need_no_response(scorer):
    m = mention("love the new shop in Leeds, great staff!", created_at=iso(NOW - timedelta(days=2)), status="new")
    m["score"] = scorer.score(m, NOW)
    m["priority"] = m["score"]["priority"]
    assert not m["score"]["needs_response"] and "waiting" not in m["score"]
    assert model.effective_priority(m, NOW) == m["priority"]


def test_angry_viral_dm_ranks_high(scorer):
    m = mention(
        "This is UNACCEPTABLE!!! 3 hours on hold and still no refund. Cancelling my account.",
        kind="dm",
        author={"handle": "x", "followers": 80_000, "verified": True},
        created_at=iso(NOW - timedelta(hours=2)),
    )
    score = scorer.score(m, NOW)
    assert score["angry"] and score["viral"]
    assert score["priority"] >= 70


def test_priority_bounds_boost_and_clamp(scorer):
    angry = mention("worst service ever, cancel my account!!!", kind="dm", author={"followers": 10**6})
    up = scorer.score(angry, NOW, boost=500, boost_reason="VIP customer")
    assert up["priority"] == 100
    assert {"factor": "boost", "contribution": 500, "detail": "VIP customer"} in up["reasons"]
    assert up["reasons"][-1]["factor"] == "clamp"
    down = scorer.score(mention("thanks, all good"), NOW, boost=-500, boost_reason="spam account")
    assert down["priority"] == 0
    boosted = scorer.score(mention("hello"), NOW, boost=15, boost_reason="keyword: outage")
    assert boosted["priority"] == scorer.score(mention("hello"), NOW)["priority"] + 15


def test_reasons_sum_to_priority(scorer):
    m = mention(
        "still waiting for my refund, this is ridiculous",
        author={"followers": 3000},
        metrics={"likes": 4, "reposts": 1, "replies": 0, "quotes": 0},
        created_at=iso(NOW - timedelta(hours=5)),
    )
    score = scorer.score(m, NOW, boost=5, boost_reason="rule: billing")
    factors = [r["factor"] for r in score["reasons"]]
    assert factors == ["response", "intent", "anger", "negativity", "viral", "boost"]
    assert abs(sum(r["contribution"] for r in score["reasons"]) - score["priority"]) <= 1
    calm = scorer.score(mention("do you ship to Ireland?", author={"followers": 30}), NOW)
    assert abs(sum(r["contribution"] for r in calm["reasons"]) - calm["priority"]) <= 1


def test_score_shape_and_json(scorer):
    score = scorer.score(mention("help!! my order never arrived", author={"followers": 12}, created_at="2026-11-23T10:00:00Z"), NOW)
    assert set(score) == {"compound", "pos", "neu", "neg", "angry", "viral", "complaint", "needs_response", "intent",
                          "intent_confidence", "risk", "language", "priority", "reasons", "waiting"}
    assert isinstance(score["priority"], int) and 0 <= score["priority"] <= 100
    assert score["intent"] in ("complaint", "question", "request", "feedback", "praise", "other")
    assert 0 <= score["intent_confidence"] <= 1 and score["language"] == "en" and score["risk"] == []
    assert all(set(r) == {"factor", "contribution", "detail"} for r in score["reasons"])
    assert json.loads(json.dumps(score)) == score


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"author": None, "metrics": None, "created_at": None},
        {"author": {"handle": "a", "followers": None, "verified": None}},
        {
            "metrics": {"likes": None, "reposts": None, "replies": None, "quotes": None},
            "created_at": "2026-11-23T11:00:00Z",
        },
        {"created_at": "not a date", "kind": None},
        {"text": None},
    ],
)
def test_missing_fields_still_score(scorer, fields):
    m = {"text": "my order is late again!!", **fields}
    score = scorer.score(m, NOW)
    assert 0 <= score["priority"] <= 100 and score["reasons"]
    assert score["viral"] is False


def test_score_text_has_no_mention_factors(scorer):
    score = scorer.score_text("where is my order???")
    assert [r["factor"] for r in score["reasons"]] == ["response", "intent", "anger", "negativity"]


def test_explain_rows(scorer):
    score = scorer.score(
        mention("never again, switching to a competitor", kind="dm"), NOW, boost=10, boost_reason="VIP"
    )
    rows = explain(score)
    assert all(len(row) == 3 and all(isinstance(x, str) for x in row) for row in rows)
    assert [row[0] for row in rows] == ["response", "intent", "anger", "negativity", "private", "boost", "priority"]
    assert rows[-1][1] == str(score["priority"])
    assert "churn" in rows[2][2]
    assert rows[5] == ("boost", "+10.0", "VIP")
    assert rows[0][2].startswith("needs a response (p ") and "complaint" in rows[-1][2]


# -- score_many ------------------------------------------------------------------------------------


def _batch(n: int) -> list[dict]:
    texts = [
        "great, 3 hours on hold",
        "thanks, all sorted!",
        "WHERE IS MY REFUND??? cancel my account",
        "what time do you open?",
        "the app crashes every time 🙄",
    ]
    return [
        mention(
            f"{texts[i % len(texts)]} #{i}",
            kind="dm" if i % 7 == 0 else "mention",
            author={"handle": f"u{i}", "followers": i * 97 if i % 3 else None, "verified": i % 11 == 0},
            metrics={"likes": i % 40, "reposts": i % 9, "replies": None, "quotes": 0} if i % 4 else None,
            created_at=iso(NOW - timedelta(minutes=17 * i)) if i % 5 else None,
        )
        for i in range(n)
    ]


def test_score_many_equals_score(scorer):
    batch = _batch(60)
    assert scorer.score_many(batch, NOW) == [scorer.score(m, NOW) for m in batch]
    assert scorer.score_many([], NOW) == []


def test_score_many_in_worker_processes_equals_score():
    pooled = Scorer({"workers": 2, "parallel_min": 10, "lexicon": {"outage": -2.5}, "anger_words": ["bananas"]})
    batch = _batch(150) + [mention("outage again, this is bananas")]
    assert pooled.score_many(batch, NOW) == [pooled.score(m, NOW) for m in batch]


_REAL_SCORE_RANGE = scorer_module._score_range


def _pid_spy(bounds: tuple[int, int]) -> list[dict]:
    """Stands in for scorer_module._score_range in workers (module level: the pool pickles it by name)."""
    return [dict(score, pid=os.getpid()) for score in _REAL_SCORE_RANGE(bounds)]


def test_score_many_uses_worker_processes_for_big_batches(monkeypatch):
    monkeypatch.setattr(scorer_module, "_score_range", _pid_spy)
    pids = {score.get("pid") for score in Scorer({"parallel_min": 10}).score_many(_batch(40), NOW)}
    assert None not in pids and os.getpid() not in pids
    assert {score.get("pid") for score in Scorer({"parallel_min": 41}).score_many(_batch(40), NOW)} == {None}
    assert {score.get("pid") for score in Scorer({"parallel_min": 10, "workers": 1}).score_many(_batch(40), NOW)} == {
        None
    }


def test_naive_now_is_taken_as_utc(scorer):
    m = mention("hello", created_at="2026-11-23T10:00:00Z")
    assert scorer.score(m, NOW.replace(tzinfo=None)) == scorer.score(m, NOW)


# -- configuration ---------------------------------------------------------------------------------


def test_config_lexicon_changes_compound():
    text = "another outage in my area"
    assert Scorer().score_text(text)["compound"] == 0
    assert Scorer({"lexicon": {"Outage": -2.5}}).score_text(text)["compound"] < -0.3
    # a brand lexicon does not leak into other scorers (the stock analyzer is shared)
    assert Scorer().score_text(text)["compound"] == 0


def test_config_anger_and_churn_words():
    text = "this is bananas, moving to acme corp"
    plain = Scorer().score_text(text)
    assert not plain["angry"]
    custom = Scorer({"anger_words": ["Bananas"], "churn_words": ["moving to acme"]}).score_text(text)
    assert custom["angry"]
    detail = anger_reason(custom)["detail"]
    assert "anger words 'bananas'" in detail and "churn 'moving to acme'" in detail


def test_config_weights_and_thresholds():
    s = Scorer({"weights": {"private": 40}, "viral_followers": 100, "angry_threshold": 5.0, "waiting_cap_hours": 1})
    m = mention("this is ridiculous", kind="dm", author={"followers": 150}, created_at=iso(NOW - timedelta(hours=3)))
    score = s.score(m, NOW)
    assert score["viral"] and not score["angry"]
    contributions = {r["factor"]: r["contribution"] for r in score["reasons"]}
    assert contributions["private"] == 40
    assert score["waiting"] == {"weight": 15, "cap_hours": 1}
    m = dict(m, score=score, priority=score["priority"], status="new")
    assert model.effective_priority(m, NOW) == min(100, score["priority"] + 15)  # 3 h > the 1 h cap


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"weights": {"anger": -1}}, "scoring.weights.anger"),
        ({"weights": {"angr": 5}}, "scoring.weights.angr"),
        ({"weights": [1, 2]}, "scoring.weights"),
        ({"angry_threshold": "high"}, "scoring.angry_threshold"),
        ({"angry_threshold": 0}, "scoring.angry_threshold"),
        ({"viral_followers": 10.5}, "scoring.viral_followers"),
        ({"viral_followers": True}, "scoring.viral_followers"),
        ({"viral_velocity": -3}, "scoring.viral_velocity"),
        ({"waiting_cap_hours": float("nan")}, "scoring.waiting_cap_hours"),
        ({"lexicon": {"outage": "bad"}}, "scoring.lexicon.outage"),
        ({"lexicon": {"outage": -9}}, "scoring.lexicon.outage"),
        ({"lexicon": {"two words": -1}}, "scoring.lexicon.two words"),
        ({"lexicon": ["outage"]}, "scoring.lexicon"),
        ({"anger_words": "ripoff"}, "scoring.anger_words"),
        ({"anger_words": ["ok", 3]}, "scoring.anger_words"),
        ({"churn_words": ["!"]}, "scoring.churn_words"),
        ({"workers": -1}, "scoring.workers"),
        ({"parallel_min": "lots"}, "scoring.parallel_min"),
        ({"colour": "red"}, "scoring.colour"),
    ],
)
def test_bad_config_raises(settings, key):
    with pytest.raises(ConfigError) as info:
        Scorer(settings)
    assert info.value.key == key
    assert info.value.exit_code == 2


def test_empty_config_is_default():
    assert Scorer({}).weights == Scorer(None).weights == scoring.DEFAULT_WEIGHTS


# -- import cost and the fallback analyzer ----------------------------------------------------------


def test_vader_is_imported_lazily():
    code = (
        "import sys; import socialwatch.scoring as s; s.Scorer({'lexicon': {'x': 1}});"
        "print('vaderSentiment' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_other_vader_versions_fall_back_to_plain_polarity_scores(monkeypatch, scorer):
    texts = ["great, 3 hours on hold", "I LOVE it!!! 😍", "not bad, but the app crashes every time", "kind of ok"]
    expected = [scorer.score_text(t) for t in texts]
    monkeypatch.setattr(vader, "VADER_FAST_VERSION", "0.0")
    monkeypatch.setattr(vader, "_ANALYZERS", {})
    fallback = Scorer()
    assert [fallback.score_text(t) for t in texts] == expected


def test_scores_are_the_same_whatever_the_hash_seed() -> None:
    """Every process iterates sets in its own order (PYTHONHASHSEED): the learned model's sums and
    the risk phrase named must not depend on it, or the same text gets another intent, priority
    or reason in the next import. The first text's question and other outputs tie exactly in the
    weights (-0.9989 each); the others hold several risk words of one category."""
    texts = [
        "Apparently more than a hurricane, or an earthquake.",
        "My mom is out of the country for my grandmothers funeral and I'm alone. My dad tells me my grandad "
        "is in the hospital and they found cancer",
        "But until Irene Chang, a reporter for a campus newspaper at the University of California at Berkeley, "
        "did a little digging, students probably didn't know that",
        "My GP says the doctor at the NHS hospital will call, my nan is in a care home and is 89",
    ]
    code = ("import json, sys; from socialwatch.scoring import Scorer; s = Scorer();"
            "print(json.dumps([s.score_text(t) for t in json.loads(sys.argv[1])], sort_keys=True))")
    outputs = set()
    for seed in range(8):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
    scores = json.loads(outputs.pop())
    # (the first text tied question and other exactly in the weights before the QA retrain of issue 17;
    # the tie itself is now checked on a model made for it, below)
    from socialwatch.scoring import classifier

    outputs_ = ["complaint", "needs_response", "angry", "intent:question", "intent:request", "intent:praise",
                "intent:other"]
    tied = classifier.LinearModel({
        "outputs": outputs_, "bias": [-3.0, 0.0, -3.0, -0.9989, -3.0, -3.0, -0.9989],
        "numeric": {n: [0.0] * 7 for n in ("_vneg", "_vpos", "_anger")},
        "thresholds": {"complaint": 0.5, "needs_response": 0.5, "angry": 0.5},
        "weights": {"more": [0.0, 0.0, 0.0, 0.1234, 0.0, 0.0, 0.1234]}})
    assert tied.predict({"more"}, ["more"], (0.0, 0.0, 0.0))["intent"][0] == "question"  # a tie: first in order
    assert "medical 'hospital'" in scores[1]["reasons"][2]["detail"]  # the first one in the text
    assert "press 'reporter'" in [r["detail"] for r in scores[2]["reasons"] if r["factor"] == "risk"][0]
