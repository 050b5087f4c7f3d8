"""Documents and rows of the PostgreSQL store: JSON as jsonb (with the exact bytes kept when a
document holds a NUL), and the mentions table's row for a mention."""

from __future__ import annotations

from typing import Any

import orjson

from socialwatch import model
from socialwatch.store import Mention, RowCodec


def _jsonb_field(doc: str) -> bytes:
    """A JSON text as jsonb's binary COPY field (format version 1, then the text), sent as it is:
    psycopg's jsonb dumper would encode a str again, as a JSON string."""
    return b"\x01" + doc.encode("utf-8")



def encode(doc: dict) -> tuple[str, bytes | None]:
    """(jsonb text, exact bytes when the document holds a NUL that jsonb cannot)."""
    data = orjson.dumps(doc)
    if b"\\u0000" not in data:
        return data.decode("utf-8"), None
    return data.replace(b"\\u0000", b"\\ufffd").decode("utf-8"), data


def decode(doc: Any, raw: bytes | memoryview | None) -> dict:
    if raw is not None:
        return orjson.loads(bytes(raw))
    if isinstance(doc, (str, bytes)):
        return orjson.loads(doc)
    return doc


def _text(value: Any) -> str | None:
    """A value for an indexed text column (None unless a string; NUL, which text cannot hold,
    becomes U+FFFD there, while the document keeps the original)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else None


Row = tuple  # (id, doc, raw, status, is_open, priority, created_at, assignee, source, author_key)


def encode_row(m: Mention) -> Row:
    """The mentions table's row for a mention (`_COLUMNS`); a pure function, so that an import
    can encode in the worker process that scored the mention."""
    doc, raw = encode(m)
    handle = (m.get("author") or {}).get("handle")
    return (m["id"], doc, raw, _text(m.get("status")) or "new", model.is_open(m), model.effective_priority(m),
            _text(m.get("created_at")) or "", _text(m.get("assignee")), _text(m.get("source")),
            _text(handle.lower()) if isinstance(handle, str) and handle else None)


def _row_id(row: Row) -> str:
    return row[0]


def _decode_row(row: Row) -> Mention:
    return decode(row[1], row[2])


def _plain_row(row: Row) -> bool:
    return row[2] is None  # (the exact bytes of a document holding a NUL are no JSON)


ROWS = RowCodec(encode_row, _decode_row, _plain_row)
