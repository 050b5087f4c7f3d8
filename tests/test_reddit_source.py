"""The Reddit source against the real praw client, replaying praw's recorded traffic and our own fixtures.

Recordings: `tests/fixtures/praw/*.json` (successes, plus the recorded 401 and 403). Our own
fixtures on the same shapes (`tests/fixtures/reddit/`): paging, second polls, the look-back,
429, 5xx, time-outs, malformed JSON and malformed items. No test touches the network.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import prawcore.rate_limit
import prawcore.sessions
import pytest
import responses

from socialwatch.app import App
from socialwatch.errors import ConfigError
from socialwatch.poller import poll_source
from socialwatch.sources import AuthError, Batch, NotEntitled, RateLimited, SourceContext, SourceError, TransientError
from socialwatch.sources.reddit import RedditSource
from tests.replay_betamax import Replay, read_cassette
from tests.source_helpers import drain, mentions_of, recording_sleeps

OWN = pathlib.Path(__file__).parent / "fixtures" / "reddit"
OAUTH = "https://oauth.reddit.com"
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # T0 of our fixtures
T0 = NOW.timestamp()
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)  # reaches every recorded item
SECRETS = {
    "client_secret": "SECRET-cs-5b9e1d77",
    "password": "SECRET-pw-0a8c2f19",
    "refresh_token": "SECRET-rt-c0ffee42",
}
REFRESH = {
    "client_id": "sw-test-app-id",
    "client_secret": SECRETS["client_secret"],
    "refresh_token": SECRETS["refresh_token"],
}
SCRIPT = {
    "client_id": "sw-test-app-id",
    "client_secret": SECRETS["client_secret"],
    "username": "brand_account",
    "password": SECRETS["password"],
}
READ_ONLY = {"client_id": "sw-test-app-id", "client_secret": SECRETS["client_secret"]}


# ---- fixtures and helpers ----------------------------------------------------------------------
@pytest.fixture(autouse=True)
def prawcore_sleeps(monkeypatch) -> list[float]:
    """prawcore's own retry and rate-limit sleeps, recorded instead of slept."""
    slept: list[float] = []
    shim = SimpleNamespace(sleep=slept.append, monotonic=time.monotonic, monotonic_ns=time.monotonic_ns)
    monkeypatch.setattr(prawcore.sessions, "time", shim)
    monkeypatch.setattr(prawcore.rate_limit, "time", shim)
    return slept


@pytest.fixture
def replay():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Replay(mock)


def make_source(auth: dict, cursor: dict | None = None, *, now=NOW, lookback=86400.0, since=None, one_shot=True, **cfg):
    """A checked RedditSource named "r" whose own sleeps are recorded in `source.sleeps`."""
    config = {"type": "reddit", **auth, **cfg}
    RedditSource.check_config("r", config)
    context = SourceContext(name="r", brand={}, lookback=lookback, since=since, one_shot=one_shot, now=now)
    return recording_sleeps(RedditSource("r", config, context), cursor)


def assert_no_secret(exc: BaseException) -> None:
    text = f"{exc} {exc!r} {exc.args!r}"
    for secret in SECRETS.values():
        assert secret not in text


def recorded_children(path: pathlib.Path, index: int = 1) -> list[dict]:
    body = read_cassette(path)[index]["response"]["body"]["string"]
    return json.loads(body)["data"]["children"]


def final_cursor(batches: list[Batch]) -> dict | None:
    """The cursor the poller ends up storing: the last one given."""
    cursors = [b.cursor for b in batches if b.cursor is not None]
    return cursors[-1] if cursors else None


def get_requests(replay: Replay, path: str) -> list:
    return replay.requests("GET", path)


