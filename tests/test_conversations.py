"""A customer's later messages in a conversation join their case (QA defect 4): an X DM
conversation, a Mastodon or Bluesky thread whose conversation id is no mention id, a Reddit
thread; by poll and by import; through an index of conversations on both store backends."""

from __future__ import annotations

import json
import os
import pathlib
import shutil

import pytest

from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl
from tests.test_store_contract import mention, store  # noqa: F401 - the store fixture

DM_CONVERSATION = "19522527-1045337826150338560"


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    return isolated_home


def load(tmp_path: pathlib.Path, recs: list[dict], name: str = "recs.jsonl") -> None:
    code, _, err = sw("import", str(write_jsonl(tmp_path / name, recs)))
    assert code == 0, err


def shown(mention_id: str) -> dict:
    code, out, err = sw("show", mention_id, "--json")
    assert code == 0, err
    return json.loads(out)


def dm(native: str, text: str, minute: int, handle: str = "priyashah_ldn", conversation: str = DM_CONVERSATION,
       **extra: object) -> dict:
    return {"id": f"twitter:{native}", "kind": "dm", "text": text, "author": {"handle": handle, "id": "19522527"},
            "conversation_id": conversation, "in_reply_to": None,
            "created_at": f"2026-11-20T10:{minute:02d}:00Z", **extra}


FIRST = "Hi, account number NW-448-21937. Two payments of £47.99 taken, I need the second one refunded please."
LATER = "Thanks Ryan. 3-5 working days isn't great but ok. Can you confirm this won't affect my credit file?"


# ---- the store: mentions by conversation and author -------------------------------------------
def test_the_store_finds_a_customers_mentions_in_a_conversation(store) -> None:  # noqa: F811
    with store.session() as s:
        s.add([mention(1, handle="Priya", conversation_id="c:9"),
               mention(2, handle="priya", conversation_id="c:9", status="resolved"),  # archived: found too
               mention(3, handle="sam", conversation_id="c:9"),  # someone else in the thread
               mention(4, handle="priya", conversation_id="c:8"),
               {**mention(9, handle="priya", conversation_id="c:9"), "id": "c:9"}])  # the thread's root, a mention
    with store.session() as s:
        assert sorted(m["id"] for m in s.conversation_mentions("c:9", "PRIYA")) == ["c:9", "t:1", "t:2"]
        assert [m["id"] for m in s.conversation_mentions("c:9", "sam")] == ["t:3"]
        assert s.conversation_mentions("c:7", "priya") == []


def test_postgres_finds_a_conversation_by_its_index(pg_url: str) -> None:
    """The lookup is an index scan (`mentions_conversation`, schema version 3), never a pass over
    the whole table, however long the history."""
    import psycopg

    from socialwatch.store.postgres import PgStore, upgrade

    upgrade(pg_url)
    pg = PgStore(pg_url)
    with pg.session() as s:
        s.add([mention(i, handle=f"u{i % 50}", conversation_id=f"c:{i % 300}") for i in range(3000)])
    with psycopg.connect(pg_url) as conn:
        conn.execute("ANALYZE mentions")
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT doc, raw FROM mentions WHERE (doc->>'conversation_id') = %s AND author_key = %s "
            "ORDER BY seq", ("c:7", "u7")))
    assert "mentions_conversation" in plan, plan
    with pg.session() as s:
        found = s.conversation_mentions("c:7", "u7")
    assert sorted(int(m["id"][2:]) for m in found) == list(range(7, 3000, 300))
    pg.close()


def test_tinydb_indexes_an_older_store_once(tmp_path: pathlib.Path) -> None:
    """A data directory from before the conversation index is indexed whole by the first session
    that adds mentions (the DM stored before the upgrade is found), and only then."""
    from socialwatch.store import TinyStore

    tiny = TinyStore(tmp_path / "data")
    with tiny.session() as s:
        s.add([mention(1, handle="priya", conversation_id="c:9"),
               mention(2, handle="priya", conversation_id="c:9", status="resolved")])
    shutil.rmtree(tmp_path / "data" / "conversations")  # as a store written before the index existed
    with tiny.session() as s:
        s.add([mention(3, handle="kim")])
    assert (tmp_path / "data" / "conversations" / "built.json").exists()
    with tiny.session() as s:
        assert sorted(m["id"] for m in s.conversation_mentions("c:9", "priya")) == ["t:1", "t:2"]


