"""The learned part of scoring: a linear model over words, cues and VADER's compound.

`intent_model.json` (package data) holds the weights that `training/train_intent.py` learns
from the hand-labelled tweets in tests/data/labels_v2.csv (logistic regression, one weight
per feature and output). Scoring reads only that file: no scikit-learn, no numpy. A text's
features (`features.features`) select their weight rows, which are summed column by column,
so a text costs two set intersections (its words, its word pairs as tuples: no pair string
is built) and one dictionary look-up per feature found.

Outputs (each a logistic regression; a probability is the sigmoid of bias + the sum of the
weights of the features present, plus the numeric features times their weights):

    complaint          something went wrong, or dissatisfaction (see the labelling guidelines)
    needs_response     an agent should reply
    angry              the author is clearly angry (the anger cue points are one feature)
    intent:NAME        one against the rest for question, request, praise and other: the
                       intent of a mention that is not a complaint is the most likely of
                       these (feedback, too rare in the labels to learn, comes from the
                       suggestion cue: "please add", "you should", "would love")

Every flag compares its probability with the threshold the training script chose by
cross-validation on the training split (stored in the file). A text is also angry when its
anger cue points reach twice `angry_threshold` (`ANGRY_BY_CUES`): strong cues are enough on
their own (cross-validation on the training split: F1 0.649 against 0.641 without). Each word's or cue's
contribution to a decision is its weight: `explain` lists the largest ones as reasons.
"""

from __future__ import annotations

import math
import pathlib
from itertools import pairwise
from typing import Any

from socialwatch.scoring.features import NUMERIC

MODEL_FILE = pathlib.Path(__file__).with_name("intent_model.json")
INTENTS = ("complaint", "question", "request", "feedback", "praise", "other")
#: The intents with an output of their own (a complaint is the complaint flag; feedback, too rare
#: in the labels to learn, comes from the suggestion cue).
LEARNED_INTENTS = ("question", "request", "praise", "other")
#: Contributions below this are too small to name as a reason.
STRONG = 0.3
#: Anger cue points (over `angry_threshold`) that make a text angry whatever the model says.
ANGRY_BY_CUES = 2.0