# ---- inbox (recordings) ------------------------------------------------------------------------
class TestInbox:
    def test_mentions(self, replay, fixtures_dir):
        replay.load(fixtures_dir / "praw" / "TestInbox.test_mentions.json")
        replay.add_listing(f"{OAUTH}/message/mentions", [], query={"after": "t1_ekfncs9"})
        source = make_source(REFRESH, since=LONG_AGO, inbox=["mentions"], limit=16)

        batches, error = drain(source)

        assert error is None
        mentions = mentions_of(batches)
        assert len(mentions) == 16
        assert {m["kind"] for m in mentions} == {"mention"}
        assert len({m["id"] for m in mentions}) == 16
        first = mentions[0]
        assert first["id"] == "reddit:t1_ekftbox" and first["native_id"] == "t1_ekftbox"
        assert first["platform"] == "reddit" and first["source"] == "r"
        assert first["author"]["handle"] == "2Botter2Loop" and first["author"]["id"] == "t2_3efd9zdo"
        assert first["url"].startswith("https://www.reddit.com/r/RemovedByBotter/comments/bb24k7/")
        assert first["url"].endswith("/ekftbox/")
        assert first["created_at"] == "2019-04-09T01:45:08Z"
        assert first["conversation_id"] == "reddit:t3_bb24k7" and first["in_reply_to"] == "reddit:t3_bb24k7"
        assert first["metrics"]["likes"] == 1 and first["metrics"]["replies"] is None
        assert first["text"].startswith("Hello /u/<USERNAME>")
        # one batch per page; only the last carries the (whole) cursor
        assert [len(b.mentions) for b in batches] == [16, 0]
        assert batches[0].cursor is None
        assert batches[-1].cursor == {"mentions": {"newest": "t1_ekftbox", "created_utc": 1554774308.0}}
        assert [b.calls for b in batches] == [2, 1]  # token + page 1, then page 2
        assert batches[0].rate_limit_remaining == 9324
        # never marks read while fetching
        assert parse_qs(urlsplit(get_requests(replay, "/message/mentions")[0].url).query)["mark"] == ["False"]
        assert replay.requests("POST", "/api/read_message/") == []

    def test_unread_messages_become_dms(self, replay, fixtures_dir):
        replay.load(fixtures_dir / "praw" / "TestInbox.test_unread.json")
        replay.add_listing(f"{OAUTH}/message/unread/", [], query={"after": "t4_22v69cf"})
        source = make_source(REFRESH, since=LONG_AGO, inbox=["unread"], limit=64)

        mentions = mentions_of(drain(source)[0])

        kinds = [m["kind"] for m in mentions]
        assert kinds.count("reply") == 2 and kinds.count("dm") == 62  # t1 comment replies, t4 messages
        dm = next(m for m in mentions if m["id"] == "reddit:t4_2r17c8r")
        assert dm["url"] == "https://www.reddit.com/message/messages/2r17c8r"
        assert dm["conversation_id"] == "reddit:t4_2r17c8r" and dm["text"] == "test"
        assert dm["author"]["handle"] == "Lil_SpazTest" and dm["metrics"]["likes"] is None

    def test_message_threads_are_flattened_without_own_messages(self, replay, fixtures_dir):
        path = fixtures_dir / "praw" / "TestMessage.test_reply.json"
        replay.load(path)
        replay.add_listing(f"{OAUTH}/message/messages/", [], query={"after": "t4_1vpa8mv"})
        source = make_source({**REFRESH, "username": "<USERNAME>"}, since=LONG_AGO, inbox=["messages"])

        mentions = mentions_of(drain(source)[0])

        expected = []
        for child in recorded_children(path):
            replies = child["data"]["replies"]
            for item in [child] + (replies["data"]["children"] if isinstance(replies, dict) else []):
                if item["data"]["author"] != "<USERNAME>":
                    expected.append("reddit:" + item["data"]["name"])
        assert sorted(m["id"] for m in mentions) == sorted(expected)
        assert {m["kind"] for m in mentions} == {"dm"}
        reply = next(m for m in mentions if m["id"] == "reddit:t4_2r1sada")  # nested in thread t4_2r1s1k2
        assert reply["conversation_id"] == "reddit:t4_2r1s1k2" and reply["text"] == "test response"

    @pytest.mark.parametrize(
        ("listing", "cassette", "path", "after"),
        [
            ("comment_replies", "TestInbox.test_comment_replies.json", "/message/comments/", "t1_mynm218"),
            ("submission_replies", "TestInbox.test_submission_replies.json", "/message/selfreply/", "t1_fx2fmy0"),
        ],
    )
    def test_replies(self, replay, fixtures_dir, listing, cassette, path, after):
        replay.load(fixtures_dir / "praw" / cassette)
        replay.add_listing(OAUTH + path, [], query={"after": after})
        source = make_source(REFRESH, since=LONG_AGO, inbox=[listing], limit=64)

        batches, error = drain(source)

        assert error is None
        mentions = mentions_of(batches)
        assert len(mentions) == 64 and {m["kind"] for m in mentions} == {"reply"}
        assert all(m["in_reply_to"] and m["conversation_id"].startswith("reddit:t3_") for m in mentions)
        assert set(batches[-1].cursor) == {listing}

    def test_mark_read_after_stored(self, replay, fixtures_dir):
        path = fixtures_dir / "praw" / "TestInbox.test_mark_read.json"
        replay.load(path)
        replay.add_listing(f"{OAUTH}/message/unread/", [], query={"after": "t1_mynkbup"})
        source = make_source(REFRESH, since=LONG_AGO, inbox=["unread"], limit=10, mark_read=True)

        batches = []
        for batch in source.fetch():
            # nothing is marked before its batch is stored: only earlier batches' items were
            assert len(replay.requests("POST", "/api/read_message/")) == sum(1 for b in batches if b.mentions)
            assert source.after_stored(batch) == []
            batches.append(batch)

        posts = replay.requests("POST", "/api/read_message/")
        assert len(posts) == 1
        marked = parse_qs(posts[0].body)["id"][0].split(",")
        assert marked == [m["native_id"] for m in batches[0].mentions]
        recorded = parse_qs(read_cassette(path)[2]["request"]["body"])["id"][0].split(",")
        assert marked == recorded
        # token + page 1, then page 2 + the mark request made after page 1 was stored
        assert [b.calls for b in batches] == [2, 2]

    def test_mark_read_failure_keeps_the_mentions_and_degrades(self, replay, fixtures_dir):
        replay.ensure_token()
        replay.mock.add(
            responses.POST, f"{OAUTH}/api/read_message/", status=403, json={"message": "Forbidden", "error": 403}
        )
        replay.load(fixtures_dir / "praw" / "TestInbox.test_mark_read.json")
        replay.add_listing(f"{OAUTH}/message/unread/", [], query={"after": "t1_mynkbup"})
        source = make_source(REFRESH, since=LONG_AGO, inbox=["unread"], limit=10, mark_read=True)

        batches, problems = [], []
        with pytest.raises(SourceError) as info:
            for batch in source.fetch():
                batches.append(batch)
                problems += source.after_stored(batch)

        assert len(mentions_of(batches)) == 10 and final_cursor(batches)["unread"]["newest"] == "t1_mynkj7r"
        assert len(problems) == 1 and "10 stored inbox items could not be marked read" in problems[0]
        assert info.value.state == "degraded" and "403 Forbidden" in str(info.value)
        assert_no_secret(info.value)

    def test_mark_read_off_marks_nothing(self, replay, fixtures_dir):
        replay.load(fixtures_dir / "praw" / "TestInbox.test_mark_read.json")
        replay.add_listing(f"{OAUTH}/message/unread/", [], query={"after": "t1_mynkbup"})
        source = make_source(REFRESH, since=LONG_AGO, inbox=["unread"], limit=10)

        for batch in source.fetch():
            assert source.after_stored(batch) == []

        assert replay.requests("POST", "/api/read_message/") == []

    def test_message_unauthorized_is_not_entitled_and_other_listings_still_arrive(self, fixtures_dir):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            replay = Replay(mock, substitutions={"/message/messages/6i8om7/": "/message/messages/"})
            replay.load(fixtures_dir / "praw" / "TestInbox.test_mentions.json")
            replay.add_listing(f"{OAUTH}/message/mentions", [], query={"after": "t1_ekfncs9"})
            # recorded for one message (no limit): it stands for the messages listing's first page
            replay.load(fixtures_dir / "praw" / "TestInbox.test_message__unauthorized.json", match=("after",))
            source = make_source(REFRESH, since=LONG_AGO, inbox=["mentions", "messages"], limit=16)

            batches, error = drain(source)

        assert isinstance(error, NotEntitled) and error.state == "not entitled"
        assert str(error).startswith("source r: the Reddit account cannot read inbox messages: 403 Forbidden")
        assert len(mentions_of(batches)) == 16
        assert batches[-1].mentions == [] and batches[-1].calls == 1  # the 403 request
        assert set(final_cursor(batches)) == {"mentions"}
        assert_no_secret(error)


