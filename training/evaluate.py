"""The held-out quality table: the built-in scorer against the held-out split of the labels.

    python training/train_intent.py --evaluate      (or python -m training.evaluate)

Standard library only (the tests use `measure` for their quality floors). The figures are
those of `Scorer.score_text` on each held-out tweet (no author, reach or age), so the
priority's ranking comes from the text alone; non-English tweets are included and scored as
the scorer scores them (by the fallback rules).
"""

from __future__ import annotations

import pathlib
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from training import dataset  # noqa: E402


def f1(gold: list[bool], predicted: list[bool]) -> tuple[float, float, float]:
    """(F1, precision, recall)."""
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return (2 * tp / (2 * tp + fp + fn) if tp else 0.0), precision, recall


def auc(gold: list[bool], scores: list[float]) -> float:
    """Area under the ROC curve (ties count half)."""
    pos = [s for g, s in zip(gold, scores, strict=True) if g]
    neg = [s for g, s in zip(gold, scores, strict=True) if not g]
    if not pos or not neg:
        return float("nan")
    ranked = sorted(scores)
    rank: dict[float, float] = {}
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j] == ranked[i]:
            j += 1
        rank[ranked[i]] = (i + j + 1) / 2  # average 1-based rank of the ties
        i = j
    total = sum(rank[s] for s in pos)
    return (total - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def measure(rows: list[dict] | None = None, scorer=None) -> dict:
    """The quality figures of `scorer` (default: the built-in) on `rows` (default: held out)."""
    from socialwatch.scoring import Scorer

    rows = dataset.split()[1] if rows is None else rows
    scorer = scorer or Scorer()
    scores = [scorer.score_text(r["text"]) for r in rows]
    gold = {k: [r[k] == "1" for r in rows] for k in ("complaint", "needs_response", "angry")}
    out: dict = {"rows": len(rows)}
    for k in gold:
        out[k] = f1(gold[k], [bool(s[k]) for s in scores])
    out["priority_auc"] = auc(gold["needs_response"], [s["priority"] for s in scores])
    out["intent_accuracy"] = statistics.mean(s["intent"] == r["intent"] for s, r in zip(scores, rows, strict=True))
    per_intent = {}
    for name in sorted({r["intent"] for r in rows}):
        per_intent[name] = f1([r["intent"] == name for r in rows], [s["intent"] == name for s in scores])[0]
    out["intent_f1"] = per_intent
    out["intent_macro_f1"] = statistics.mean(per_intent.values())
    compound = [s["compound"] if s["compound"] is not None else 0.0 for s in scores]
    out["baseline_auc_vader"] = auc(gold["needs_response"], [-c for c in compound])
    out["baseline_complaint_negative_or_angry"] = f1(gold["complaint"], [c <= -0.05 or s["angry"]
                                                                          for c, s in zip(compound, scores, strict=True)])
    out["not_english"] = sum(1 for s in scores if s["language"] not in ("en", None))
    return out


def main() -> int:
    train, held = dataset.split()
    m = measure(held)
    print(f"held-out split: {m['rows']} of {len(train) + len(held)} labelled tweets "
          f"(hash of tweet_id, {dataset.HELD_OUT_PERCENT}%); {m['not_english']} not in English")
    print(f"{'measure':38} {'value':>6}  precision  recall")
    for k, target in (("complaint", 0.80), ("needs_response", 0.85), ("angry", 0.62)):
        v, p, r = m[k]
        print(f"{k + ' F1':38} {v:6.3f}  {p:9.3f}  {r:6.3f}   (target >= {target})")
    print(f"{'priority ROC AUC for needs_response':38} {m['priority_auc']:6.3f}             (target >= 0.85)")
    print(f"{'intent accuracy':38} {m['intent_accuracy']:6.3f}")
    print(f"{'intent macro F1':38} {m['intent_macro_f1']:6.3f}   "
          + ", ".join(f"{k} {v:.2f}" for k, v in m["intent_f1"].items()))
    print(f"{'baseline: -compound AUC for needs_resp.':38} {m['baseline_auc_vader']:6.3f}")
    b = m["baseline_complaint_negative_or_angry"]
    print(f"{'baseline: complaint = negative or angry':38} {b[0]:6.3f}  {b[1]:9.3f}  {b[2]:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
