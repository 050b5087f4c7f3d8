"""Scoring: turn a mention into explainable sentiment, flags and a queue priority.

A score (`Scorer.score`) holds:

    compound, pos, neu, neg   VADER's sentiment (`vader`); None, with `sentiment_note` saying
                              "sentiment not scored for <language>", for a text in a language
                              no configured scorer covers (VADER is English-only)
    angry                     the author is clearly angry (`cues` + the learned model)
    viral                     reach or engagement velocity at its thresholds (`priority`)
    complaint                 something went wrong, or dissatisfaction, angry or calm
    needs_response            an agent should reply (a risk cue always sets it)
    intent, intent_confidence complaint, question, request, feedback, praise or other
    risk                      risk cue categories (`risk`): fraud, account_takeover, safety,
                              elderly, disabled, bereavement, medical, legal, press
    language                  ISO 639 code detected offline (`language`), None when the text
                              has no words
    priority, reasons         0..100 and every factor of it (`priority`, `reasons`)
    waiting                   {weight, cap_hours} of the waiting factor that
                              `model.effective_priority` adds at read time (only when a
                              response is needed)

The modules: `vader` (VADER's fast path), `cuewords` and `cues` (anger cues), `risk`,
`language`, `features` and `classifier` (the learned linear model, weights in
`intent_model.json`), `priority` and `reasons` (the factors, `explain`), `settings` (the `[scoring]`
table), `scorer` (the built-in `Scorer`), `plugins` (the `socialwatch.scorers` entry points).
Importing this package loads none of VADER, the language model or the weights: each is read
when the first text is scored.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULTS", "DEFAULT_WEIGHTS", "SETTINGS_KEYS", "Analysis", "Scorer", "explain", "load_scorer"]

_HOMES = {"explain": "reasons", "load_scorer": "plugins", "Analysis": "scorer", "Scorer": "scorer",
          "DEFAULT_WEIGHTS": "settings", "DEFAULTS": "settings", "SETTINGS_KEYS": "settings"}


def __getattr__(name: str) -> Any:
    """The public names, each loaded from its module on first use, so that a command importing
    one small module of the package (the views import `langnames`) loads nothing else."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'socialwatch.scoring' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"socialwatch.scoring.{home}"), name)
    globals()[name] = value
    return value
