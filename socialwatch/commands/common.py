"""What every command shares: the group's options (`State`), the mention id argument."""

from __future__ import annotations

from typing import Any

import click


class State:
    """What the group's options give every command."""

    def __init__(self, config: str | None, agent: str | None, traceback: bool) -> None:
        self.config_path = config
        self.agent_name = agent
        self.traceback = traceback
        self._app: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:
            from socialwatch.app import App

            self._app = App(self.config_path, agent=self.agent_name)
        return self._app


pass_state = click.make_pass_decorator(State)


class MentionIdType(click.ParamType):
    """A mention id argument: the full id ("twitter:123…"), or the platform's id alone when
    exactly one stored mention has it (`ids.resolve`), for every command that takes one."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str) or ":" in value:
            return value  # a full id: no store access while parsing
        state = ctx.find_object(State) if ctx is not None else None
        if state is None:
            return value
        from socialwatch.ids import resolve

        return resolve(state.app.store, value)


MENTION_ID = MentionIdType()


def read_only() -> None:
    """A short command that only reads the store: no cyclic garbage collection.

    The store's files parse into millions of small, acyclic objects (5,000 open mentions are
    5 MB of JSON), and each collection the parser's allocations trigger walks all of them
    again: it cost `show` about 20 ms of its 110. Nothing such a command allocates needs the
    cycle collector; reference counting frees it all.
    """
    import gc

    gc.disable()
