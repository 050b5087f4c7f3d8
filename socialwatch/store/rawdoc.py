"""Mentions that reach the TinyDB store already encoded as JSON (`RawDoc`), for bulk imports.

An import scores mentions in worker processes, and the importing process only stores them. If
each mention travelled back as a document, the importing process would decode it (7-8 µs) and
hold it as Python objects (about 8 KB each: 200 MB for 24,000 mentions) until the store file is
written, only to encode it again. A `RawDoc` keeps the worker's encoding as bytes, plus the few
fields the store's session reads (`id`, `status`, the author's handle, `conversation_id`,
`in_reply_to`, `kind`), and the file is written with those bytes spliced in unchanged
(as an `orjson.Fragment` in the file's data).

A file holding RawDocs turns them back into documents the first time it is read in the session
(`materialise`), so that everything else (TinyDB's queries, updates) only ever sees documents.
"""

from __future__ import annotations

from typing import Any

import orjson

from socialwatch.store import Mention, RowCodec

#: the fields a session reads of a mention it adds (see `Session.add`, the author and conversation indexes)
META_FIELDS = ("status", "conversation_id", "in_reply_to", "kind")


class RawDoc:
    """A mention encoded as JSON (`json`), with the fields the store reads of it (`get`, `[]`)."""

    __slots__ = ("json", "meta")

    def __init__(self, json: bytes, meta: dict[str, Any]) -> None:
        self.json = json
        self.meta = meta

    @classmethod
    def of(cls, mention: Mention) -> RawDoc:
        return cls(orjson.dumps(mention), _meta(mention))

    def head(self) -> list:
        """The fields as a short list for a pipe (`from_head` builds the RawDoc again)."""
        m = self.meta
        return [m["id"], *(m.get(k) for k in META_FIELDS), (m.get("author") or {}).get("handle")]

    @classmethod
    def from_head(cls, json: bytes, head: list) -> RawDoc:
        mid, status, conversation, reply_to, kind, handle = head
        meta: dict[str, Any] = {"id": mid, "status": status}
        if conversation is not None:
            meta["conversation_id"] = conversation
        if reply_to is not None:
            meta["in_reply_to"] = reply_to
        if kind is not None:
            meta["kind"] = kind
        if handle is not None:
            meta["author"] = {"handle": handle}
        return cls(json, meta)

    def get(self, key: str, default: Any = None) -> Any:
        return self.meta.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.meta[key]

    def document(self) -> Mention:
        return orjson.loads(self.json)


def _meta(mention: Mention) -> dict[str, Any]:
    meta = {"id": mention["id"]}
    for key in META_FIELDS:
        if key in mention:
            meta[key] = mention[key]
    author = mention.get("author")
    if isinstance(author, dict) and "handle" in author:
        meta["author"] = {"handle": author["handle"]}
    return meta


def materialise(raw: list[tuple[dict, str, RawDoc]]) -> None:
    """Put each RawDoc's document in its table (`rows[key]`) in place of its JSON, emptying `raw`."""
    for rows, key, doc in raw:
        rows[key] = doc.document()
    raw.clear()


FILE_ROWS = RowCodec(RawDoc.of, RawDoc.document, lambda row: False)
