"""Mentions added to the TinyDB store already encoded (`RawDoc`, what a bulk import hands it):
written byte for byte as the documents would be, and documents again whenever they are read
before the session ends."""

from __future__ import annotations

import pathlib

import orjson
import pytest

from socialwatch import model
from socialwatch.store import TinyStore
from socialwatch.store.rawdoc import FILE_ROWS, RawDoc


def mention(i: int, status: str = "new", **extra: object) -> dict:
    m = model.normalize({"id": f"r{i}", "text": f"text {i} \u2028 \U0001f621 \x00", "author": {"handle": f"Cust{i % 3}"},
                         **extra}, platform="file", source="t", now=model.parse_time("2026-12-01T10:00:00Z"))
    m["status"] = status
    if status in model.CLOSED_STATUSES:
        m["resolved_at"] = m["fetched_at"]
    return m


def files(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


@pytest.fixture
def docs() -> list[dict]:
    return [mention(i, "resolved" if i % 4 == 0 else "new",
                    **({"conversation_id": "file:r1"} if i % 5 == 0 else {})) for i in range(1, 40)]


def test_raw_rows_are_written_exactly_as_the_documents_would_be(tmp_path: pathlib.Path, docs: list[dict]) -> None:
    plain, raw = TinyStore(tmp_path / "plain"), TinyStore(tmp_path / "raw")
    with plain.session() as s:
        expected = s.add(docs)
    with raw.session() as s:
        got = s.add_rows([FILE_ROWS.encode(m) for m in docs])
    assert (got.new, got.duplicates) == (expected.new, expected.duplicates)
    assert files(tmp_path / "raw") == files(tmp_path / "plain")  # open file, archive, author and conversation index
    assert raw.get("file:r3") == docs[2]
    assert [m["id"] for m in raw.author_history("cust1")] == [m["id"] for m in plain.author_history("cust1")] != []


def test_raw_rows_read_in_the_same_session_are_documents(tmp_path: pathlib.Path, docs: list[dict]) -> None:
    store = TinyStore(tmp_path / "data")
    with store.session() as s:
        s.add_rows([FILE_ROWS.encode(m) for m in docs[:10]])
        got = s.get("file:r2")
        assert isinstance(got, dict) and got == docs[1]
        got["status"] = "pending"
        s.put(got)  # an update in place, over the decoded documents
        s.add([docs[10]])  # TinyDB numbers a later insert after the raw rows: no document is overwritten
        s.add_rows([FILE_ROWS.encode(m) for m in docs[11:14]])
        assert all(isinstance(d, dict) for d in s.open_table().all())
    stored = {m["id"]: m for m in store.open_mentions()}
    expected_open = [m["id"] for m in docs[:14] if m["status"] == "new"]
    assert sorted(stored) == sorted(expected_open)
    assert stored["file:r2"]["status"] == "pending" and stored["file:r11"] == docs[10]
    doc_ids = list(orjson.loads((tmp_path / "data" / "open.json").read_bytes())["mentions"])
    assert len(doc_ids) == len(set(doc_ids)) == len(expected_open)


def test_a_raw_row_carries_only_what_the_session_reads() -> None:
    m = mention(7, conversation_id="file:r1", in_reply_to="file:r1", kind="dm")
    row = FILE_ROWS.encode(m)
    assert isinstance(row, RawDoc) and FILE_ROWS.decode(row) == m
    again = RawDoc.from_head(row.json, orjson.loads(orjson.dumps(row.head())))  # through a worker's pipe
    assert again.meta == row.meta == {"id": "file:r7", "status": "new", "conversation_id": "file:r1",
                                      "in_reply_to": "file:r1", "kind": "dm", "author": {"handle": "Cust1"}}
    assert again["id"] == "file:r7" and again.get("text") is None
