"""The application context every command works in: config, store, scorer and agent, each
loaded on first use so that a command pays only for what it touches."""

from __future__ import annotations

import functools
import pathlib
from datetime import datetime
from typing import TYPE_CHECKING

from socialwatch import config as config_mod

if TYPE_CHECKING:
    from socialwatch.routing import Rule
    from socialwatch.scoring import Scorer
    from socialwatch.store import TinyStore


class App:
    """Lazily built collaborators for one command (or one daemon configuration)."""

    def __init__(self, config_path: str | pathlib.Path | None = None, agent: str | None = None) -> None:
        self.config_path = config_path
        self._agent = agent

    @functools.cached_property
    def config(self) -> config_mod.Config:
        return config_mod.load(self.config_path)

    @functools.cached_property
    def store(self) -> "TinyStore":
        from socialwatch.store import store_for

        return store_for(self.config)

    @functools.cached_property
    def scorer(self) -> "Scorer":
        from socialwatch.scoring import load_scorer

        scorer = load_scorer(self.config.scoring)
        if hasattr(scorer, "set_brand"):
            brand = self.config.brand
            scorer.set_brand(list(brand.get("handles") or []), list(brand.get("keywords") or []))
        return scorer

    @functools.cached_property
    def rules(self) -> list["Rule"]:
        from socialwatch.routing import compile_rules

        return compile_rules(self.config.routing)

    @property
    def agent(self) -> str:
        return self._agent or self.config.agent

    def enrich(self, mentions: list[dict], now: datetime | None = None) -> list[dict]:
        """Score and route mentions (in place); returns them."""
        from socialwatch.pipeline import enrich

        return enrich(mentions, self.scorer, self.rules, now=now)
