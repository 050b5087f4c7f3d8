"""The `demo` source: its bundled sample data and its release-over-time behaviour."""

from __future__ import annotations

import copy
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.sources import SourceContext, demo, source_class
from socialwatch.sources.demo import DemoSource, sample_records

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
PLATFORMS = {"twitter", "reddit", "bluesky", "mastodon"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# rough cues, good enough to check the mix of the sample data (not a classifier)
ANGRY = re.compile(
    r"!!!|😡|\b(fuming|ffs|wtf|bloody|piss-take|worst|joke|cancel(ling|led)?|switching|ombudsman|urgent)\b"
    r"|on hold|love it|love that|cool cool|\b(?!CCTV|FTTP|CGNAT)[A-Z]{4,}\b"
)
NEGATIVE = re.compile(
    r"no signal|charg|outage|\bdown\b|dead|missed|nobody|still|never|wrong|again|crash|refund|no internet"
    r"|no service|dropp|on hold|bill|cancel|\bfee\b|nothing|throttl|isn't|won't|can't|didn't",
    re.I,
)
PRAISE = re.compile(
    r"thank|cheers|legend|impressed|fair play|credit (where|to)|shout-?out|👏|🙌|diolch|dzięki|gracias|pleasant"
    r"|bliss|rock solid|good job|nice one|painless",
    re.I,
)


def make_source(config: dict | None = None, *, now: datetime | None = NOW, lookback: float = 86400.0) -> DemoSource:
    context = SourceContext(name="demo", brand={}, lookback=lookback, now=now)
    return DemoSource("demo", {"type": "demo", **(config or {})}, context)


def poll(source: DemoSource, now: datetime | None = None) -> tuple[list[dict], dict]:
    """One fetch: its mentions and cursor (stored on the source as the poller would)."""
    if now is not None:
        source.context.now = now
    batches = list(source.fetch())
    assert len(batches) == 1
    batch = batches[0]
    assert batch.calls == 0
    assert batch.skipped == []
    source.cursor = batch.cursor
    return batch.mentions, batch.cursor


def full_id(record: dict, field: str) -> str:
    return f"{record['id'].partition(':')[0]}:{record[field]}"


# ---- the data ------------------------------------------------------------------------------------
def test_data_file_is_package_data_and_small() -> None:
    path = resources.files("socialwatch.sources").joinpath("demo_mentions.jsonl")
    data = path.read_bytes()
    assert len(data) < 250_000
    assert 300 <= len(sample_records()) <= 400
    assert len(data.decode("utf-8").splitlines()) == len(sample_records())


def test_every_line_normalises() -> None:
    for number, record in enumerate(sample_records(), 1):
        assert isinstance(record.get("offset_minutes"), int) and record["offset_minutes"] >= 0, number
        fields = {k: v for k, v in record.items() if k != "offset_minutes"}
        platform = record["id"].partition(":")[0]
        assert platform in PLATFORMS, number
        mention = model.normalize(fields, platform=platform, source="demo", now=NOW)
        assert mention["platform"] == platform
        assert mention["kind"] == record["kind"] and mention["kind"] in model.KINDS
        assert mention["text"].strip() and mention["author"]["handle"], number
        assert mention["url"].startswith("https://"), number
        assert mention["lang"], number
        assert set(record["metrics"]) == set(model.METRICS), number


def test_ids_and_texts_are_unique() -> None:
    records = sample_records()
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids)
    texts = [r["text"] for r in records]
    assert len(set(texts)) == len(texts)


def test_threads_point_at_earlier_items_on_the_same_platform() -> None:
    records = sample_records()
    position = {r["id"]: i for i, r in enumerate(records)}
    replies = [r for r in records if r.get("in_reply_to")]
    assert len(replies) >= 15
    same_author = 0
    for reply in replies:
        parent_id = full_id(reply, "in_reply_to")
        assert parent_id in position, reply["id"]
        assert position[parent_id] < position[reply["id"]]
        parent = records[position[parent_id]]
        assert reply["conversation_id"] == parent["conversation_id"]
        same_author += parent["author"]["handle"] == reply["author"]["handle"]
    assert same_author >= 10


def test_repeat_customers_across_platforms() -> None:
    records = sample_records()
    by_handle = Counter(r["author"]["handle"] for r in records)
    assert sum(1 for n in by_handle.values() if n >= 3) >= 8
    platforms_by_name: dict[str, set[str]] = {}
    for r in records:
        if r["author"].get("name"):
            platforms_by_name.setdefault(r["author"]["name"], set()).add(r["id"].partition(":")[0])
    assert sum(1 for p in platforms_by_name.values() if len(p) >= 2) >= 5