_LOADED: dict[str, "LinearModel"] = {}


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class LinearModel:
    """Weights per feature for several logistic-regression outputs (see the module docstring)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.outputs: list[str] = list(data["outputs"])
        # Weights in ten-thousandths (the file rounds them to 4 decimals), as floats holding whole
        # numbers: their sums are exact whatever order a set yields a text's features in, so a
        # text gets the same probabilities in every process (sums of the weights themselves, in
        # set order, differed in the last bits from run to run, which could break a tie between
        # two intents). The numeric features are added after them, always in the same order.
        self.bias = tuple([_units(b) for b in data["bias"]])
        self.numeric = tuple(tuple([_units(x) for x in data["numeric"][name]]) for name in NUMERIC)
        self._numeric_weights = tuple(tuple([float(x) for x in data["numeric"][name]]) for name in NUMERIC)
        self.thresholds: dict[str, float] = dict(data["thresholds"])
        self.index = {name: i for i, name in enumerate(self.outputs)}
        self.intent_columns = [(self.index[f"intent:{name}"], name) for name in LEARNED_INTENTS]
        self.info: dict[str, Any] = dict(data.get("trained_on") or {})
        self._flag_columns = tuple(self.index[name] for name in ("complaint", "needs_response", "angry"))
        self._flag_thresholds = tuple(self.thresholds[name] for name in ("complaint", "needs_response", "angry"))
        # The explained outputs: the features of some weight in each (|weight| >= STRONG) and
        # their labels, made once here; numeric features get theirs on first use.
        self._explained = (self.index["needs_response"], self.index["complaint"])
        # single words and flags by name, word pairs by the tuple (first, second)
        self.weights: dict = {}
        # feature -> ((size, label) or None for needs_response, the same for complaint)
        self._strong_either: dict = {}
        n, c = self._explained
        for f, w in data["weights"].items():
            key: str | tuple[str, str] = f
            if " " in f:
                first, second = f.split(" ", 1)
                key = (first, second)
            self.weights[key] = tuple([float(round(x * SCALE)) for x in w])  # (see _units)
            wn, wc = w[n], w[c]
            if wn >= STRONG or wn <= -STRONG or wc >= STRONG or wc <= -STRONG:
                self._strong_either[key] = (_label(key, wn) if abs(wn) >= STRONG else None,
                                            _label(key, wc) if abs(wc) >= STRONG else None)
        self.keys = frozenset(self.weights)
        self._strong_keys = frozenset(self._strong_either)
        self._numeric_labels: dict = {}

    def with_thresholds(self, thresholds: dict[str, float]) -> "LinearModel":
        """A copy deciding at other probabilities (the `[scoring] thresholds` table)."""
        other = object.__new__(LinearModel)
        other.__dict__.update(self.__dict__)
        other.thresholds = {**self.thresholds, **thresholds}
        other._flag_thresholds = tuple(other.thresholds[n] for n in ("complaint", "needs_response", "angry"))
        return other

    def present(self, feats: set[str], toks: list[str]) -> set:
        """The features of a text that have weights: names, and word pairs as (first, second)
        tuples. Set intersections in C: no loop over the words here."""
        found = feats & self.keys
        if len(toks) > 1:
            found.update(self.keys.intersection(pairwise(toks)))  # a pair counts once, like a word
        return found

    def logits(self, found: set, values: tuple[float, ...]) -> list[float]:
        """The raw score of every output in 1/SCALE units, given the features present and the
        numeric values (the weights' sum is exact; the numeric features come last, in order)."""
        rows = list(map(self.weights.__getitem__, found))
        rows.append(self.bias)
        v0, v1, v2 = values
        n0, n1, n2 = self.numeric
        if v0:
            rows.append([x * v0 for x in n0])
        if v1:
            rows.append([x * v1 for x in n1])
        if v2:
            rows.append([x * v2 for x in n2])
        return list(map(sum, zip(*rows, strict=False)))  # every row has one weight per output

    def predict(self, feats: set[str], toks: list[str], values: tuple[float, ...], explain: bool = True) -> dict[str, Any]:
        """{complaint, needs_response, angry: (flag, probability); intent: (name, confidence);
        explain: {needs_response, complaint: the three largest contributions, as text}}."""
        found = self.present(feats, toks)
        z = self.logits(found, values)
        c, n, a = self._flag_columns
        th_c, th_n, th_a = self._flag_thresholds
        p_complaint, p_needs, p_angry = _sigmoid(z[c] / SCALE), _sigmoid(z[n] / SCALE), _sigmoid(z[a] / SCALE)
        complaint = p_complaint >= th_c
        out: dict[str, Any] = {
            "complaint": (complaint, p_complaint),
            "needs_response": (p_needs >= th_n, p_needs),
            "angry": (p_angry >= th_a or values[2] >= ANGRY_BY_CUES, p_angry),
        }
        if complaint:
            out["intent"] = ("complaint", p_complaint)
        else:
            probs = [(_sigmoid(z[i] / SCALE), name) for i, name in self.intent_columns]
            total = sum(p for p, _ in probs) or 1.0
            p, name = max(probs)
            out["intent"] = (name, (p / total) * (1.0 - p_complaint))
        if explain:
            out["explain"] = self._explain(found, values, complaint)
        return out

    def _explain(self, present: set, values: tuple[float, ...], complaint: bool) -> dict[str, str]:
        """The three features that weigh most (either way) in needs_response and (for a
        complaint: no other intent shows them) in complaint, as "'word' +1.2, a question mark
        -0.6". Only the features of some weight (`STRONG`) are looked at, and their labels are
        made once, which keeps this cheap on ingest."""
        found = list(map(self._strong_either.__getitem__, self._strong_keys.intersection(present)))
        numeric = self._numeric_labels
        for j, value in enumerate(values):
            if value:
                key = (j, int(value * 20))  # the value to 0.05: labels are shown to 0.1
                label = numeric.get(key)
                if label is None:
                    label = numeric[key] = self._numeric_label(j, value)
                if label is not _NOTHING:
                    found.append(label)
        out = {}
        for k, name in ((0, "needs_response"), (1, "complaint"))[: 2 if complaint else 1]:
            shown = sorted([entry[k] for entry in found if entry[k] is not None], reverse=True)[:3]
            out[name] = ", ".join([label for _, label in shown])
        return out

    def _numeric_label(self, j: int, value: float) -> tuple:
        """((size, label) or None for each explained output) of numeric feature `j` at `value`."""
        entry = []
        for i in self._explained:
            contribution = self._numeric_weights[j][i] * value
            strong = contribution >= STRONG or contribution <= -STRONG
            entry.append((abs(contribution), f"{describe(NUMERIC[j])} {contribution:+.1f}") if strong else None)
        return _NOTHING if entry == [None, None] else tuple(entry)


_NOTHING = ()
#: Weights are held in units of 1/SCALE (the weights file has 4 decimals).
SCALE = 10_000


def _units(weight: float) -> float:
    """A weight of the file in 1/SCALE units: a whole number (the file rounds weights to 4
    decimals), as a float, so that sums of weights are exact and fast."""
    return float(round(float(weight) * SCALE))


def _label(feature: str | tuple[str, str], weight: float) -> tuple[float, str]:
    """(|weight|, "'word' +1.2"): how a feature shows in the reasons."""
    return abs(weight), f"{describe(feature)} {weight:+.1f}"


def name_of(feature: str | tuple[str, str]) -> str:
    """A feature as the weights file names it ("a b" for a word pair)."""
    return feature if isinstance(feature, str) else " ".join(feature)


def load(path: pathlib.Path | None = None) -> LinearModel:
    """The shipped model (read once per process), or the one at `path`."""
    key = str(path or MODEL_FILE)
    model = _LOADED.get(key)
    if model is None:
        import orjson

        with open(key, "rb") as fh:
            model = _LOADED[key] = LinearModel(orjson.loads(fh.read()))
    return model


_NAMES = {"_q": "a question mark", "_excl": "an exclamation mark", "_short": "very short",
          "_starts_handle": "starts with a handle", "_vneg": "negative compound", "_vpos": "positive compound",
          "_anger": "anger cue points", "_url": "a link", "_num": "a number", "risk": "a risk cue",
          "_praise_shape": "positive without a problem or question", "cue:problem": "problem words",
          "cue:suggestion": "a suggestion"}
_DESCRIBED: dict[str, str] = {}


def describe(feature: str | tuple[str, str]) -> str:
    """A feature as people read it: a word or word pair in quotes, a cue by its name."""
    shown = _DESCRIBED.get(feature)
    if shown is None:
        feature = name_of(feature)
        if feature in _NAMES:
            shown = _NAMES[feature]
        elif feature.startswith("cue:"):
            shown = feature[4:]
        else:
            shown = "'" + feature.replace("_url", "<link>").replace("_num", "<number>") + "'"
        if len(_DESCRIBED) < 50_000:
            _DESCRIBED[feature] = shown
    return shown
