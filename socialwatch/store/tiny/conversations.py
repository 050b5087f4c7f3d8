"""The conversation index of the TinyDB store (`conversations/NN.json`, see the package
docstring): how a customer's later message in a thread finds the mentions before it, a mixin of
`Session`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socialwatch.store import Mention
from socialwatch.store.files import read_json
from socialwatch.store.tiny.shards import JsonShard, shard_of

if TYPE_CHECKING:
    from socialwatch.store.tiny.store import TinyStore


class ConversationIndex:
    """The conversation index, for `Session` (which gives `store`, `_shard`, `_shards`, `_tables`,
    `open_table` and `get`)."""

    store: "TinyStore"
    _conversations_ready: bool

    # ---- conversations (see the package docstring) ---------------------------------------------
    def _remember_conversations(self, mentions: list[Mention]) -> None:
        """Add each mention that continues a conversation (its conversation id is not its own id)
        to the conversation index, under its author."""
        todo = [m for m in mentions if _conversation_key(m) is not None]
        if not todo and self._conversations_ready:
            return
        self._ensure_conversations()
        for m in todo:
            self._index_conversation(m)

    def _index_conversation(self, mention: Mention) -> None:
        key = _conversation_key(mention)
        if key is None:
            return
        conversation, handle = key
        shard = self._shard("conversations", shard_of(conversation))
        ids = shard.data.setdefault(conversation, {}).setdefault(handle, [])
        if mention["id"] not in ids:
            ids.append(mention["id"])
            shard.dirty = True

    def _ensure_conversations(self) -> None:
        """Index the conversations of every stored mention once, in a store from before the index
        (the marker file says it is complete): a pass over the whole history, the first time only."""
        if self._conversations_ready:
            return
        self._conversations_ready = True
        marker_path = self.store.conversations_marker()
        if marker_path.exists():
            return
        for m in self.open_table().all():
            self._index_conversation(m)
        archive = self.store.data_dir / "archive"
        numbers = set(self.store.segments()) | {
            int(path.stem[4:]) for path, _ in self._tables if path.parent == archive and path.stem[4:].isdigit()}
        for number in sorted(numbers):
            path = self.store.segment_path(number)
            loaded = self._tables.get((path, "mentions"))
            docs = loaded.all() if loaded is not None else (read_json(path, "archive") or {}).get("mentions", {}).values()
            for m in docs:
                self._index_conversation(m)
        marker = self._shards[("conversations", -1)] = JsonShard(marker_path, "conversations", "built")
        marker.data = {"complete": True}
        marker.dirty = True

    def conversation_mentions(self, conversation_id: str, handle: str) -> list[Mention]:
        """The stored mentions by `handle` (any case) in the conversation `conversation_id`, the
        one whose own id it is included (an index lookup, however long the history)."""
        self._ensure_conversations()
        key = handle.lower()
        ids = list(self._shard("conversations", shard_of(conversation_id)).data.get(conversation_id, {}).get(key, []))
        if conversation_id not in ids:
            ids.insert(0, conversation_id)
        found = []
        for mid in ids:
            m = self.get(mid)
            if (m is not None and m.get("conversation_id") == conversation_id
                    and ((m.get("author") or {}).get("handle") or "").lower() == key):
                found.append(m)
        return found


def _conversation_key(mention: Mention) -> tuple[str, str] | None:
    """(conversation id, lower-cased author handle) of a mention that continues a conversation
    other than itself, else None."""
    conversation = mention.get("conversation_id")
    if not conversation or not isinstance(conversation, str) or conversation == mention.get("id"):
        return None
    handle = (mention.get("author") or {}).get("handle")
    if not handle or not isinstance(handle, str):
        return None
    return conversation, handle.lower()
