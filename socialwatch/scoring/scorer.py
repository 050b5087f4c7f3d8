"""The built-in scorer: VADER, the anger and risk cues, the language, the learned model and the
priority, put together for each mention (see the package docstring for the score's fields).

`score_many` gives the same results as `score`. For batches of `parallel_min` or more, it
forks `workers` processes, which inherit the scorer and the mentions. It stays in one process
where fork is unavailable or when it runs inside a worker process itself.
"""

from __future__ import annotations

import gc
import math
import re
from datetime import UTC, datetime
from typing import Any, NamedTuple

from socialwatch.errors import ConfigError
from socialwatch.model import utcnow
from socialwatch.scoring import classifier, langcues
from socialwatch.scoring import settings as cfg
from socialwatch.scoring.cues import CueFinder
from socialwatch.scoring.cuewords import ENGLISH_WORDS as _ENGLISH
from socialwatch.scoring.cuewords import SUGGESTION, SUGGESTION_TRIGGERS, THANKS_WORDS
from socialwatch.scoring.features import features
from socialwatch.scoring.priority import finish, viral_factor
from socialwatch.scoring.reasons import reasons_of
from socialwatch.scoring.risk import RiskFinder
from socialwatch.scoring.tone import VULNERABILITY, adjust


class Analysis(NamedTuple):
    """What a text alone says (the ingest hot path computes it once per mention)."""

    compound: float | None  # None: sentiment not scored for the language
    pos: float | None
    neu: float | None
    neg: float | None
    points: float  # anger cue points
    cues: list  # [(name, points, detail)]
    risk: list  # [(category, phrase)]
    language: str | None
    prediction: dict  # classifier.LinearModel.predict's, or the fallback's
    explain: dict  # output -> [(feature, weight)] for the reasons
    note: str | None  # why the model did not decide, or the language scorer that did


