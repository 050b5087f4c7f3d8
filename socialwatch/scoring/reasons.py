"""Reasons: the factors of a priority with their points and what caused them (the words and
cues that weighed most in the model's decisions), and readable rows of them."""

from __future__ import annotations

from typing import Any

#: Probabilities as shown ("0.93"), by hundredths: formatting floats is a good part of the cost
#: of composing a score on ingest.
_P = [f"{i / 100:.2f}" for i in range(101)]
#: Cue points ("0.67") and compounds ("-0.54") as shown, formatted once per value (both have a
#: few thousand values at most: points are rounded to 3 decimals, compounds to 4). Zero is never
#: looked up: 0.0 and -0.0 are one key but are shown differently.
_POINTS: dict[float, str] = {}
_COMPOUNDS: dict[float, str] = {}
_MOODS: dict[float, str] = {}
_CACHED = 20_000


def _p(value: float) -> str:
    return _P[int(value * 100 + 0.5)]


def _points(value: float) -> str:
    shown = _POINTS.get(value) if value else None
    if shown is None:
        shown = f"{value:.2f}"
        if value and len(_POINTS) < _CACHED:
            _POINTS[value] = shown
    return shown


def _mood(value: float) -> str:
    """The part of the anger points that comes from VADER's compound, as shown (cached)."""
    shown = _MOODS.get(value)
    if shown is None:
        shown = ("negative" if value > 0 else "positive") + f" sentiment {value:+.2f}"
        if len(_MOODS) < _CACHED:
            _MOODS[value] = shown
    return shown


def _compound(value: float) -> str:
    shown = _COMPOUNDS.get(value) if value else None
    if shown is None:
        shown = f"VADER compound {value:+.2f}"
        if value and len(_COMPOUNDS) < _CACHED:
            _COMPOUNDS[value] = shown
    return shown


def reasons_of(a: Any, w: dict[str, float], needs_response: bool, complaint: bool, angry: bool,
               intent: str) -> tuple[list[dict], float]:
    """The text's factors (response, intent, risk, anger, negativity) and their total."""
    p = a.prediction
    ex = a.explain
    note = a.note
    why = "; " + note if note else ""
    rule = p.get("rule")  # a tone rule over the model (`tone`)
    needed, p_needs = p["needs_response"]
    words = ex.get("needs_response") if ex else None
    tail = ": " + words + ")" if words else why + ")"
    if needs_response:
        response = w["needs_response"]
        detail = "needs a response: a risk cue" if a.risk and not needed else "needs a response (p " + _p(p_needs) + tail
    else:
        response = round(w["needs_response"] * 0.25 * p_needs, 1)
        if note and note.startswith("addressed to"):
            detail = "no response needed: " + note
        else:
            detail = "no response needed (p " + _p(p_needs) + tail
    if rule:
        detail += "; " + rule
    reasons = [{"factor": "response", "contribution": response, "detail": detail}]
    total = response

    if intent == "complaint":
        points = w["complaint"]
        said, p_complaint = p["complaint"]
        if not said and angry:
            detail = "complaint: angry"
        else:
            words = ex.get("complaint") if ex else None
            detail = "complaint (p " + _p(p_complaint) + (": " + words + ")" if words else ")")
    else:
        points = w["question"] if intent == "question" or intent == "request" else 0.0
        predicted = p["intent"]
        confidence = predicted[1] if predicted[0] == intent else p["complaint"][1]
        detail = intent + " (" + _p(confidence) + why + ")"
    reasons.append({"factor": "intent", "contribution": points, "detail": detail})
    total += points

    if a.risk:
        extra = min(len(a.risk) - 1, 2)
        points = round(w["risk"] * (1 + 0.2 * extra), 1)
        detail = "; ".join([f"{category.replace('_', ' ')} '{phrase}'" for category, phrase in a.risk])
        if not needs_response:  # vulnerability in thanks only: listed, no points, no response forced
            points = 0.0
            detail += " (in thanks only: no response forced)"
        reasons.append({"factor": "risk", "contribution": points, "detail": detail})
        total += points

    said, p_angry = p["angry"]
    anger = w["anger"] if angry else round(w["anger"] * 0.3 * p_angry, 1)
    found = "; ".join([f"{name} '{detail}'" for name, _, detail in a.cues]) if a.cues else ""
    mood = round(a.points - sum([c[1] for c in a.cues]), 2) if a.cues else round(a.points, 2)  # VADER's part
    if mood:
        found += ("; " if found else "") + _mood(mood)
    found = found or "no cues"
    detail = ("angry (p " if angry else "not angry (p ") + _p(p_angry) + "; cue points " + _points(a.points) + ": " + found + ")"
    reasons.append({"factor": "anger", "contribution": anger, "detail": detail})
    total += anger

    compound = a.compound
    if compound is None:
        reasons.append({"factor": "negativity", "contribution": 0.0, "detail": note or "sentiment not scored"})
    else:
        negativity = round(w["negativity"] * -compound, 1) if compound < 0 else 0.0
        detail = _compound(compound)
        if note and note.startswith("scored for"):
            detail += "; " + note
        reasons.append({"factor": "negativity", "contribution": negativity, "detail": detail})
        total += negativity
    return reasons, total


def _is_number(value: Any) -> bool:
    import math

    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def explain(score: dict) -> list[tuple[str, str, str]]:
    """Rows (factor, contribution, detail) for a readable table, ending with the priority."""
    rows = []
    for r in score.get("reasons") or []:
        value = r.get("contribution", 0)
        shown = f"{value:+.1f}" if _is_number(value) else str(value)
        rows.append((str(r.get("factor", "?")), shown, str(r.get("detail", ""))))
    flags = [name for name in ("needs_response", "complaint", "angry", "viral") if score.get(name)]
    flags += [f"risk: {r}" for r in score.get("risk") or []]
    rows.append(("priority", str(score.get("priority", 0)), ", ".join(flags) or "-"))
    return rows