# ---- search and subreddits (recordings) --------------------------------------------------------
class TestSubreddit:
    def test_search(self, replay, fixtures_dir):
        # recorded with limit=1024 and sort=relevance: match on the query text and the page only
        replay.load(fixtures_dir / "praw" / "TestSubreddit.test_search.json", match=("q", "after"))
        source = make_source(READ_ONLY, since=LONG_AGO, inbox=[], search="praw oauth search")

        batches, error = drain(source)

        assert error is None
        mentions = mentions_of(batches)
        assert len(mentions) == 6 and {m["kind"] for m in mentions} == {"search"}
        children = {
            c["data"]["name"]: c["data"]
            for c in recorded_children(fixtures_dir / "praw" / "TestSubreddit.test_search.json")
        }
        for m in mentions:
            data = children[m["native_id"]]
            text = data["title"] + ("\n\n" + data["selftext"] if data["selftext"] else "")
            assert m["text"] == text
            assert m["url"] == "https://www.reddit.com" + data["permalink"]
            assert m["conversation_id"] == m["id"]
            assert m["metrics"]["replies"] == data["num_comments"]
        assert batches[-1].cursor == {"search:all": {"newest": "t3_4at068", "created_utc": 1458221634.0}}
        query = parse_qs(urlsplit(get_requests(replay, "/r/all/search/")[0].url).query)
        assert query["sort"] == ["new"] and query["restrict_sr"] == ["False"] and query["q"] == ["praw oauth search"]
        assert replay.requests("POST", "/api/v1/access_token")[0].body == "grant_type=client_credentials"

    def test_own_subreddit_new_posts_and_comments(self, replay, fixtures_dir):
        replay.load(fixtures_dir / "praw" / "TestSubredditListings.test_new.json")
        replay.add_listing(f"{OAUTH}/r/askreddit/new", [], query={"after": "t3_48f6io"})
        replay.load(fixtures_dir / "praw" / "TestSubredditListings.test_comments.json")
        replay.add_listing(f"{OAUTH}/r/askreddit/comments/", [], query={"after": "t1_d4y8a9e"})
        source = make_source(READ_ONLY, since=LONG_AGO, inbox=[], own_subreddits=["askreddit"])

        batches, error = drain(source)

        assert error is None
        mentions = mentions_of(batches)
        posts = [m for m in mentions if m["native_id"].startswith("t3_")]
        comments = [m for m in mentions if m["native_id"].startswith("t1_")]
        assert len(posts) == 100 and len(comments) == 100
        assert {m["kind"] for m in mentions} == {"search"}
        assert all(
            c["conversation_id"].startswith("reddit:t3_") and c["url"].startswith("https://www.reddit.com/r/")
            for c in comments
        )
        assert set(batches[-1].cursor) == {"new:askreddit", "comments:askreddit"}
        assert sum(b.calls for b in batches) == 5  # token + 2 pages per listing


