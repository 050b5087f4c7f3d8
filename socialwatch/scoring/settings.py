"""The `[scoring]` table of the configuration: defaults and validation (every key is optional).

    key                type     default  meaning
    scorer             string   builtin  the scorer plugin (entry-point group `socialwatch.scorers`)
    weights            table    see DEFAULT_WEIGHTS: maximum points per priority factor, numbers
                                         >= 0 (a missing factor keeps its default)
    angry_threshold    number   1.0      anger cue points that count as "fully angry" in the
                                         model's anger feature (> 0)
    thresholds         table    {}       probabilities (0..1) at which complaint,
                                         needs_response and angry are set, overriding the
                                         trained model's (for example {needs_response = 0.4})
    viral_followers    integer  10000    followers at which the author alone makes a mention viral
    viral_velocity     number   50       likes + reposts + replies + quotes per hour since
                                         created_at at which a mention is viral
    waiting_cap_hours  number   24       unanswered time at which the waiting factor is full
    detect_language    boolean  true     detect each text's language (false: every text is
                                         taken as English)
    lexicon            table    {}       extra VADER words and their valences, -4 to 4, one
                                         word per key (for example {outage = -2.5})
    anger_words        list     []       extra anger words or phrases (whole words, any case)
    churn_words        list     []       extra churn phrases (whole words, any case)
    risk_words         table    {}       extra risk phrases per category ({fraud = ["fake invoice"]})
    workers            integer  2        forked processes for `score_many` on big batches
    parallel_min       integer  3000     smallest batch that `score_many` spreads over processes

An unknown key or a value of the wrong type raises `ConfigError` naming the key ("scoring.X").
"""

from __future__ import annotations

import math
from typing import Any

from socialwatch.errors import ConfigError

#: Maximum points per priority factor (see `priority`).
DEFAULT_WEIGHTS: dict[str, float] = {
    "needs_response": 40,
    "complaint": 15,
    "risk": 25,
    "question": 5,
    "anger": 15,
    "negativity": 10,
    "viral": 15,
    "private": 5,
    "waiting": 15,
}
DEFAULTS: dict[str, Any] = {
    "angry_threshold": 1.0,
    "viral_followers": 10_000,
    "viral_velocity": 50.0,
    "waiting_cap_hours": 24.0,
    "workers": 2,
    "parallel_min": 3000,
}
THRESHOLDS = ("complaint", "needs_response", "angry")
SETTINGS_KEYS = ("scorer", "weights", *DEFAULTS, "thresholds", "detect_language", "lexicon", "anger_words",
                 "churn_words", "risk_words")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(settings: dict, key: str, *, strict: bool = True, integer: bool = False) -> Any:
    """A number setting: > 0 (strict) or >= 0."""
    value = settings.get(key, DEFAULTS[key])
    if not is_number(value) or (integer and not isinstance(value, int)):
        kind = "an integer" if integer else "a number"
        raise ConfigError(f"expected {kind}, got {value!r:.40}", key=f"scoring.{key}")
    if value < 0 or (strict and value == 0):
        raise ConfigError(f"must be {'>' if strict else '>='} 0, got {value!r}", key=f"scoring.{key}")
    return value


def weights(value: Any) -> dict[str, float]:
    if value is None:
        return dict(DEFAULT_WEIGHTS)
    if not isinstance(value, dict):
        raise ConfigError("expected a table such as {anger = 15}", key="scoring.weights")
    out = dict(DEFAULT_WEIGHTS)
    for name, weight in value.items():
        if name not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise ConfigError(f"unknown factor (known: {known})", key=f"scoring.weights.{name}")
        if not is_number(weight) or weight < 0:
            raise ConfigError(f"expected a number >= 0, got {weight!r:.40}", key=f"scoring.weights.{name}")
        out[name] = float(weight)
    return out


def thresholds(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("expected a table such as {needs_response = 0.4}", key="scoring.thresholds")
    out = {}
    for name, p in value.items():
        if name not in THRESHOLDS:
            raise ConfigError(f"unknown flag (known: {', '.join(THRESHOLDS)})", key=f"scoring.thresholds.{name}")
        if not is_number(p) or not 0 < p < 1:
            raise ConfigError(f"expected a probability between 0 and 1, got {p!r:.40}", key=f"scoring.thresholds.{name}")
        out[name] = float(p)
    return out


def flag(settings: dict, key: str, default: bool) -> bool:
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {value!r:.40}", key=f"scoring.{key}")
    return value


def lexicon(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("expected a table of word = valence", key="scoring.lexicon")
    out = {}
    for word, valence in value.items():
        key = f"scoring.lexicon.{word}"
        if not isinstance(word, str) or len(word.split()) != 1:
            raise ConfigError("each key must be a single word (VADER scores words one by one)", key=key)
        if not is_number(valence) or not -4 <= valence <= 4:
            raise ConfigError(f"expected a valence between -4 and 4, got {valence!r:.40}", key=key)
        out[word.strip().lower()] = float(valence)
    return out


def phrase_list(value: Any, key: str) -> list[str]:
    from socialwatch.scoring.cues import index_word

    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ConfigError("expected a list of strings", key=f"scoring.{key}")
    for phrase in value:
        if index_word(phrase.lower()) is None:
            raise ConfigError(f"needs a word of two or more letters, got {phrase!r:.40}", key=f"scoring.{key}")
    return value


def risk_words(value: Any) -> dict[str, list[str]]:
    from socialwatch.scoring.risk import CATEGORIES

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError("expected a table such as {fraud = [\"fake invoice\"]}", key="scoring.risk_words")
    out = {}
    for category, phrases in value.items():
        if category not in CATEGORIES:
            raise ConfigError(f"unknown risk category (known: {', '.join(CATEGORIES)})",
                              key=f"scoring.risk_words.{category}")
        out[category] = phrase_list(phrases, f"risk_words.{category}")
    return out


def scorer_name(settings: dict) -> str:
    value = settings.get("scorer", "builtin")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"expected a scorer name, got {value!r:.40}", key="scoring.scorer")
    return value.strip()
