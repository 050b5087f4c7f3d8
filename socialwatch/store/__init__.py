"""The store: mentions, source state, replies and the audit trail behind one small interface,
whichever backend holds them (`[store] backend`).

- `SessionBase`, `AddResult`, `RowCodec`, `Mention`: the interface every backend's session keeps
  (one locked read-modify-write: `with store.session() as s: ...`).
- `store_for(config)` / `open_store(path)`: the store a configuration names.
- Backends: `socialwatch.store.tiny` (TinyDB files, the default: `TinyStore`, `Session`) and
  `socialwatch.store.postgres` (`PgStore`), each imported only when it is used; the files layer
  (`files`: atomic writes, multi-file commits, `DocFile`) and the inter-process lock (`locking`)
  under them; `migrate` copies a store from one backend to the other.

`TinyStore`, `Session` and `SEGMENT_SIZE` are importable from here as before the split (loaded
on first use, so that importing the interface loads no backend).
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from socialwatch.errors import NotFound, StoreError

if TYPE_CHECKING:
    from socialwatch.store.tiny import TinyStore

Mention = dict[str, Any]


@dataclass
class AddResult:
    """What `add_mentions` did: ids stored for the first time and ids already present."""

    new: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RowCodec:
    """How a store that writes mentions in a form of its own (a database server's rows) encodes
    a mention for `Session.add_rows` and reads one back: plain functions, safe in any process.
    `plain(row)`: whether the row survives a trip through JSON unchanged."""

    encode: Callable[[Mention], Any]
    decode: Callable[[Any], Mention]
    plain: Callable[[Any], bool]



class SessionBase:
    """What every backend's session shares: `require` and the source state, on top of `get`
    and the state documents each backend implements."""

    def get(self, mention_id: str) -> Mention | None:
        raise NotImplementedError

    def state_get(self, namespace: str, key: str) -> dict | None:
        raise NotImplementedError

    def state_put(self, namespace: str, key: str, doc: dict) -> None:
        raise NotImplementedError

    def state_claim(self, namespace: str, key: str) -> dict | None:
        """A state document taken for this session, or None when it is absent or (on a database)
        another session holds it right now: a queue of work items that several processes drain
        (the default: `state_get`, which the TinyDB store's single lock already serialises)."""
        return self.state_get(namespace, key)

    def state_delete(self, namespace: str, key: str) -> None:
        raise NotImplementedError

    def state_all(self, namespace: str) -> dict[str, dict]:
        raise NotImplementedError

    def add(self, mentions: list[Mention]) -> AddResult:
        raise NotImplementedError

    def add_rows(self, rows: list[Any]) -> AddResult:
        """`add` for mentions encoded by the store's `row_codec` (the mentions themselves
        when it has none)."""
        return self.add(rows)

    def peek(self, mention_id: str) -> Mention | None:
        """The mention as stored, without locking it for this session (a database's sessions lock
        what they `get`; the files' session holds the one store lock anyway)."""
        return self.get(mention_id)

    def conversation_mentions(self, conversation_id: str, handle: str) -> list[Mention]:
        """The stored mentions by `handle` (any case) in the conversation `conversation_id`
        (not locked), found by an index whatever the size of the history."""
        raise NotImplementedError

    def get_in_case(self, mention_id: str) -> Mention | None:
        """`get`, having locked the mention's case root first when it is a follow-up (see
        `cases`): every change to a case locks its root before any other member, so that two
        sessions changing one case wait for each other instead of deadlocking."""
        return self.get(mention_id)

    def require(self, mention_id: str) -> Mention:
        """The mention, or NotFound."""
        mention = self.get(mention_id)
        if mention is None:
            raise NotFound(f"no mention with id {mention_id!r}")
        return mention

    def source_state(self, name: str) -> dict:
        """A source's cursor and health ({"name": name} before its first poll)."""
        return self.state_get("sources", name) or {"name": name}

    def set_source_state(self, name: str, state: dict) -> None:
        self.state_put("sources", name, {**state, "name": name})


def open_store(data_dir: pathlib.Path) -> TinyStore:
    """The TinyDB store of a data directory (created on the first write if it does not exist)."""
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(f"{data_dir} is not a directory")
    from socialwatch.store.tiny import TinyStore

    return TinyStore(data_dir)


def store_for(config: Any) -> Any:
    """The store a configuration names: `[store] backend` "tinydb" (default) or "postgres".

    A data directory set with `[store] path` must exist (`socialwatch init` creates it): a
    mistyped path is a configuration error naming the key, never an empty queue. The default
    data directory (no `path`) is created on the first write.
    """
    from socialwatch.errors import ConfigError
    from socialwatch.store.tiny import TinyStore

    table = config.table("store")
    if table.get("backend", "tinydb") == "postgres":
        from socialwatch.store.postgres import PgStore

        return PgStore(config.resolve_value(table["url"], "store.url"))
    data_dir = config.data_dir
    if "path" not in table:
        return open_store(data_dir)
    where = {"path": str(config.path), "key": "store.path"}
    if not data_dir.exists():
        raise ConfigError(f"the data directory {data_dir} does not exist: fix the path, or run `socialwatch init` "
                          "to create it", **where)
    if not data_dir.is_dir():
        raise ConfigError(f"{data_dir} is not a directory", **where)
    return TinyStore(data_dir, config_file=str(config.path), key="store.path")


#: names of the TinyDB backend importable from here (loaded on first use: see the docstring)
_TINY = ("SEGMENT_SIZE", "Session", "TinyStore")


def __getattr__(name: str) -> Any:
    if name in _TINY:
        from socialwatch.store import tiny

        return getattr(tiny, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AddResult", "Mention", "RowCodec", "SEGMENT_SIZE", "Session", "SessionBase", "TinyStore", "open_store",
           "store_for"]