# ---- cursors, paging and look-back (own fixtures) ----------------------------------------------
class TestCursor:
    def test_pages_with_after_and_stops_at_the_cursor(self, replay):
        replay.load(OWN / "paging_mentions.json")
        cursor = {
            "mentions": {"newest": "t1_pg5", "created_utc": T0 - 50},
            "search:all": {"newest": "t3_x", "created_utc": 1.0},
        }
        source = make_source(REFRESH, cursor, inbox=["mentions"], limit=3)

        batches, error = drain(source)

        assert error is None
        assert [m["native_id"] for m in mentions_of(batches)] == ["t1_pg1", "t1_pg2", "t1_pg3", "t1_pg4"]
        assert [b.cursor for b in batches[:-1]] == [None]
        assert batches[-1].cursor == {
            "mentions": {"newest": "t1_pg1", "created_utc": T0 - 10},
            "search:all": {"newest": "t3_x", "created_utc": 1.0},  # other listings' entries are kept
        }
        pages = get_requests(replay, "/message/mentions")
        assert [parse_qs(urlsplit(r.url).query).get("after") for r in pages] == [None, ["t1_pg3"]]  # page 3 not fetched

    def test_first_poll_walks_every_page(self, replay):
        replay.load(OWN / "paging_mentions.json")
        source = make_source(REFRESH, since=LONG_AGO, inbox=["mentions"], limit=3)

        batches, _ = drain(source)

        assert [len(b.mentions) for b in batches] == [3, 3, 1]
        assert len({m["id"] for m in mentions_of(batches)}) == 7

    def test_a_listing_that_ends_before_the_window_records_a_gap(self, replay, monkeypatch):
        import socialwatch.sources.reddit.walk as reddit_module

        monkeypatch.setattr(reddit_module, "LISTING_CAP", 6)  # Reddit's real cap is about 1000 items
        replay.load(OWN / "paging_mentions.json")
        source = make_source(REFRESH, since=LONG_AGO, inbox=["mentions"], limit=3)

        batches, _ = drain(source)

        assert [b.gap for b in batches[:-1]] == [None, None]
        assert batches[-1].gap.startswith("inbox mentions: Reddit stopped after 7 items before reaching 2000-01-01")
        assert len(mentions_of(batches)) == 7

    def test_second_poll_brings_only_newer_items(self, replay):
        replay.load(OWN / "second_poll.json")
        first = make_source(REFRESH, inbox=["mentions"])
        batches1, _ = drain(first)
        second = make_source(REFRESH, batches1[-1].cursor, inbox=["mentions"])
        batches2, _ = drain(second)

        assert [m["native_id"] for m in mentions_of(batches1)] == ["t1_sp2", "t1_sp1"]
        assert [m["native_id"] for m in mentions_of(batches2)] == ["t1_sp3"]
        assert batches2[-1].cursor == {"mentions": {"newest": "t1_sp3", "created_utc": T0 - 50}}

    def test_first_poll_stops_at_the_lookback(self, replay):
        replay.load(OWN / "lookback.json")
        source = make_source(REFRESH, inbox=["mentions"], lookback=24 * 3600)

        batches, error = drain(source)

        assert error is None
        assert [m["native_id"] for m in mentions_of(batches)] == ["t1_lb1", "t1_lb2"]
        assert len(get_requests(replay, "/message/mentions")) == 1  # the 30 h old item ends the walk
        assert batches[-1].cursor == {"mentions": {"newest": "t1_lb1", "created_utc": T0 - 3600}}

    def test_since_backfills_past_the_cursor(self, replay):
        replay.load(OWN / "lookback.json")
        cursor = {"mentions": {"newest": "t1_lb1", "created_utc": T0 - 3600}}
        source = make_source(REFRESH, cursor, inbox=["mentions"], since=NOW - timedelta(hours=40))

        batches, _ = drain(source)

        assert [m["native_id"] for m in mentions_of(batches)] == ["t1_lb1", "t1_lb2", "t1_lb3"]
        assert batches[-1].cursor == cursor

    def test_failure_mid_listing_loses_and_duplicates_nothing(self, replay):
        replay.load(OWN / "failure_then_recover.json")
        store: dict[str, dict] = {}
        stored_cursor = None

        def poll() -> SourceError | None:
            nonlocal stored_cursor
            source = make_source(REFRESH, stored_cursor, inbox=["mentions"], limit=2, retries=0)
            try:
                for batch in source.fetch():
                    for m in batch.mentions:  # what the poller does: store (deduplicated), then the cursor
                        store.setdefault(m["id"], m)
                    if batch.cursor is not None:
                        stored_cursor = batch.cursor
            except SourceError as exc:
                return exc
            return None

        error = poll()
        assert isinstance(error, TransientError) and stored_cursor is None
        assert sorted(store) == ["reddit:t1_fr3", "reddit:t1_fr4"]
        assert poll() is None
        assert sorted(store) == [f"reddit:t1_fr{i}" for i in range(1, 6)]
        assert stored_cursor == {"mentions": {"newest": "t1_fr5", "created_utc": T0 - 10}}


