"""Reasons: the factors of a priority with their points and what caused them (the words and
cues that weighed most in the model's decisions), and readable rows of them."""

from __future__ import annotations

from typing import Any

from socialwatch.scoring.classifier import describe


def _words(pairs: list[tuple[str, float]]) -> str:
    return ", ".join(f"{describe(f)} {w:+.1f}" for f, w in pairs)


def reasons_of(a: Any, w: dict[str, float], needs_response: bool, complaint: bool, angry: bool,
               intent: str) -> tuple[list[dict], float]:
    """The text's factors (response, intent, risk, anger, negativity) and their total."""
    p = a.prediction
    ex = a.explain
    why = f"; {a.note}" if a.note else ""
    p_needs = p["needs_response"][1]
    if needs_response:
        response = w["needs_response"]
        if a.risk and not p["needs_response"][0]:
            detail = "needs a response: a risk cue"
        else:
            detail = f"needs a response (p {p_needs:.2f}"
            detail += f": {_words(ex['needs_response'])})" if ex.get("needs_response") else f"{why})"
    else:
        response = round(w["needs_response"] * 0.25 * p_needs, 1)
        detail = f"no response needed (p {p_needs:.2f}"
        detail += f": {_words(ex['needs_response'])})" if ex.get("needs_response") else f"{why})"
    reasons = [{"factor": "response", "contribution": response, "detail": detail}]
    total = response

    confidence = p["intent"][1] if p["intent"][0] == intent else p["complaint"][1]
    if intent == "complaint":
        points = w["complaint"]
        detail = f"complaint (p {p['complaint'][1]:.2f}"
        if not p["complaint"][0] and angry:
            detail = "complaint: angry"
        elif ex.get("complaint"):
            detail += f": {_words(ex['complaint'])})"
        else:
            detail += ")"
    else:
        points = w["question"] if intent in ("question", "request") else 0.0
        detail = f"{intent} ({confidence:.2f}{why})" if why else f"{intent} ({confidence:.2f})"
    reasons.append({"factor": "intent", "contribution": points, "detail": detail})
    total += points

    if a.risk:
        extra = min(len(a.risk) - 1, 2)
        points = round(w["risk"] * (1 + 0.2 * extra), 1)
        detail = "; ".join(f"{category.replace('_', ' ')} '{phrase}'" for category, phrase in a.risk)
        reasons.append({"factor": "risk", "contribution": points, "detail": detail})
        total += points

    p_angry = p["angry"][1]
    anger = w["anger"] if angry else round(w["anger"] * 0.3 * p_angry, 1)
    found = "; ".join([f"{name} '{detail}'" for name, _, detail in a.cues]) if a.cues else "no cues"
    detail = f"{'angry' if angry else 'not angry'} (p {p_angry:.2f}; cue points {a.points:.2f}: {found}"
    detail += f"; {_words(ex['angry'])})" if ex.get("angry") else ")"
    reasons.append({"factor": "anger", "contribution": anger, "detail": detail})
    total += anger

    if a.compound is None:
        reasons.append({"factor": "negativity", "contribution": 0.0, "detail": a.note or "sentiment not scored"})
    else:
        negativity = round(w["negativity"] * -a.compound, 1) if a.compound < 0 else 0.0
        detail = f"VADER compound {a.compound:+.2f}" + (f"; {a.note}" if a.note else "")
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
