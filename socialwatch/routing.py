"""Routing rules: keyword, source, language and score conditions that tag, assign a team and
boost priority.

Each `[[routing]]` table is one rule; every condition present must hold (keywords: any of
them, case-insensitive, whole words or phrases). Matching rules add their tags, set the team
(the first matching rule's team wins) and add their boost to the priority, which the score's
reasons show as "routing: NAME".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rule:
    name: str
    keywords: re.Pattern[str] | None = None
    sources: set[str] = field(default_factory=set)
    platforms: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    angry: bool | None = None
    viral: bool | None = None
    min_priority: int | None = None
    needs_response: bool | None = None
    complaint: bool | None = None
    languages: set[str] = field(default_factory=set)
    intents: set[str] = field(default_factory=set)
    risks: set[str] = field(default_factory=set)  # categories, groups expanded
    tags: list[str] = field(default_factory=list)
    team: str | None = None
    boost: int = 0
    #: The keywords in lower case when all are ASCII: an ASCII text holding none of them cannot
    #: match `keywords`, which saves the regular expression search on most texts.
    needles: tuple[str, ...] | None = None

    def matches(self, mention: dict, score: dict) -> bool:
        if self.sources and mention.get("source") not in self.sources:
            return False
        if self.platforms and mention.get("platform") not in self.platforms:
            return False
        if self.kinds and mention.get("kind") not in self.kinds:
            return False
        if self.angry is not None and bool(score.get("angry")) != self.angry:
            return False
        if self.viral is not None and bool(score.get("viral")) != self.viral:
            return False
        if self.min_priority is not None and int(score.get("priority", 0)) < self.min_priority:
            return False
        if self.needs_response is not None and bool(score.get("needs_response")) != self.needs_response:
            return False
        if self.complaint is not None and bool(score.get("complaint")) != self.complaint:
            return False
        if self.languages and (score.get("language") or mention.get("lang") or "").lower() not in self.languages:
            return False
        if self.intents and score.get("intent") not in self.intents:
            return False
        if self.risks and self.risks.isdisjoint(score.get("risk") or ()):
            return False
        if self.keywords is not None:
            text = mention.get("text") or ""
            if self.needles is not None and text.isascii():
                low = text.lower()
                for needle in self.needles:
                    if needle in low:
                        break
                else:
                    return False
            if not self.keywords.search(text):
                return False
        return True


def compile_rules(tables: list[dict]) -> list[Rule]:
    """Rules from the validated `[[routing]]` tables."""
    rules = []
    for i, t in enumerate(tables):
        words = [w for w in t.get("keywords", []) if isinstance(w, str) and w.strip()]
        pattern = None
        needles = None
        if words:
            alternatives = "|".join(re.escape(w.strip()) for w in sorted(words, key=len, reverse=True))
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
            if all(w.isascii() for w in words):
                needles = tuple(dict.fromkeys(w.strip().lower() for w in words))
        rules.append(
            Rule(
                name=str(t.get("name") or f"rule {i + 1}"),
                keywords=pattern,
                sources=set(t.get("sources", [])),
                platforms=set(t.get("platforms", [])),
                kinds=set(t.get("kinds", [])),
                angry=t.get("angry"),
                viral=t.get("viral"),
                min_priority=t.get("min_priority"),
                needs_response=t.get("needs_response"),
                complaint=t.get("complaint"),
                languages={str(x).strip().lower() for x in t.get("language", [])},
                intents=set(t.get("intent", [])),
                risks=_risk_categories(t.get("risk", [])),
                tags=[str(x) for x in t.get("tags", [])],
                team=t.get("team"),
                boost=int(t.get("boost", 0)),
                needles=needles,
            )
        )
    return rules


def _risk_categories(names: list[str]) -> set[str]:
    """Risk categories, the group "vulnerability" standing for elderly, disabled, bereavement, medical."""
    out: set[str] = set()
    for name in names:
        out.update(("elderly", "disabled", "bereavement", "medical") if name == "vulnerability" else (name,))
    return out


def route(mention: dict, score: dict, rules: list[Rule]) -> dict[str, Any]:
    """Apply the rules: returns {"tags": [...], "team": str|None, "boost": int, "matched": [names]}."""
    tags: list[str] = []
    team = None
    boost = 0
    matched = []
    for rule in rules:
        if rule.matches(mention, score):
            matched.append(rule.name)
            tags.extend(t for t in rule.tags if t not in tags)
            team = team or rule.team
            boost += rule.boost
    return {"tags": tags, "team": team, "boost": boost, "matched": matched}