# ---- errors (own fixtures and the recorded 401) ------------------------------------------------
class TestErrors:
    def test_401_is_an_auth_error_naming_the_keys(self, replay):
        replay.load(OWN / "unauthorized.json")
        source = make_source(REFRESH, inbox=["mentions"])

        batches, error = drain(source)

        assert [(b.mentions, b.cursor, b.calls) for b in batches] == [
            ([], None, 6)
        ]  # (token + 401) x 3: prawcore refreshes
        assert isinstance(error, AuthError) and error.state == "failing" and not error.retryable
        assert "sources.r.client_id" in str(error) and "sources.r.refresh_token" in str(error)
        assert "invalid_token" in str(error)
        assert_no_secret(error)

    def test_401_without_www_authenticate_is_an_auth_error(self, replay):
        replay.ensure_token()
        replay.mock.add(responses.GET, f"{OAUTH}/message/mentions", status=401, json={"message": "Unauthorized"})
        source = make_source(REFRESH, inbox=["mentions"])

        _, error = drain(source)

        assert isinstance(error, AuthError) and "(401)" in str(error)

    def test_recorded_invalid_token_in_test(self, replay, fixtures_dir):
        replay.load(fixtures_dir / "praw" / "TestAuthImplicit.test_implicit__with_invalid_token.json")
        source = make_source(SCRIPT)

        with pytest.raises(AuthError) as info:
            source.test()

        assert "sources.r.username" in str(info.value) and "sources.r.password" in str(info.value)
        assert_no_secret(info.value)

    @pytest.mark.parametrize(
        ("fixture", "detail"), [("token_rejected.json", "401"), ("invalid_grant.json", "invalid_grant")]
    )
    def test_token_refused(self, replay, fixture, detail):
        replay.load(OWN / fixture)
        source = make_source(SCRIPT, inbox=["mentions"])

        _, error = drain(source)

        assert isinstance(error, AuthError) and detail in str(error)
        assert_no_secret(error)

    def test_429_one_shot_reports_reset_without_sleeping(self, replay, prawcore_sleeps):
        replay.load(OWN / "rate_limited.json")
        source = make_source(REFRESH, inbox=["mentions"])

        _, error = drain(source)

        assert isinstance(error, RateLimited) and error.state == "degraded"
        assert error.reset_at == NOW + timedelta(seconds=120)
        assert "resets in 120 s" in str(error)
        assert source.sleeps == [] and prawcore_sleeps == []
        assert_no_secret(error)

    def test_429_daemon_waits_a_short_reset_then_reads(self, replay):
        replay.load(OWN / "rate_limited_short.json")
        source = make_source(REFRESH, inbox=["mentions"], one_shot=False)

        batches, error = drain(source)

        assert error is None
        assert [m["native_id"] for m in mentions_of(batches)] == ["t1_rl1"]
        assert source.sleeps[0] == 30.0
        assert batches[0].calls == 3  # token, 429, 200

    def test_429_daemon_does_not_sleep_a_long_reset(self, replay):
        replay.load(OWN / "rate_limited.json")
        source = make_source(REFRESH, inbox=["mentions"], one_shot=False)

        _, error = drain(source)

        assert isinstance(error, RateLimited) and source.sleeps == []

    def test_5xx_retried_then_read(self, replay):
        replay.load(OWN / "server_errors.json")
        source = make_source(REFRESH, inbox=["mentions"])

        batches, error = drain(source)

        assert error is None
        assert [m["native_id"] for m in mentions_of(batches)] == ["t1_se1", "t1_se2"]
        assert source.sleeps == [1.0]  # prawcore tried 3 times (500, 503, 500); we backed off once
        assert batches[0].calls == 5

    def test_5xx_exhausted_is_transient(self, replay):
        replay.load(OWN / "server_down.json")
        source = make_source(REFRESH, inbox=["mentions"], retries=2)

        _, error = drain(source)

        assert isinstance(error, TransientError) and error.state == "degraded"
        assert "HTTP 503" in str(error) and "gave up after 3 attempts" in str(error)
        assert source.sleeps == [1.0, 2.0]
        assert len(get_requests(replay, "/message/mentions")) == 9  # 3 of ours x prawcore's 3
        assert_no_secret(error)

    def test_timeout_is_transient(self, replay):
        replay.load(OWN / "timeout.json")
        source = make_source(REFRESH, inbox=["mentions"], retries=1)

        _, error = drain(source)

        assert isinstance(error, TransientError) and "timed out" in str(error)
        assert source.sleeps == [1.0]
        assert_no_secret(error)

    def test_malformed_json_is_transient(self, replay):
        replay.load(OWN / "malformed_json.json")
        source = make_source(REFRESH, inbox=["mentions"], retries=0)

        _, error = drain(source)

        assert isinstance(error, TransientError) and "not valid JSON" in str(error)
        assert_no_secret(error)

    def test_malformed_items_are_skipped_with_reasons(self, replay):
        replay.load(OWN / "malformed_items.json")
        source = make_source(REFRESH, inbox=["mentions"])

        batches, error = drain(source)

        assert error is None
        mentions = mentions_of(batches)
        assert [m["native_id"] for m in mentions] == ["t1_ok1", "t1_ok2"]
        assert mentions[1]["author"]["handle"] is None  # "[deleted]"
        skipped = batches[0].skipped
        assert len(skipped) == 6
        for prefix in (
            "r: reddit:t1_bad1: created_utc:",
            "r: reddit:t1_bad2: text:",
            "r: reddit:t1_bad3: author:",
            "r: reddit:t1_bad4: name:",
            "r: reddit:?: kind:",
            "r: reddit:t1_bad6: metrics.likes:",
        ):
            assert any(s.startswith(prefix) for s in skipped), (prefix, skipped)
        assert batches[-1].cursor == {"mentions": {"newest": "t1_ok1", "created_utc": T0 - 10}}

    def test_api_error_in_one_listing_does_not_stop_the_others(self, replay):
        replay.load(OWN / "api_error.json")
        replay.add_listing(f"{OAUTH}/r/brandsub/comments/", [])
        source = make_source(READ_ONLY, inbox=[], own_subreddits=["brandsub"])

        batches, error = drain(source)

        assert type(error) is SourceError
        assert "SUBREDDIT_NOEXIST" in str(error) and "new posts of r/brandsub" in str(error)
        assert final_cursor(batches) == {} and get_requests(replay, "/r/brandsub/comments/")  # read, nothing new


