"""Lookups of single mentions in the TinyDB files' bytes (store.files.DocFile): never wrong, at worst
a full parse."""

from __future__ import annotations

import json
import pathlib

import orjson

from socialwatch.store.files import MARKER, DocFile, dump
from tests.test_cli import sw, write_jsonl


def _file(path: pathlib.Path, docs: list[dict], kind: str = "open") -> pathlib.Path:
    path.write_bytes(dump({MARKER: {"1": {"format": 1, "kind": kind}},
                           "mentions": {str(n): d for n, d in enumerate(docs, 1)}}))
    return path


def test_finds_each_mention_and_only_its_own(tmp_path: pathlib.Path) -> None:
    docs = [{"id": "x:1", "text": 'fake {"id":"x:2","text":"evil"} },"7":{"id":"x:3"} }}}', "author": {"id": "x:2"}},
            {"id": "x:2", "text": "the real two", "nested": {"a": {"b": [1, {"c": "}"}]}}},
            {"id": "x:3", "text": "three \u202e \x00 é"}]
    f = DocFile(_file(tmp_path / "open.json", docs), "open")
    for d in docs:
        assert f.doc(d["id"]) == d
    assert f.doc("x:4") is None and f._full is None  # never parsed whole
    assert f.doc('x:1"') is None


def test_a_mention_whose_id_is_not_its_first_key_is_found_by_a_full_parse(tmp_path: pathlib.Path) -> None:
    docs = [{"text": "id last", "id": "x:1"}, {"id": "x:2", "text": "plain"}]
    f = DocFile(_file(tmp_path / "open.json", docs), "open")
    assert f.doc("x:1") == docs[0] and f._full is not None
    assert f.doc("x:2") == docs[1]


def test_foreign_or_corrupt_files_are_refused_as_before(tmp_path: pathlib.Path) -> None:
    import pytest

    from socialwatch.errors import StoreError

    bad = tmp_path / "open.json"
    bad.write_bytes(b'{"mentions": {"1": {"id": "x:1"}}}')
    with pytest.raises(StoreError):
        DocFile(bad, "open")
    seg = _file(tmp_path / "seg.json", [{"id": "x:1"}], kind="archive")
    with pytest.raises(StoreError):
        DocFile(seg, "open")
    assert DocFile(tmp_path / "missing.json", "open").doc("x:1") is None


def test_show_and_history_read_the_open_copy_of_a_reopened_mention(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    assert sw("init")[0] == 0
    records = [{"id": f"file:h{i}", "text": f"mention {i} with \"quotes\" and }},\"9\":{{ tricks",
                "author": {"handle": "ann"}, "created_at": f"2026-11-0{i + 1}T10:00:00Z"} for i in range(5)]
    assert sw("import", str(write_jsonl(tmp_path / "h.jsonl", records)))[0] == 0
    for i in range(4):
        assert sw("resolve", f"file:h{i}")[0] == 0
    assert sw("reopen", "file:h1")[0] == 0
    assert sw("tag", "file:h1", "again")[0] == 0
    shown = json.loads(sw("show", "file:h4", "--json")[1])
    assert [h["id"] for h in shown["history"]] == ["file:h3", "file:h2", "file:h1", "file:h0"]
    assert {h["id"]: h["status"] for h in shown["history"]}["file:h1"] == "open"
    one = json.loads(sw("show", "file:h1", "--json")[1])
    assert one["status"] == "open" and "again" in one["tags"]
    assert one["text"] == records[1]["text"]
    assert orjson.loads(orjson.dumps(one))["id"] == "file:h1"
