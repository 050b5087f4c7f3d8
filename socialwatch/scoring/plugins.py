"""Scorer plugins: the entry-point group `socialwatch.scorers` (name = "module:Class").

`[scoring] scorer = "NAME"` selects one; "builtin" (the default) is `scorer.Scorer`. A plugin
class is built with the whole `[scoring]` table and must offer what the built-in offers:
`score(mention, now=None, boost=0, boost_reason=None)`, `score_many(mentions, now=None)` and
`score_text(text)`, returning scores of the shape the package docstring describes, plus the
attributes `workers` and `weights`. The easy way is to subclass `Scorer`: to add a language,
list it in `languages` and return its sentiment (and any flags you can tell) from
`score_language(text, language)`; keys of your own go in a `[scoring.NAME]`-style table that
your class removes from the settings before calling `Scorer.__init__`.
"""

from __future__ import annotations

from typing import Any

from socialwatch.errors import ConfigError

ENTRY_POINT_GROUP = "socialwatch.scorers"
BUILTIN = "builtin"


def scorer_class(name: str) -> type:
    """The class registered under `name` (the built-in for "builtin"); ConfigError when none is."""
    from socialwatch.scoring.scorer import Scorer

    if name == BUILTIN:
        return Scorer
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        known = sorted({BUILTIN, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})
        raise ConfigError(f"unknown scorer {name!r} (known: {', '.join(known)})", key="scoring.scorer")
    try:
        cls = found[0].load()
    except Exception as exc:  # a broken plugin is a configuration problem, said in one line
        raise ConfigError(f"scorer {name!r} could not be loaded: {type(exc).__name__}: {exc}",
                          key="scoring.scorer") from None
    if not isinstance(cls, type) or not all(callable(getattr(cls, m, None)) for m in ("score", "score_many", "score_text")):
        raise ConfigError(f"scorer {name!r} is not a scorer class (needs score, score_many, score_text)",
                          key="scoring.scorer")
    return cls


def load_scorer(settings: dict | None = None) -> Any:
    """The scorer the `[scoring]` table selects, built with that table."""
    from socialwatch.scoring.settings import scorer_name

    table = settings or {}
    if not isinstance(table, dict):
        raise ConfigError("expected a table", key="scoring")
    return scorer_class(scorer_name(table))(table)