# ---- through the poller -------------------------------------------------------------------------
class TestPoller:
    CONFIG = """
        [brand]
        name = "Brand"
        handles = ["brand_account"]

        [sources.reddit_brand]
        type = "reddit"
        client_id = "sw-test-app-id"
        client_secret = "$SW_TEST_REDDIT_SECRET"
        refresh_token = "$SW_TEST_REDDIT_REFRESH"
        inbox = ["mentions"]
        limit = 2
        retries = 0
        lookback = "3650d"
        """

    def test_each_mention_is_stored_once_across_a_failed_poll(self, replay, isolated_home, monkeypatch):
        monkeypatch.setenv("SW_TEST_REDDIT_SECRET", SECRETS["client_secret"])
        monkeypatch.setenv("SW_TEST_REDDIT_REFRESH", SECRETS["refresh_token"])
        (isolated_home / "socialwatch.toml").write_text(textwrap.dedent(self.CONFIG))
        replay.load(OWN / "failure_then_recover.json")

        first = poll_source(App(), "reddit_brand")
        second = poll_source(App(), "reddit_brand")

        assert first.state == "degraded" and "HTTP 503" in first.error and first.new == 2
        assert first.calls == 5  # token, page 1, page 2 three times: failed requests count too
        assert_no_secret(Exception(first.error))
        assert second.error is None and second.new == 3 and second.duplicates == 2
        app = App()
        assert sorted(m["id"] for m in app.store.iter_all()) == [f"reddit:t1_fr{i}" for i in range(1, 6)]
        state = app.store.source_states()["reddit_brand"]
        assert state["cursor"] == {"mentions": {"newest": "t1_fr5", "created_utc": T0 - 10}}
        assert state["health"]["state"] == "ok" and state["health"]["calls_today"]["count"] == 5 + 4