def test_mix_of_kinds_platforms_languages_and_moods() -> None:
    records = sample_records()
    n = len(records)
    kinds = Counter(r["kind"] for r in records)
    assert set(kinds) == {"mention", "reply", "dm", "search"}
    assert 0.07 <= kinds["dm"] / n <= 0.14
    platforms = Counter(r["id"].partition(":")[0] for r in records)
    assert set(platforms) == PLATFORMS
    assert all(count / n >= 0.08 for count in platforms.values())
    assert len({r["lang"] for r in records} - {"en"}) >= 4
    public = [r["text"] for r in records if r["kind"] != "dm"]
    negative = sum(1 for t in public if NEGATIVE.search(t)) / len(public)
    praise = sum(1 for t in public if PRAISE.search(t)) / len(public)
    questions = sum(1 for t in public if "?" in t) / len(public)
    assert 0.35 <= negative <= 0.65
    assert 0.08 <= praise <= 0.25
    assert questions >= 0.15


def test_angry_and_viral_candidates() -> None:
    records = sample_records()
    angry = [r for r in records if ANGRY.search(r["text"])]
    assert len(angry) >= 30
    assert sum(1 for r in angry if (r["author"]["followers"] or 0) >= 10_000 or r["author"]["verified"]) >= 3
    viral = [r for r in records if (r["metrics"]["likes"] or 0) + (r["metrics"]["reposts"] or 0) >= 500]
    assert len(viral) >= 5
    assert max(r["metrics"]["likes"] or 0 for r in records) >= 5000
    assert all(r["metrics"]["likes"] is None for r in records if r["kind"] == "dm")


def test_data_is_parsed_once(monkeypatch) -> None:
    """Parsed once per process (its cost, about 5 ms, is measured by hand, never asserted)."""
    assert sample_records() is sample_records()
    monkeypatch.setattr(demo, "_RECORDS", None)
    records = sample_records()
    assert records is sample_records()


# ---- releasing over time -------------------------------------------------------------------------
def test_first_poll_releases_first_batch() -> None:
    source = make_source()
    mentions, cursor = poll(source)
    assert cursor == {"released": 120, "round": 1}
    assert [m["id"] for m in mentions] == [r["id"] for r in sample_records()[:120]]
    assert all(m["source"] == "demo" and m["status"] == "new" for m in mentions)
    assert {m["platform"] for m in mentions} == PLATFORMS
    assert all(m["id"].startswith(m["platform"] + ":") for m in mentions)


def test_first_batch_setting() -> None:
    mentions, cursor = poll(make_source({"first_batch": 10}))
    assert len(mentions) == 10 and cursor == {"released": 10, "round": 1}
    mentions, cursor = poll(make_source({"first_batch": 0}))
    assert mentions == [] and cursor == {"released": 0, "round": 1}


def test_later_polls_release_new_distinct_items() -> None:
    source = make_source()
    seen = {m["id"] for m in poll(source)[0]}
    for n in range(1, 6):
        now = NOW + timedelta(minutes=5 * n)
        mentions, cursor = poll(source, now)
        assert len(mentions) == 8
        assert cursor == {"released": 120 + 8 * n, "round": 1}
        ids = {m["id"] for m in mentions}
        assert len(ids) == 8 and not ids & seen
        seen |= ids
        for m in mentions:  # created just before this poll
            created = model.parse_time(m["created_at"])
            assert now - timedelta(minutes=demo.LATER_WINDOW_MINUTES) <= created <= now
    mentions, _ = poll(make_source({"batch": 3}, now=NOW), NOW)
    assert len(mentions) == 120  # first poll ignores `batch`


def test_batch_setting() -> None:
    source = make_source({"batch": 25, "first_batch": 5})
    poll(source)
    mentions, cursor = poll(source)
    assert len(mentions) == 25 and cursor == {"released": 30, "round": 1}


def test_wrap_around_starts_a_new_round_with_new_unique_ids() -> None:
    records = sample_records()
    total = len(records)
    source = make_source({"batch": 50})
    seen: list[str] = [m["id"] for m in poll(source)[0]]
    cursors = []
    for n in range(1, 40):
        mentions, cursor = poll(source, NOW + timedelta(minutes=n))
        seen += [m["id"] for m in mentions]
        cursors.append(cursor)
        assert len(mentions) == 50  # never short, also across the end of the file
        if cursor["round"] == 3:
            break
    assert len(seen) == len(set(seen))
    assert {"released": total, "round": 1} in cursors or any(c["round"] == 2 for c in cursors)
    assert cursors[-1]["round"] == 3
    round2 = [i for i in seen if i.endswith("-r2")]
    assert len(round2) == total
    assert {i.removesuffix("-r2") for i in round2} == {r["id"] for r in records}