class Scorer:
    """Scores mentions. Build one per configuration and reuse it: it holds the VADER analyzer.

    Subclass it to add a language: list it in `languages` and return its sentiment (and any
    flags you can tell) from `score_language`. See README "Scorer plugins".
    """

    #: The languages this scorer scores: English with VADER and the learned model; any other
    #: listed here through `score_language` (a plugin's). Texts in other languages get no
    #: sentiment and the fallback rules.
    languages: tuple[str, ...] = ("en",)

    def __init__(self, settings: dict | None = None) -> None:
        """Validate the `[scoring]` settings (see `settings`); raises ConfigError."""
        settings = {} if settings is None else settings
        if not isinstance(settings, dict):
            raise ConfigError("expected a table", key="scoring")
        unknown = sorted(set(settings) - set(cfg.SETTINGS_KEYS))
        if unknown:
            raise ConfigError(f"unknown key (known: {', '.join(cfg.SETTINGS_KEYS)})", key=f"scoring.{unknown[0]}")
        cfg.scorer_name(settings)
        self.weights = cfg.weights(settings.get("weights"))
        self.angry_threshold = float(cfg.number(settings, "angry_threshold"))
        self.viral_followers = cfg.number(settings, "viral_followers", integer=True)
        self.viral_velocity = float(cfg.number(settings, "viral_velocity"))
        self.waiting_cap_hours = float(cfg.number(settings, "waiting_cap_hours"))
        self.workers = cfg.number(settings, "workers", integer=True, strict=False)
        self.parallel_min = cfg.number(settings, "parallel_min", integer=True, strict=False)
        self.thresholds = cfg.thresholds(settings.get("thresholds"))
        self.detect_language = cfg.flag(settings, "detect_language", True)
        self.lexicon = cfg.lexicon(settings.get("lexicon"))
        self.cues = CueFinder(cfg.phrase_list(settings.get("anger_words"), "anger_words"),
                              cfg.phrase_list(settings.get("churn_words"), "churn_words"))
        self.risks = RiskFinder(cfg.risk_words(settings.get("risk_words")))
        self._analyzer: Any = None
        self._model: classifier.LinearModel | None = None
        self._waiting = {"weight": self.weights["waiting"], "cap_hours": self.waiting_cap_hours}
        self._brand: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    def set_brand(self, handles: list[str], keywords: list[str] | None = None) -> None:
        """The brand's own handles (and names) from `[brand]`: a mention that starts with other
        people's handles and names none of the brand's is talk between others, which needs no
        response (unless a risk cue says otherwise)."""
        self._brand = (tuple(h.lower().lstrip("@") for h in handles if h),
                       tuple(k.lower().replace(" ", "") for k in (keywords or []) if k and k.strip()))

    def _addressed_elsewhere(self, text: str) -> str | None:
        """The leading handle when the text opens with handles that are none of the brand's and
        names no brand handle anywhere; else None."""
        handles, names = self._brand
        if not (handles or names) or not text.startswith("@"):
            return None
        for word in text.split():
            if not word.startswith("@"):
                continue
            handle = word.lower().lstrip("@").rstrip(".,:;!?)")
            if handle.startswith(handles) if handles else False:
                return None
            if any(name in handle for name in names):
                return None
        return text.split()[0]

    @property
    def analyzer(self) -> Any:
        """The VADER analyzer (shared when no lexicon is configured)."""
        if self._analyzer is None:
            from socialwatch.scoring import vader

            self._analyzer = vader.new_analyzer(self.lexicon) if self.lexicon else vader.default_analyzer()
        return self._analyzer

    @property
    def model(self) -> classifier.LinearModel:
        """The learned model (read on first use), with the configured thresholds."""
        if self._model is None:
            model = classifier.load()
            self._model = model.with_thresholds(self.thresholds) if self.thresholds else model
        return self._model

    # -- hook for plugins ------------------------------------------------------------------------

    def score_language(self, text: str, language: str) -> dict | None:
        """A plugin's scores for a text in one of its `languages` other than English: a dict with any of
        compound, pos, neu, neg (-1..1 / 0..1), complaint, needs_response, angry (bools),
        intent (one of classifier.INTENTS) and intent_confidence; None when it cannot score it.
        The built-in scorer scores no other language."""
        return None

    # -- text analysis (the ingest hot path) -----------------------------------------------------

    def text_features(self, text: str) -> tuple:
        """(VADER's scores, lower-case tokens, anger points, cues, risk, language, single-word
        features, normalised tokens, numeric values): the model's input (also what
        `training/train_intent.py` learns from)."""
        vs, tokens, low, cap_diff = self.analyzer.analyze(text)
        compound = vs["compound"]
        points, cues, problem = self.cues.anger(text, tokens, low, cap_diff, compound)
        risk = self.risks.find(text, low) if low else []
        language: str | None = "en"
        # English without the model: two of the English-only words, or one in a text of ASCII only
        english = _ENGLISH.intersection(low) if self.detect_language else None
        if english is not None and (not english or (len(english) < 2 and not text.isascii())):
            from socialwatch.scoring.language import detect

            language = detect(text)[0] if low else None
        names = [c[0] for c in cues]
        if not SUGGESTION_TRIGGERS.isdisjoint(low) and SUGGESTION.search(text.lower()):
            names.append("suggestion")
        if problem:
            names.append("problem")
        feats, toks, values = features(text, low, compound, points / self.angry_threshold, names, bool(risk))
        return vs, low, points, cues, risk, language, feats, toks, values

    def analyze(self, text: str) -> Analysis:
        """Everything the text alone tells (sentiment, cues, risk, language, the model's flags)."""
        vs, low, points, cues, risk, language, feats, toks, values = self.text_features(text)
        if language is not None and language != "en":
            return self._other_language(text, low, language, points, cues, risk)
        if len(low) <= 3 and not _has_words(text):  # a bare handle, a link, an emoji, nothing
            prediction = {"complaint": (False, 0.0), "needs_response": (False, 0.0), "angry": (False, 0.0),
                          "intent": ("other", 1.0)}
            return Analysis(vs["compound"], vs["pos"], vs["neu"], vs["neg"], points, cues, risk, language,
                            prediction, {}, "no words to read")
        prediction = self.model.predict(feats, toks, values)
        explain = prediction.pop("explain")
        if "cue:suggestion" in feats and prediction["intent"][0] in ("question", "request", "praise", "other"):
            # a suggestion addressed to the brand is feedback, and needs a response (guidelines)
            prediction["intent"] = ("feedback", prediction["intent"][1])
            prediction["needs_response"] = (True, prediction["needs_response"][1])
        rule = adjust(prediction, text, low, cues, "cue:problem" in feats, vs["compound"])
        if rule:
            prediction["rule"] = rule
        return Analysis(vs["compound"], vs["pos"], vs["neu"], vs["neg"], points, cues, risk, language, prediction,
                        explain, None)

    def _other_language(self, text: str, low: list[str], language: str, points: float, cues: list,
                        risk: list) -> Analysis:
        """A text in a language without a scorer of ours: no sentiment (never a fake neutral);
        needs a response unless it only thanks; a question when it asks one."""
        from socialwatch.scoring.language import name

        asks = "?" in text or "？" in text or "¿" in text
        thanks = not THANKS_WORDS.isdisjoint(w.strip("!.,¡") for w in low)
        intent = "question" if asks else "praise" if thanks else "other"
        prediction = {"complaint": (False, 0.0), "needs_response": (asks or not thanks, 0.5),
                      "angry": (False, 0.0), "intent": (intent, 0.5)}
        explain, said = {}, langcues.find(text)  # complaint, churn and anger cues of other languages
        if said:
            points, cues = langcues.anger(said)
            if "churn" in said or "complaint" in said and ("resolved" not in said or "anger" in said):
                why = f"{'complaint' if 'complaint' in said else 'churn'} cue '{said.get('complaint') or said['churn']}'"
                prediction = {"complaint": (True, 1.0), "needs_response": (True, 1.0),
                              "angry": (points >= 2 * self.angry_threshold, 1.0 if points >= 2 * self.angry_threshold
                                        else 0.0), "intent": ("complaint", 1.0)}
                explain = {"complaint": why, "needs_response": why}
        scored = self.score_language(text, language) if language in self.languages else None
        note = f"sentiment not scored for {name(language)}"
        compound = pos = neu = neg = None
        if scored:
            compound, pos, neu, neg = (scored.get(k) for k in ("compound", "pos", "neu", "neg"))
            confidence = float(scored.get("intent_confidence") or 1.0)
            for flag in ("complaint", "needs_response", "angry"):
                if flag in scored:
                    # the plugin's confidence in a complaint is its probability (not a made-up 1.00)
                    sure = confidence if flag == "complaint" and scored.get("intent") == "complaint" else 1.0
                    prediction[flag] = (bool(scored[flag]), sure if scored[flag] else 1.0 - sure)
            if scored.get("intent") in classifier.INTENTS:
                prediction["intent"] = (scored["intent"], confidence)
            elif prediction["complaint"][0]:
                prediction["intent"] = ("complaint", 1.0)
            note = f"scored for {name(language)} by {type(self).__name__}"
        if not said and not scored:
            points, cues = 0.0, []
        return Analysis(compound, pos, neu, neg, points, cues, risk, language, prediction, explain, note)

    # -- composition -------------------------------------------------------------------------------

    def score_text(self, text: str) -> dict:
        """The score of a bare text (no author, metrics, kind or age)."""
        return self.compose(self.analyze(text or ""), {}, None, 0, None)

    def score(self, mention: dict, now: datetime | None = None, boost: int = 0,
              boost_reason: str | None = None) -> dict:
        """The score of a mention (model shape); author, metrics and created_at may be missing."""
        now = _utc(now)
        return self.compose(self.analyze(mention.get("text") or ""), mention, now, boost, boost_reason)

    def score_many(self, mentions: list[dict], now: datetime | None = None) -> list[dict]:
        """Scores equal to `score(m, now)` for each mention; big batches use worker processes."""
        now = _utc(now)
        if self.workers >= 2 and len(mentions) >= max(self.parallel_min, 2) and _can_fork():
            scores = self._score_in_pool(mentions, now)
            if scores is not None:
                return scores
        analyze, compose = self.analyze, self.compose
        return [compose(analyze(m.get("text") or ""), m, now, 0, None) for m in mentions]

    def _score_in_pool(self, mentions: list[dict], now: datetime) -> list[dict] | None:
        """Score in forked workers, which inherit the scorer and the mentions: only index ranges
        go out and scores come back. None when no process could be started."""
        self.warm_up()  # built before forking, so that the workers inherit it
        size = math.ceil(len(mentions) / (self.workers * 4))
        ranges = [(i, min(i + size, len(mentions))) for i in range(0, len(mentions), size)]
        gc.freeze()  # the workers' garbage collector then leaves the inherited objects (and pages) alone
        import multiprocessing

        try:
            pool = multiprocessing.get_context("fork").Pool(self.workers, _init_worker, (self, mentions, now))
        except OSError:  # no processes to be had (limits, sandbox): the caller does the work here
            return None
        finally:
            gc.unfreeze()
        from socialwatch.scoring import scorer as this

        with pool:
            parts = pool.map(this._score_range, ranges, chunksize=1)
        return [score for part in parts for score in part]

    def warm_up(self) -> None:
        """Load VADER, the model and the language model now (before forking workers that
        should share them). The language model loads in a thread meanwhile: fastText reads it
        without holding the interpreter lock, so it costs no time of its own."""
        loader = None
        if self.detect_language:
            import threading

            from socialwatch.scoring import language

            def load() -> None:
                try:
                    language.load()
                except language.LanguageModelMissing:
                    pass  # reported when a text needs it

            loader = threading.Thread(target=load, name="language-model", daemon=True)
            loader.start()
        _ = self.analyzer, self.model
        if loader is not None:
            loader.join()

    def compose(self, a: Analysis, mention: dict, now: datetime | None, boost: int, reason: str | None) -> dict:
        """The score of an analysed text, with the mention's reach, kind and age."""
        w = self.weights
        p = a.prediction
        angry = p["angry"][0]
        complaint = p["complaint"][0] or angry
        intent, confidence = p["intent"]
        if complaint and intent != "complaint":
            intent = "complaint"
        risk = a.risk
        # a risk cue always needs a response, except vulnerability in thanks ("helping my nan, she's 91")
        needs_response = p["needs_response"][0] or bool(risk) and not (
            "praise_only" in p and VULNERABILITY.issuperset([c for c, _ in risk]))
        if needs_response and mention and not risk:
            text = mention.get("text")
            elsewhere = self._addressed_elsewhere(text) if text and text[0] == "@" else None
            if elsewhere:
                needs_response = False
                a = a._replace(note=f"addressed to {elsewhere}, not to the brand")
                a.prediction["needs_response"] = (False, min(a.prediction["needs_response"][1], 0.5))
        reasons, total = reasons_of(a, w, needs_response, complaint, angry, intent)
        viral = False
        if mention:
            viral, factor = viral_factor(mention, now, w["viral"], self.viral_followers, self.viral_velocity)
            if factor is not None:
                reasons.append(factor)
                total += factor["contribution"]
            if mention.get("kind") == "dm" and w["private"]:
                reasons.append({"factor": "private", "contribution": w["private"], "detail": "direct message"})
                total += w["private"]
        priority = finish(reasons, total, needs_response, w, boost, reason)
        score = {
            "compound": a.compound, "pos": a.pos, "neu": a.neu, "neg": a.neg,
            "angry": angry, "viral": viral, "complaint": complaint, "needs_response": needs_response,
            "intent": intent, "intent_confidence": round(confidence, 2),
            "risk": [c for c, _ in risk] if risk else [],
            "language": a.language, "priority": priority, "reasons": reasons,
        }
        if a.compound is None:
            score["sentiment_note"] = a.note
        if needs_response and w["waiting"]:
            score["waiting"] = dict(self._waiting)
        return score


_NOT_WORDS = re.compile(r"@\S+|https?://\S+|www\.\S+")


def _has_words(text: str) -> bool:
    """Whether anything but handles, links, emoji and punctuation is left (a letter)."""
    return any(c.isalpha() for c in _NOT_WORDS.sub(" ", text))


# ---------------------------------------------------------------------------------------------
# Worker processes for score_many (fork start method: workers inherit the scorer and the mentions)

_WORKER: tuple = ()


def _init_worker(scorer: Scorer, mentions: list[dict], now: datetime) -> None:
    global _WORKER
    _WORKER = (scorer, mentions, now)


def _score_range(bounds: tuple[int, int]) -> list[dict]:
    scorer, mentions, now = _WORKER
    analyze, compose = scorer.analyze, scorer.compose
    return [compose(analyze(m.get("text") or ""), m, now, 0, None) for m in mentions[bounds[0] : bounds[1]]]


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def _utc(now: datetime | None) -> datetime:
    """`now`, or the current time, as an aware UTC datetime (a naive one is taken as UTC)."""
    if now is None:
        return utcnow()
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
