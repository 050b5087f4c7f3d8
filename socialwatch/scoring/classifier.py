"""The learned part of scoring: a linear model over words, cues and VADER's compound.

`intent_model.json` (package data) holds the weights that `training/train_intent.py` learns
from the hand-labelled tweets in tests/data/labels_v2.csv (logistic regression, one weight
per feature and output). Scoring reads only that file: no scikit-learn, no numpy. A text's
features (`features.features`) select their weight rows, which are summed column by column,
so a text costs one dictionary look-up per word and word pair.

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

import heapq
import math
import pathlib
from typing import Any

from socialwatch.scoring.features import NUMERIC

MODEL_FILE = pathlib.Path(__file__).with_name("intent_model.json")
INTENTS = ("complaint", "question", "request", "feedback", "praise", "other")
#: The intents with an output of their own (a complaint is the complaint flag; feedback, too rare
#: in the labels to learn, comes from the suggestion cue).
LEARNED_INTENTS = ("question", "request", "praise", "other")
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
        self.bias = tuple(float(b) for b in data["bias"])
        self.weights: dict[str, tuple[float, ...]] = {f: tuple(w) for f, w in data["weights"].items()}
        self.numeric = tuple(tuple(data["numeric"][name]) for name in NUMERIC)
        self.thresholds: dict[str, float] = dict(data["thresholds"])
        self.index = {name: i for i, name in enumerate(self.outputs)}
        self.intent_columns = [(self.index[f"intent:{name}"], name) for name in LEARNED_INTENTS]
        self.info: dict[str, Any] = dict(data.get("trained_on") or {})

    def logits(self, feats: set[str], values: tuple[float, ...]) -> list[float]:
        """The raw score of every output."""
        weights = self.weights
        rows = [weights[f] for f in feats if f in weights]
        rows.append(self.bias)
        for value, w in zip(values, self.numeric, strict=True):
            if value:
                rows.append([x * value for x in w])
        return [sum(column) for column in zip(*rows, strict=True)]

    def predict(self, feats: set[str], values: tuple[float, ...]) -> dict[str, Any]:
        """{complaint, needs_response, angry: (flag, probability); intent: (name, confidence)}."""
        z = self.logits(feats, values)
        index, th = self.index, self.thresholds
        out: dict[str, Any] = {}
        for name in ("complaint", "needs_response", "angry"):
            p = _sigmoid(z[index[name]])
            out[name] = (p >= th[name], p)
        if values[2] >= ANGRY_BY_CUES and not out["angry"][0]:
            out["angry"] = (True, out["angry"][1])
        complaint, p_complaint = out["complaint"]
        if complaint:
            out["intent"] = ("complaint", p_complaint)
        else:
            probs = [(_sigmoid(z[i]), name) for i, name in self.intent_columns]
            total = sum(p for p, _ in probs) or 1.0
            p, name = max(probs)
            out["intent"] = (name, (p / total) * (1.0 - p_complaint))
        return out

    def top(self, feats: set[str], values: tuple[float, ...], output: str, n: int = 3) -> list[tuple[str, float]]:
        """The `n` features that weigh most (either way) in one output, largest first."""
        i = self.index[output]
        weights = self.weights
        pairs = [(f, weights[f][i]) for f in feats if f in weights]
        for name, value, w in zip(NUMERIC, values, self.numeric, strict=True):
            if value:
                pairs.append((name, w[i] * value))
        return heapq.nlargest(n, pairs, key=lambda pair: abs(pair[1]))


def load(path: pathlib.Path | None = None) -> LinearModel:
    """The shipped model (read once per process), or the one at `path`."""
    key = str(path or MODEL_FILE)
    model = _LOADED.get(key)
    if model is None:
        import json

        with open(key, encoding="utf-8") as fh:
            model = _LOADED[key] = LinearModel(json.load(fh))
    return model


def describe(feature: str) -> str:
    """A feature as people read it: a word in quotes, a cue by its name."""
    names = {"_q": "a question mark", "_excl": "an exclamation mark", "_short": "very short",
             "_starts_handle": "starts with a handle", "_vneg": "negative compound", "_vpos": "positive compound",
             "_anger": "anger cue points", "_url": "a link", "_num": "a number", "risk": "a risk cue"}
    if feature in names:
        return names[feature]
    if feature.startswith("cue:"):
        return feature[4:]
    return "'" + feature.replace("_url", "<link>").replace("_num", "<number>") + "'"