# ---- test(), configuration, imports ------------------------------------------------------------
class TestCheck:
    def test_test_reports_the_account(self, replay, fixtures_dir):
        replay.load(fixtures_dir / "praw" / "TestUser.test_me.json")
        source = make_source(SCRIPT)

        lines = source.test()

        assert lines[0] == "credentials accepted (script app: username + password): logged in as u/PyAPITestUser2"
        assert "inbox mentions" in lines[1]

    @pytest.mark.parametrize(
        ("table", "key"),
        [
            ({"client_secret": "x", "refresh_token": "y"}, "client_id"),
            ({**REFRESH, "inbox": ["mentions", "modmail"]}, "inbox"),
            ({**READ_ONLY}, "inbox"),
            ({**READ_ONLY, "inbox": []}, "inbox"),
            ({**REFRESH, "limit": 500}, "limit"),
            ({**REFRESH, "retries": -1}, "retries"),
            ({**REFRESH, "subreddits": ["r/ok", "not a sub!"], "search": "brand"}, "subreddits"),
            ({**REFRESH, "mark_read": "yes"}, "mark_read"),
            ({"client_id": "a", "username": "u", "password": SECRETS["password"]}, "client_secret"),
            ({**REFRESH, "subreddits": ["brand"]}, "subreddits"),
        ],
    )
    def test_check_config_names_the_key(self, table, key):
        with pytest.raises(ConfigError) as info:
            RedditSource.check_config("r", {"type": "reddit", **table}, "/etc/sw.toml")
        assert info.value.key == f"sources.r.{key}"
        assert_no_secret(info.value)

    def test_search_only_read_only_config_is_valid(self):
        RedditSource.check_config("r", {"type": "reddit", **READ_ONLY, "inbox": [], "search": "brand -job"})

    def test_importing_the_module_does_not_import_praw(self):
        code = "import sys, socialwatch.sources.reddit; sys.exit('praw' in sys.modules or 'prawcore' in sys.modules)"
        assert subprocess.run([sys.executable, "-c", code], cwd=pathlib.Path(__file__).parent.parent).returncode == 0