def test_tinydb_looks_up_a_conversation_without_reading_the_history(tmp_path: pathlib.Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Flat cost: finding the customer's earlier message opens the one archive segment that holds
    it, not the history (here 40 segments)."""
    from socialwatch.store import Session, TinyStore
    from socialwatch.store.tiny import session as tiny_session

    monkeypatch.setattr(tiny_session, "SEGMENT_SIZE", 5)  # (where `Session._archive` looks it up)
    tiny = TinyStore(tmp_path / "data")
    with tiny.session() as s:
        s.add([mention(i, handle=f"u{i}", conversation_id=f"c:{i}", status="resolved") for i in range(200)])
    assert len(tiny.segments()) == 40
    opened: list[int] = []
    real = Session.segment_table

    def counting(self: Session, number: int):  # type: ignore[no-untyped-def]
        opened.append(number)
        return real(self, number)

    monkeypatch.setattr(Session, "segment_table", counting)
    with tiny.session() as s:
        assert [m["id"] for m in s.conversation_mentions("c:123", "u123")] == ["t:123"]
    assert len(set(opened)) == 1


# ---- the QA scenario: the demo's two DMs ----------------------------------------------------------
def test_the_demo_customers_later_dm_joins_her_case(home: pathlib.Path) -> None:
    """priyashah_ldn's DMs twitter:1991595276380801785 and (polls later) twitter:1991612389244558648
    share a DM conversation and no `in_reply_to`: one case, shown together, claimed together."""
    first, later = "twitter:1991595276380801785", "twitter:1991612389244558648"
    for _ in range(12):
        assert sw("poll")[0] == 0
    case = shown(first)
    assert case["followups"] == [later]
    assert shown(later)["case_id"] == first
    assert [m["id"] for m in case["thread"]] == [later]
    ids = [m["id"] for m in lines(sw("triage", "--json")[1])]
    assert first in ids and later not in ids  # one case in the queue
    code, out, err = sw("--as", "ryan", "claim", "--json", "--match", "NW-448-21937")
    assert code == 0, err
    assert json.loads(out)["id"] == first
    assert shown(later)["assignee"] == "ryan"


def test_a_later_dm_joins_the_case_by_poll_or_import_in_any_order(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [dm("1", FIRST, 1)], "first.jsonl")
    load(tmp_path, [dm("2", LATER, 9)], "later.jsonl")
    assert shown("twitter:1")["followups"] == ["twitter:2"]
    # Within one file, the first message starts the case whatever the order of the lines; another
    # customer's DM conversation stays apart.
    load(tmp_path, [dm("13", LATER, 30, conversation="c-2", handle="kim"), dm("12", "and another thing", 20,
                    conversation="c-2", handle="kim"), dm("11", FIRST, 10, conversation="c-2", handle="kim"),
                    dm("14", FIRST, 11, conversation="c-3", handle="lee")], "batch.jsonl")
    case = shown("twitter:11")
    assert case["followups"] == ["twitter:12", "twitter:13"] and not case.get("case_id")
    assert shown("twitter:13")["case_id"] == "twitter:11"
    assert not shown("twitter:14").get("case_id") and not shown("twitter:14").get("followups")
    assert sorted(m["id"] for m in lines(sw("triage", "--json")[1])) == ["twitter:1", "twitter:11", "twitter:14"]


def test_a_later_dm_reopens_a_resolved_case(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [dm("1", FIRST, 1)], "first.jsonl")
    assert sw("--as", "ryan", "assign", "twitter:1")[0] == 0
    assert sw("--as", "ryan", "resolve", "twitter:1")[0] == 0
    load(tmp_path, [dm("2", LATER, 9)], "later.jsonl")
    case = shown("twitter:1")
    assert case["status"] == "open" and case["reopened"] == 1 and case["followups"] == ["twitter:2"]
    assert case["assignee"] == "ryan" and shown("twitter:2")["assignee"] == "ryan"


def test_threads_whose_conversation_is_no_mention_join_on_every_platform(home: pathlib.Path,
                                                                         tmp_path: pathlib.Path) -> None:
    """Mastodon and Bluesky threads whose root is the brand's post (not stored), a Reddit thread
    started by someone else: the customer's second post joins the first."""
    def post(mid: str, handle: str, conversation: str, minute: int, reply_to: str | None = None) -> dict:
        return {"id": mid, "kind": "reply", "text": f"still no signal in CF24 ({mid})", "author": {"handle": handle},
                "conversation_id": conversation, "in_reply_to": reply_to, "created_at": f"2026-11-20T11:{minute:02d}:00Z"}

    load(tmp_path, [post("mastodon:101", "sian@toot.wales", "mastodon:100", 1, "mastodon:100"),
                    post("bluesky:3kb", "kwame.bsky.social", "bluesky:3ka", 2, "bluesky:3ka"),
                    post("reddit:t3_x", "op_someone", "reddit:t3_x", 3),
                    post("reddit:t1_a", "dkowalski", "reddit:t3_x", 4, "reddit:t3_x")], "first.jsonl")
    load(tmp_path, [post("mastodon:105", "Sian@toot.wales", "mastodon:100", 20, "mastodon:104"),  # answers our reply
                    post("bluesky:3kf", "kwame.bsky.social", "bluesky:3ka", 21, "bluesky:3ke"),
                    post("reddit:t1_b", "dkowalski", "reddit:t3_x", 22, "reddit:t3_x"),  # (the root is op's)
                    post("reddit:t1_c", "someone_else", "reddit:t3_x", 23, "reddit:t3_x")], "later.jsonl")
    assert shown("mastodon:101")["followups"] == ["mastodon:105"]
    assert shown("bluesky:3kb")["followups"] == ["bluesky:3kf"]
    assert shown("reddit:t1_a")["followups"] == ["reddit:t1_b"]
    assert not shown("reddit:t1_c").get("case_id") and not shown("reddit:t3_x").get("followups")


def test_a_reply_stored_before_the_message_it_answers_moves_with_it(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """A case is never nested: when a message that already has a follow-up joins a case, its
    follow-up joins that case too."""
    load(tmp_path, [dm("1", FIRST, 1)], "first.jsonl")
    load(tmp_path, [{"id": "twitter:3", "kind": "dm", "text": LATER, "author": {"handle": "priyashah_ldn"},
                     "in_reply_to": "twitter:2", "created_at": "2026-11-20T10:05:00Z"},
                    dm("2", "and the reference is NW-448", 6)], "later.jsonl")
    case = shown("twitter:1")
    assert sorted(case["followups"]) == ["twitter:2", "twitter:3"]
    assert shown("twitter:3")["case_id"] == "twitter:1" and shown("twitter:2")["case_id"] == "twitter:1"
    assert not shown("twitter:2").get("followups")
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["twitter:1"]


def _older_database(pg_url: str, version: int) -> None:
    """Make the database as an older socialwatch left it, at schema `version`."""
    import psycopg

    from socialwatch.store.postgres.schema import MIGRATIONS

    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE socialwatch_schema (version integer NOT NULL, applied_at timestamptz NOT NULL "
                     "DEFAULT now(), description text NOT NULL)")
        for number, description, sql in MIGRATIONS[:version]:
            conn.execute(sql.replace("CREATE TABLE IF NOT EXISTS socialwatch_schema", "CREATE TABLE IF NOT EXISTS _x"))
            conn.execute("INSERT INTO socialwatch_schema (version, description) VALUES (%s, %s)", (number, description))


def schema_of(pg_url: str) -> int | None:
    import psycopg

    from socialwatch.store.postgres import schema_version

    with psycopg.connect(pg_url) as conn:
        return schema_version(conn)


def _use_database(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALWATCH_TEST_DB", pg_url)
    assert sw("init")[0] == 0
    config = pathlib.Path(os.environ["SOCIALWATCH_HOME"]) / "socialwatch.toml"
    config.write_text(config.read_text().replace('backend = "tinydb"', 'backend = "postgres"\nurl = "$SOCIALWATCH_TEST_DB"', 1))


def test_an_existing_version_2_database_gets_the_index_on_first_use(pg_url: str, tmp_path: pathlib.Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A database an older socialwatch created (schema version 2, a DM already stored) gets
    migration 3 (an index only) from the first command that uses it, without `db upgrade`; the
    customer's later DM then joins the case stored before the upgrade."""
    import psycopg

    from socialwatch.store.postgres.schema import SCHEMA_VERSION

    assert SCHEMA_VERSION == 3
    _older_database(pg_url, 3)
    _use_database(pg_url, monkeypatch)
    load(tmp_path, [dm("1", FIRST, 1)], "first.jsonl")
    with psycopg.connect(pg_url) as conn:  # back to version 2, with the DM stored, as an older socialwatch left it
        conn.execute("DROP INDEX mentions_conversation")
        conn.execute("DELETE FROM socialwatch_schema WHERE version = 3")
    assert schema_of(pg_url) == 2
    load(tmp_path, [dm("2", LATER, 9)], "later.jsonl")
    with psycopg.connect(pg_url) as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'mentions'")}
        versions = [r[0] for r in conn.execute("SELECT version FROM socialwatch_schema ORDER BY version")]
    assert "mentions_conversation" in names and versions == [1, 2, 3]
    assert shown("twitter:1")["followups"] == ["twitter:2"]
    assert sw("db", "upgrade")[0] == 0 and schema_of(pg_url) == 3  # (nothing left to do: safe to run again)


def test_a_database_that_lacks_more_than_an_index_still_asks_for_db_upgrade(pg_url: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Only additive migrations are applied on first use: a version-1 database (it lacks the
    presence table) is refused with the usual hint until `db upgrade`, which brings it to 3."""
    import psycopg

    _older_database(pg_url, 1)
    _use_database(pg_url, monkeypatch)
    code, _, err = sw("triage", "--json")
    assert code == 2 and "db upgrade" in err
    code, _, err = sw("db", "upgrade")
    assert code == 0, err
    with psycopg.connect(pg_url) as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'mentions'")}
    assert "mentions_conversation" in names
    assert sw("triage", "--json")[0] == 0