def test_round_suffix_keeps_ids_valid_and_threads_together() -> None:
    records = sample_records()
    source = make_source({"first_batch": len(records)})
    poll(source)
    source.config["batch"] = len(records)
    mentions, cursor = poll(source)
    assert cursor == {"released": len(records), "round": 2}
    by_id = {m["id"]: m for m in mentions}
    assert len(by_id) == len(records)
    for m in mentions:
        assert m["id"].endswith("-r2") and m["native_id"].endswith("-r2")
        if m["in_reply_to"]:
            parent = by_id[m['in_reply_to']]
            assert m["conversation_id"] == parent["conversation_id"]
            assert model.parse_time(parent["created_at"]) <= model.parse_time(m["created_at"])
        assert m["conversation_id"] is None or m["conversation_id"].endswith("-r2")
    # normalise round-2 ids again, as an export/import would
    again = model.normalize(mentions[0], platform=mentions[0]["platform"], source="x", now=NOW)
    assert again["id"] == mentions[0]["id"]


def test_sample_records_are_not_modified_by_polling() -> None:
    before = copy.deepcopy(sample_records())
    source = make_source({"first_batch": 300, "batch": 200})
    for n in range(3):
        poll(source, NOW + timedelta(minutes=n))
    assert sample_records() == before


def test_query_filter_is_case_insensitive() -> None:
    records = sample_records()
    expected = [r["id"] for r in records if "roam pass" in r["text"].lower()]
    assert 3 <= len(expected) < 120
    source = make_source({"query": "ROAM Pass"})
    mentions, cursor = poll(source)
    assert [m["id"] for m in mentions] == expected  # the whole file walked: fewer than first_batch match
    assert cursor == {"released": len(records), "round": 1}
    mentions, cursor = poll(source)
    assert [m["id"] for m in mentions] == [i + "-r2" for i in expected[:8]]
    assert all("roam pass" in m["text"].lower() for m in mentions)


def test_query_matching_nothing_releases_nothing_and_returns() -> None:
    source = make_source({"query": "sk-canary-123"})
    for _ in range(3):
        mentions, cursor = poll(source)
        assert mentions == []
        assert "sk-canary-123" not in repr(cursor)


def test_created_at_never_in_the_future_and_iso_z() -> None:
    source = make_source()
    mentions, _ = poll(source)
    for n in range(1, 4):
        mentions += poll(source, NOW + timedelta(minutes=n))[0]
    latest = NOW + timedelta(minutes=3)
    for m in mentions:
        assert ISO_Z.match(m["created_at"]) and ISO_Z.match(m["fetched_at"])
        assert model.parse_time(m["created_at"]) <= model.parse_time(m["fetched_at"]) <= latest
    first = [model.parse_time(m["created_at"]) for m in mentions[:120]]
    assert max(first) - min(first) >= timedelta(hours=3)  # spread over the last hours
    assert first == sorted(first)


def test_first_poll_fits_the_lookback_window() -> None:
    mentions, _ = poll(make_source(lookback=3600))
    assert all(NOW - timedelta(hours=1, seconds=1) <= model.parse_time(m["created_at"]) <= NOW for m in mentions)


def test_now_defaults_to_model_utcnow(monkeypatch) -> None:
    monkeypatch.setattr(model, "utcnow", lambda: NOW)
    mentions, _ = poll(make_source(now=None))
    assert {m["fetched_at"] for m in mentions} == {model.iso(NOW)}


@pytest.mark.parametrize("cursor", [None, {}, {"released": -1}, {"released": "3"}, {"released": 5, "round": 0}, []])
def test_unreadable_cursor_counts_as_first_poll(cursor) -> None:
    source = make_source()
    source.cursor = cursor
    mentions, new_cursor = poll(source)
    assert len(mentions) == 120 and new_cursor == {"released": 120, "round": 1}


def test_cursor_beyond_a_shorter_file_wraps() -> None:
    source = make_source()
    source.cursor = {"released": 10_000, "round": 4}
    mentions, cursor = poll(source)
    assert [m["id"] for m in mentions] == [r["id"] + "-r5" for r in sample_records()[:8]]
    assert cursor == {"released": 8, "round": 5}


# ---- configuration, test(), registry -------------------------------------------------------------
def test_check_config() -> None:
    DemoSource.check_config("demo", {"type": "demo", "query": "wifi", "batch": 3, "first_batch": 0})
    for table, key in (
        ({"batch": 0}, "batch"),
        ({"batch": "8"}, "batch"),
        ({"batch": True}, "batch"),
        ({"first_batch": -1}, "first_batch"),
        ({"query": 5}, "query"),
    ):
        with pytest.raises(ConfigError) as info:
            DemoSource.check_config("demo", {"type": "demo", **table}, "cfg.toml")
        assert f"sources.demo.{key}" in str(info.value)


def test_test_reports_the_sample_size_without_echoing_the_query() -> None:
    total = len(sample_records())
    assert make_source().test() == [f"demo source: {total} sample mentions available"]
    lines = make_source({"query": "Roam Pass"}).test()
    assert lines[0] == f"demo source: {total} sample mentions available"
    assert "Roam Pass" not in " ".join(lines) and "match" in lines[1]


def test_registered_as_builtin_type() -> None:
    assert source_class("demo") is DemoSource
    assert DemoSource.type_name == "demo"
