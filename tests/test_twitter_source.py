"""The X/Twitter source against the real tweepy.Client, replaying recorded X API traffic.

The recordings (tests/fixtures/tweepy, served by tests/replay_vcr.py) hold only successes with
id+text tweets; pages with every field and the error answers (401, 403, 429, 5xx, ...) are our own
fixtures in tests/fixtures/twitter, on the API's shapes.
"""

from __future__ import annotations

import json
import logging
import pathlib
import subprocess
import sys
import traceback
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from socialwatch import model
from socialwatch.errors import ConfigError
from socialwatch.sources import (
    AuthError,
    BudgetExhausted,
    NotEntitled,
    RateLimited,
    SourceContext,
    SourceError,
    TransientError,
    twitter,
)
from socialwatch.sources.twitter import TwitterSource, build_query, snowflake_time
from tests.replay_vcr import add_json, find, load_cassette, register
from tests.source_helpers import drain as run
from tests.source_helpers import mentions_of, recording_sleeps

HERE = pathlib.Path(__file__).resolve().parent
OWN = HERE / "fixtures" / "twitter"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BRAND_ID = "1234567890"
MENTIONS = f"/2/users/{BRAND_ID}/mentions"
SEARCH = "/2/tweets/search/recent"
DM_EVENTS = "/2/dm_events"
REC_USER = "783214"  # @Twitter, the account of the recorded mentions
ME_ID = "1072250532645998596"  # @TweepyDev, the account of the recorded get_me and DMs

# distinctive fake credentials: none of them may ever appear in a message or a log line
APP = {"bearer_token": "FAKE-BEARER-q7Zr41xW"}
OAUTH1 = {
    "consumer_key": "FAKE-CKEY-m2Pv88",
    "consumer_secret": "FAKE-CSECRET-u4Hd09",
    "access_token": "FAKE-ATOKEN-b6Lk55",
    "access_token_secret": "FAKE-ASECRET-t1Qs37",
}
USER2 = {"user_token": "FAKE-USERTOKEN-z9Xc12"}
SECRET_VALUES = [*APP.values(), *OAUTH1.values(), *USER2.values()]


# ---- helpers -----------------------------------------------------------------------------------
def own(name: str) -> dict:
    return json.loads((OWN / name).read_text(encoding="utf-8"))


def make(
    config: dict | None = None,
    *,
    creds: dict | None = None,
    cursor: dict | None = None,
    now: datetime = NOW,
    brand: dict | None = None,
    **context: object,
) -> TwitterSource:
    """A source with fake sleep (recorded in `.sleeps`) and a fixed clock."""
    table = {**(APP if creds is None else creds), **(config or {})}
    ctx = SourceContext(name="x_brand", brand=brand or {}, now=now, **context)
    source = recording_sleeps(TwitterSource("x_brand", table, ctx), cursor)
    source._time = now.timestamp
    return source


def query_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def path_of(call) -> str:
    return urlsplit(call.request.url).path


def rate_headers(remaining: int, reset: int = 1772453700) -> dict[str, str]:
    return {"x-rate-limit-limit": "450", "x-rate-limit-remaining": str(remaining), "x-rate-limit-reset": str(reset)}


def snowflake_at(moment: datetime) -> str:
    return str((int(moment.timestamp() * 1000) - twitter.TWEPOCH_MS) << 22)


def brand_config(**extra: object) -> dict:
    return {"user_id": BRAND_ID, **extra}


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def cassette(fixtures_dir):
    def load(name: str):
        return load_cassette(fixtures_dir / "tweepy" / name)

    return load


def serve_two_pages(rsps, path: str = MENTIONS, token_param: str = "pagination_token") -> None:
    page1, page2 = own("mentions_page1.json"), own("mentions_page2.json")
    add_json(rsps, "GET", path, page1, headers=rate_headers(449))
    add_json(rsps, "GET", path, page2, headers=rate_headers(448), query={token_param: page1["meta"]["next_token"]})


# ---- the recordings ------------------------------------------------------------------------------
REC_NOW = datetime(2022, 10, 7, 22, 45, tzinfo=UTC)


def test_recorded_mentions_become_ten_valid_mentions(rsps, cassette):
    recorded = find(cassette("test_client_get_users_mentions.yaml"), "GET", f"/2/users/{REC_USER}/mentions")
    register(rsps, recorded)
    token = recorded.json()["meta"]["next_token"]
    add_json(rsps, "GET", f"/2/users/{REC_USER}/mentions", own("page_empty.json"), query={"pagination_token": token})
    source = make({"user_id": REC_USER}, now=REC_NOW, lookback=3600)

    batches, error = run(source)

    assert error is None
    found = mentions_of(batches)
    assert len(found) == 10
    assert [b.cursor for b in batches] == [None, {"mentions": {"since_id": "1578516295611748353"}}]
    assert batches[0].rate_limit_remaining == 448 and [b.calls for b in batches] == [1, 1]
    first = found[0]
    assert first["id"] == "twitter:1578516295611748353" and first["kind"] == "mention"
    assert first["text"].startswith("@Twitter @TwitterSupport this is my ENTIRE feed")
    assert first["url"] == "https://x.com/i/web/status/1578516295611748353"
    assert first["created_at"] == "2022-10-07T22:43:06Z"  # from the snowflake id: the recording has no created_at
    assert first["author"] == {"handle": None, "name": None, "id": None, "followers": None, "verified": None}
    for mention in found:
        assert mention["id"].startswith("twitter:") and mention["source"] == "x_brand"
        assert model.normalize(mention, platform="twitter", source="x_brand", now=REC_NOW) == mention
    ask = query_of(rsps.calls[0])
    assert ask["expansions"] == "author_id"
    assert set(ask["tweet.fields"].split(",")) >= {
        "created_at",
        "public_metrics",
        "conversation_id",
        "referenced_tweets",
        "lang",
        "author_id",
    }
    assert set(ask["user.fields"].split(",")) == {"username", "name", "verified", "public_metrics"}
    assert ask["start_time"] == "2022-10-07T21:45:00Z" and "since_id" not in ask
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {APP['bearer_token']}"


def test_recorded_search_with_exclusions_and_a_gap(rsps, cassette):
    recorded = find(cassette("test_client_search_recent_tweets.yaml"), "GET", SEARCH)
    register(rsps, recorded)
    source = make(
        {"mentions": False, "search_query": "Tweepy", "max_pages": 1},
        now=REC_NOW,
        lookback=3600,
        brand={"exclusions": ["jobs", "free shipping"]},
    )

    batches, error = run(source)

    assert error is None and len(batches) == 1
    found = batches[0].mentions
    assert len(found) == 10 and {m["kind"] for m in found} == {"search"}
    assert found[0]["id"] == "twitter:1578516068309794817"
    assert query_of(rsps.calls[0])["query"] == 'Tweepy -is:retweet -jobs -"free shipping"'
    assert batches[0].cursor == {"search": {"since_id": "1578516068309794817"}}
    # one page allowed, a next_token left, and the oldest tweet (22:24) is newer than the window start (21:45)
    assert batches[0].gap.startswith(
        "recent search: window not covered from 2022-10-07T21:45:00Z to 2022-10-07T22:24:12Z"
    )
    assert "max_pages = 1" in batches[0].gap


def test_get_me_once_then_user_id_cached_in_cursor(rsps, cassette):
    me = find(cassette("test_client_get_me.yaml"), "GET", "/2/users/me")
    recorded = find(cassette("test_client_get_users_mentions.yaml"), "GET", f"/2/users/{REC_USER}/mentions")
    register(rsps, me)
    register(rsps, recorded, path=f"/2/users/{ME_ID}/mentions")
    token = recorded.json()["meta"]["next_token"]
    add_json(rsps, "GET", f"/2/users/{ME_ID}/mentions", own("page_empty.json"), query={"pagination_token": token})
    source = make(creds=OAUTH1, now=REC_NOW)

    batches, error = run(source)

    assert error is None and len(mentions_of(batches)) == 10
    assert [path_of(c) for c in rsps.calls][:2] == ["/2/users/me", f"/2/users/{ME_ID}/mentions"]
    assert batches[0].calls == 2  # get_me + the first page
    cursor = batches[-1].cursor
    assert cursor == {"user_id": ME_ID, "mentions": {"since_id": "1578516295611748353"}}
    assert rsps.calls[1].request.headers["Authorization"].startswith("OAuth ")

    again = make(creds=OAUTH1, now=REC_NOW, cursor=cursor)
    before = len(rsps.calls)
    add_json(rsps, "GET", f"/2/users/{ME_ID}/mentions", own("page_empty.json"))
    batches, error = run(again)
    assert error is None
    new_calls = rsps.calls[before:]
    assert [path_of(c) for c in new_calls] == [f"/2/users/{ME_ID}/mentions"]  # no second get_me
    assert query_of(new_calls[0])["since_id"] == "1578516295611748353"
    assert batches[-1].cursor == cursor  # nothing newer: the cursor stays


def test_recorded_dm_events(rsps, cassette):
    recorded = cassette("test_manage_and_lookup_direct_messages.yaml")
    register(rsps, find(recorded, "GET", DM_EVENTS))  # the recording is empty: {"meta": {"result_count": 0}}
    config = {"user_id": ME_ID, "mentions": False, "dms": True}
    now = datetime(2022, 10, 28, 2, 0, tzinfo=UTC)

    batches, error = run(make(config, creds=OAUTH1, now=now))
    assert error is None and mentions_of(batches) == []
    assert batches[-1].cursor == {"dms": {"start_time": "2022-10-28T01:50:00Z"}}
    ask = query_of(rsps.calls[0])
    assert ask["event_types"] == "MessageCreate" and ask["expansions"] == "sender_id"
    assert {"text", "created_at", "sender_id", "dm_conversation_id"} <= set(ask["dm_event.fields"].split(","))

    # the conversation lookup of the same recording has real MessageCreate events (id + text only)
    conversation = find(recorded, "GET", "/2/dm_conversations/with/750362064426721281/dm_events")
    rsps.reset()
    register(rsps, conversation, path=DM_EVENTS)
    add_json(rsps, "GET", DM_EVENTS, own("page_empty.json"), query={"pagination_token": "18LAA5G1SL0NR5OG0G00ZZZZ"})
    batches, error = run(make(config, creds=OAUTH1, now=now))
    assert error is None
    found = mentions_of(batches)
    assert [(m["id"], m["kind"], m["text"]) for m in found] == [
        ("twitter:1585800613752881156", "dm", "Testing 2"),
        ("twitter:1585800613253812228", "dm", "Testing 1"),
    ]
    assert found[0]["created_at"] == "2022-10-28T01:08:23Z"
    assert batches[-1].cursor == {"dms": {"since_id": "1585800613752881156"}}


# ---- full mapping, pagination and cursors (own pages on the API's shapes) --------------------------
def test_two_pages_full_mapping_and_cursor_only_on_the_last_batch(rsps):
    serve_two_pages(rsps)
    batches, error = run(make(brand_config()))

    assert error is None and len(batches) == 2
    assert batches[0].cursor is None
    assert batches[1].cursor == {"mentions": {"since_id": "2028437713056698380"}}
    assert [b.calls for b in batches] == [1, 1]
    assert [b.rate_limit_remaining for b in batches] == [449, 448]
    assert all(b.gap is None and b.skipped == [] for b in batches)
    assert query_of(rsps.calls[1])["pagination_token"] == "7140dibdnow9c7btw423i3sy3u5zupmkcpofxcsmxj48j"

    # page 1: the retweet is left out; page 2: the brand's own reply is left out
    assert [m["native_id"] for m in batches[0].mentions] == ["2028437713056698380", "2028435410383802371"]
    assert [m["native_id"] for m in batches[1].mentions] == ["2028427843859386427", "2028426000000000000"]
    first, reply = batches[0].mentions
    assert first["author"] == {
        "handle": "dana_q",
        "name": "Dana Quinn",
        "id": "1500000000000000001",
        "followers": 1832,
        "verified": False,
    }
    assert first["metrics"] == {"likes": 14, "reposts": 2, "replies": 1, "quotes": 1}
    assert first["url"] == "https://x.com/dana_q/status/2028437713056698380"
    assert (first["kind"], first["lang"], first["created_at"]) == ("mention", "en", "2026-03-02T11:50:12Z")
    assert first["conversation_id"] == "twitter:2028437713056698380" and first["in_reply_to"] is None
    assert reply["kind"] == "reply" and reply["in_reply_to"] == "twitter:2028409980318650368"
    assert reply["conversation_id"] == "twitter:2028409980318650368"
    unknown, verified = batches[1].mentions
    assert unknown["author"]["id"] == "1500000000000000004" and unknown["author"]["handle"] is None
    assert unknown["url"] == "https://x.com/i/web/status/2028427843859386427" and unknown["lang"] == "es"
    assert verified["author"]["verified"] is True and verified["author"]["followers"] == 48200


def test_first_poll_reaches_back_the_lookback(rsps):
    add_json(rsps, "GET", MENTIONS, own("page_empty.json"))
    batches, error = run(make(brand_config(), lookback=7200))
    assert error is None
    ask = query_of(rsps.calls[0])
    assert ask["start_time"] == "2026-03-02T10:00:00Z" and "since_id" not in ask
    # nothing found: covered up to now; the next poll resumes there (10 minutes of overlap), so a
    # long downtime of a quiet account is covered instead of sliding `now - lookback` past it
    assert batches[-1].cursor == {"mentions": {"start_time": "2026-03-02T11:50:00Z"}}

    later = make(brand_config(), cursor=batches[-1].cursor, now=NOW + timedelta(hours=5), lookback=7200)
    run(later)
    assert query_of(rsps.calls[1])["start_time"] == "2026-03-02T11:50:00Z"


def test_second_poll_asks_since_id(rsps):
    add_json(rsps, "GET", MENTIONS, own("page_empty.json"))
    cursor = {"mentions": {"since_id": "2028430133949370373"}}
    batches, error = run(make(brand_config(), cursor=cursor))
    assert error is None
    ask = query_of(rsps.calls[0])
    assert ask["since_id"] == "2028430133949370373" and "start_time" not in ask
    assert batches[-1].cursor == cursor


def test_backfill_uses_since_and_never_moves_the_cursor_back(rsps):
    add_json(rsps, "GET", MENTIONS, own("mentions_page2.json"))
    cursor = {"mentions": {"since_id": "2028437713056698380"}}
    batches, error = run(make(brand_config(), cursor=cursor, since=NOW - timedelta(days=3)))
    assert error is None
    ask = query_of(rsps.calls[0])
    assert ask["start_time"] == "2026-02-27T12:00:00Z" and "since_id" not in ask
    assert len(mentions_of(batches)) == 2
    assert batches[-1].cursor == cursor  # the page's newest id is older than the stored one


def test_gap_when_max_pages_stops_the_walk(rsps):
    serve_two_pages(rsps)
    batches, error = run(make(brand_config(max_pages=1)))
    assert error is None and len(batches) == 1 and len(rsps.calls) == 1
    assert batches[0].cursor == {"mentions": {"since_id": "2028437713056698380"}}
    assert batches[0].gap.startswith(
        "mentions: window not covered from 2026-03-01T12:00:00Z to 2026-03-02T11:30:44Z: stopped after 1 page(s)"
    )


def test_gap_when_the_mention_cap_is_reached(rsps, monkeypatch):
    monkeypatch.setattr("socialwatch.sources.twitter.walk.MENTIONS_CAP", 6)  # 800 in real life; two pages of 3 here
    serve_two_pages(rsps)
    batches, error = run(make(brand_config()))
    assert error is None
    assert batches[-1].gap == (
        "mentions: window not covered from 2026-03-01T12:00:00Z to 2026-03-02T11:03:39Z: "
        "X serves only the 6 most recent mentions"
    )


def test_search_window_is_clamped_to_seven_days(rsps):
    add_json(rsps, "GET", SEARCH, own("page_empty.json"))
    old = snowflake_at(NOW - timedelta(days=10))
    batches, error = run(
        make({"mentions": False, "search_query": "acme OR @AcmeSupport"}, cursor={"search": {"since_id": old}})
    )
    assert error is None
    ask = query_of(rsps.calls[0])
    assert ask["start_time"] == "2026-02-23T12:02:00Z" and "since_id" not in ask
    assert ask["max_results"] == "100" and ask["query"] == "(acme OR @AcmeSupport) -is:retweet"
    assert "recent search covers the last 7 days only" in batches[-1].gap
    assert batches[-1].cursor == {"search": {"since_id": old}}


def test_dms_full_fields_skip_own_messages_and_stop_at_the_cursor(rsps):
    add_json(rsps, "GET", DM_EVENTS, own("dm_events.json"), headers=rate_headers(290))
    config = brand_config(mentions=False, dms=True)
    batches, error = run(make(config, creds=USER2, lookback=3600))

    assert error is None and len(rsps.calls) == 1  # the 09:00 event is before the window: no second page
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {USER2['user_token']}"
    found = batches[-1].mentions
    assert [m["native_id"] for m in found] == ["2028438921016250368", "2028433887851450368"]
    dana = found[0]
    assert dana["kind"] == "dm" and dana["author"]["handle"] == "dana_q"
    assert dana["conversation_id"] == "twitter:1234567890-1500000000000000001"
    assert dana["url"] == "https://x.com/messages/1234567890-1500000000000000001"
    assert dana["created_at"] == "2026-03-02T11:55:00Z"
    assert batches[-1].cursor == {"dms": {"since_id": "2028438921016250368"}}

    batches, error = run(make(config, creds=USER2, cursor={"dms": {"since_id": "2028433887851450368"}}))
    assert error is None and len(rsps.calls) == 2
    assert [m["native_id"] for m in mentions_of(batches)] == ["2028438921016250368"]


def test_dm_backfill_filters_by_time_not_by_the_cursor(rsps):
    add_json(rsps, "GET", DM_EVENTS, own("dm_events.json"))
    add_json(rsps, "GET", DM_EVENTS, own("page_empty.json"), query={"pagination_token": "18LAA5G1SL0NR5OG0G00ZZZZ"})
    cursor = {"dms": {"since_id": "2028438921016250368"}}
    config = brand_config(mentions=False, dms=True)
    batches, error = run(make(config, creds=USER2, cursor=cursor, since=NOW - timedelta(days=1)))
    assert error is None and len(rsps.calls) == 2
    assert [m["native_id"] for m in mentions_of(batches)] == [
        "2028438921016250368",
        "2028433887851450368",
        "2028394880824250368",
    ]
    assert batches[-1].cursor == cursor


def test_a_quiet_search_resumes_where_it_stopped(rsps):
    add_json(rsps, "GET", SEARCH, own("page_empty.json"))
    batches, error = run(make({"mentions": False, "search_query": "acme"}, lookback=30 * 86400))
    assert error is None and "recent search covers the last 7 days only" in batches[-1].gap
    assert batches[-1].cursor == {"search": {"start_time": "2026-03-02T11:50:00Z"}}
    later = NOW + timedelta(days=2)
    batches, error = run(make({"mentions": False, "search_query": "acme"}, cursor=batches[-1].cursor, now=later))
    assert error is None and batches[-1].gap is None  # no spurious gap for a quiet query
    assert query_of(rsps.calls[1])["start_time"] == "2026-03-02T11:50:00Z"


def test_a_malformed_item_is_skipped_with_its_reason(rsps, caplog):
    add_json(rsps, "GET", MENTIONS, own("mentions_malformed.json"))
    batches, error = run(make(brand_config()))
    assert error is None
    kept = {m["native_id"]: m for m in mentions_of(batches)}
    assert list(kept) == ["2028438921016250368", "2028433887851450368", "2028433000000000000", "2028432000000000000"]
    assert batches[-1].skipped == [
        "x_brand: twitter:2028436530262970398: text: expected a string, got int",
        "x_brand: twitter:?: id: missing",
    ]
    # a bad optional field is dropped, the mention kept: its time from the id, the metric unknown
    assert kept["2028433887851450368"]["created_at"] == "2026-03-02T11:35:00Z"
    assert kept["2028433000000000000"]["metrics"]["likes"] is None
    assert "twitter:2028433000000000000: metrics.likes dropped" in caplog.text
    assert batches[-1].cursor == {"mentions": {"since_id": "2028438921016250368"}}


def poll_into(store: dict, state: dict, source: TwitterSource) -> SourceError | None:
    """What the poller does: store each batch (deduplicated on the id), then its cursor."""
    source.cursor = state.get("cursor")
    batches, error = run(source)
    for batch in batches:
        for mention in batch.mentions:
            store.setdefault(mention["id"], mention)
        if batch.cursor is not None:
            state["cursor"] = batch.cursor
    return error


def test_no_mention_lost_or_duplicated_across_a_failure_and_the_next_poll(rsps):
    page1, page2 = own("mentions_page1.json"), own("mentions_page2.json")
    token = {"pagination_token": page1["meta"]["next_token"]}
    add_json(rsps, "GET", MENTIONS, page1)
    add_json(rsps, "GET", MENTIONS, own("error_503.json"), status=503, query=token)
    store: dict = {}
    state: dict = {}

    error = poll_into(store, state, make(brand_config()))
    assert isinstance(error, TransientError)
    assert len(store) == 2 and "cursor" not in state  # page 1 kept, the cursor not moved past page 2

    rsps.reset()
    add_json(rsps, "GET", MENTIONS, page1)
    add_json(rsps, "GET", MENTIONS, page2, query=token)
    assert poll_into(store, state, make(brand_config(), now=NOW + timedelta(minutes=5))) is None
    assert sorted(store) == sorted(
        f"twitter:{i}"
        for i in ("2028437713056698380", "2028435410383802371", "2028427843859386427", "2028426000000000000")
    )
    assert state["cursor"] == {"mentions": {"since_id": "2028437713056698380"}}

    rsps.reset()
    add_json(rsps, "GET", MENTIONS, own("page_empty.json"))
    assert poll_into(store, state, make(brand_config(), now=NOW + timedelta(minutes=10))) is None
    assert query_of(rsps.calls[0])["since_id"] == "2028437713056698380" and len(store) == 4


# ---- errors ------------------------------------------------------------------------------------------
def test_429_in_one_shot_mode_reports_the_reset_at_once(rsps):
    reset = int((NOW + timedelta(minutes=10)).timestamp())
    add_json(rsps, "GET", MENTIONS, own("error_429.json"), status=429, headers=rate_headers(0, reset))
    source = make(brand_config())
    batches, error = run(source)
    assert isinstance(error, RateLimited) and error.state == "degraded"
    assert error.reset_at == datetime.fromtimestamp(reset, tz=UTC)
    assert str(error) == "X rate limit reached for source x_brand (mentions); resets at 12:10 UTC"
    assert source.sleeps == [] and len(rsps.calls) == 1
    assert batches[-1].calls == 1 and batches[-1].rate_limit_remaining == 0


def test_429_in_daemon_mode_waits_for_a_short_reset(rsps):
    reset = int((NOW + timedelta(seconds=20)).timestamp())
    add_json(rsps, "GET", MENTIONS, own("error_429.json"), status=429, headers=rate_headers(0, reset))
    add_json(rsps, "GET", MENTIONS, own("mentions_page2.json"), headers=rate_headers(449, reset + 900))
    source = make(brand_config(), one_shot=False)
    batches, error = run(source)
    assert error is None
    assert source.sleeps == [21.0]
    assert len(mentions_of(batches)) == 2 and batches[-1].calls == 2


def test_429_in_daemon_mode_does_not_wait_longer_than_allowed(rsps):
    reset = int((NOW + timedelta(minutes=14)).timestamp())
    add_json(rsps, "GET", MENTIONS, own("error_429.json"), status=429, headers=rate_headers(0, reset))
    source = make(brand_config(max_rate_limit_wait=60), one_shot=False)
    _, error = run(source)
    assert isinstance(error, RateLimited) and source.sleeps == []
    assert "resets at 12:14 UTC" in str(error)


def test_429_usage_cap_is_a_spent_budget_not_a_wait(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_429_usage_capped.json"), status=429, headers=rate_headers(39999))
    source = make(brand_config(), one_shot=False)
    _, error = run(source)
    assert isinstance(error, BudgetExhausted) and source.sleeps == []
    assert "usage cap is spent (429 UsageCapExceeded, Monthly)" in str(error)


def test_401_means_bad_credentials_and_names_the_keys(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_401.json"), status=401)
    source = make(brand_config())
    _, error = run(source)
    assert isinstance(error, AuthError) and not error.retryable and error.state == "failing"
    assert "credentials rejected (401) on mentions: check `bearer_token` in sources.x_brand" in str(error)
    assert source.sleeps == [] and len(rsps.calls) == 1


def test_401_with_user_context_names_the_oauth_keys(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_401.json"), status=401)
    _, error = run(make(brand_config(), creds=OAUTH1))
    assert "`consumer_key`, `consumer_secret`, `access_token`, `access_token_secret`" in str(error)


@pytest.mark.parametrize(
    ("fixture", "needle"),
    [
        ("error_403_code_453.json", "has no access to mentions (GET /2/users/:id/mentions; 403 code 453)"),
        ("error_403_client_not_enrolled.json", "(GET /2/users/:id/mentions; 403 client-not-enrolled)"),
    ],
)
def test_403_not_entitled_on_mentions(rsps, fixture, needle):
    add_json(rsps, "GET", MENTIONS, own(fixture), status=403)
    _, error = run(make(brand_config()))
    assert isinstance(error, NotEntitled)
    assert needle in str(error) and "set `mentions = false` for source x_brand" in str(error)


def test_403_missing_dm_permission(rsps):
    add_json(rsps, "GET", DM_EVENTS, own("error_403_oauth1_permissions.json"), status=403)
    _, error = run(make(brand_config(mentions=False, dms=True), creds=OAUTH1))
    assert isinstance(error, NotEntitled)
    assert "permissions do not allow direct messages (403 oauth1-permissions)" in str(error)


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retried_with_backoff_then_transient(rsps, status):
    add_json(rsps, "GET", MENTIONS, own(f"error_{status}.json"), status=status)
    source = make(brand_config())
    batches, error = run(source)
    assert isinstance(error, TransientError) and error.state == "degraded"
    assert source.sleeps == [1.0, 2.0, 4.0] and len(rsps.calls) == 4
    assert batches[-1].calls == 4 and batches[-1].cursor is None
    assert str(error).startswith(f"X API unavailable for source x_brand (mentions: {status} ")
    assert "gave up after 4 attempt(s)" in str(error)


def test_503_then_200_recovers(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_503.json"), status=503)
    add_json(rsps, "GET", MENTIONS, own("mentions_page2.json"))
    source = make(brand_config())
    batches, error = run(source)
    assert error is None and source.sleeps == [1.0]
    assert len(mentions_of(batches)) == 2 and batches[-1].calls == 2
    assert batches[-1].cursor == {"mentions": {"since_id": "2028430133949370373"}}


def test_timeout_is_retried_then_transient(rsps):
    add_json(rsps, "GET", MENTIONS, requests.exceptions.ConnectTimeout("connect timed out"))
    source = make(brand_config(retries=2))
    _, error = run(source)
    assert isinstance(error, TransientError)
    assert str(error).startswith("X API did not answer for source x_brand (mentions: ConnectTimeout)")
    assert source.sleeps == [1.0, 2.0] and len(rsps.calls) == 3


@pytest.mark.parametrize("body", ['{"data": [{"id": "2028437713056698380", "text": "cut', "[]", "<html>502</html>"])
def test_malformed_json_is_transient(rsps, body):
    add_json(rsps, "GET", MENTIONS, body)
    source = make(brand_config(retries=1))
    batches, error = run(source)
    assert isinstance(error, TransientError) and "malformed JSON body" in str(error)
    assert mentions_of(batches) == [] and len(rsps.calls) == 2


def test_an_error_body_tweepy_cannot_read_does_not_crash(rsps):
    add_json(rsps, "GET", MENTIONS, "[]", status=403)  # tweepy's HTTPException expects an object
    _, error = run(make(brand_config(retries=0)))
    assert isinstance(error, TransientError) and "unexpected answer" in str(error)


def test_401_stops_the_other_endpoints_and_counts_the_call(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_401.json"), status=401)
    batches, error = run(make(brand_config(search_query="acme")))
    assert isinstance(error, AuthError) and len(rsps.calls) == 1
    assert [(b.mentions, b.cursor, b.calls) for b in batches] == [([], None, 1)]


def test_400_is_reported_without_retry(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_400_invalid_start_time.json"), status=400)
    source = make(brand_config())
    _, error = run(source)
    assert type(error) is SourceError and source.sleeps == []
    assert "(GET /2/users/:id/mentions: 400 Invalid Request, parameter start_time)" in str(error)


def test_an_errors_only_answer_is_reported(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_user_not_found.json"))
    _, error = run(make(brand_config()))
    assert type(error) is SourceError and "errors only (Not Found Error)" in str(error)


def _scenarios():
    yield "401 app", APP, brand_config(), MENTIONS, own("error_401.json"), 401
    yield "401 oauth1", OAUTH1, brand_config(), MENTIONS, own("error_401.json"), 401
    yield "401 user token", USER2, brand_config(), MENTIONS, own("error_401.json"), 401
    yield (
        "403",
        {**APP, **OAUTH1},
        brand_config(dms=True, mentions=False),
        DM_EVENTS,
        own("error_403_code_453.json"),
        403,
    )
    yield "429", APP, brand_config(), MENTIONS, own("error_429.json"), 429
    yield "500", OAUTH1, brand_config(), MENTIONS, own("error_500.json"), 500
    yield "timeout", OAUTH1, brand_config(), MENTIONS, requests.exceptions.ReadTimeout("read timed out"), 200
    yield "malformed", APP, brand_config(), MENTIONS, "{oops", 200


@pytest.mark.parametrize(("label", "creds", "config", "path", "body", "status"), list(_scenarios()))
def test_no_secret_in_any_error_or_log(rsps, caplog, label, creds, config, path, body, status):
    caplog.set_level(logging.DEBUG)
    add_json(rsps, "GET", path, body, status=status)
    _, error = run(make(config, creds=creds))
    assert isinstance(error, SourceError), label
    assert error.__cause__ is None and error.__context__ is None
    shown = str(error) + repr(error) + "".join(traceback.format_exception(error)) + caplog.text
    for secret in SECRET_VALUES:
        assert secret not in shown, (label, secret)


# ---- configuration and credentials -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "key", "needle"),
    [
        ({}, "bearer_token", "set `bearer_token` (app-only reads) or `consumer_key`"),
        ({"consumer_key": "$X_CK", "access_token": "$X_AT"}, "consumer_secret", "also set `consumer_secret`"),
        ({"bearer_token": "$X_BEARER_TOKEN"}, "user_id", "need `user_id`"),
        ({**APP, "user_id": BRAND_ID, "dms": True}, "dms", "`dms = true` needs user-context credentials"),
        ({**APP, "mentions": False}, "mentions", "nothing to fetch"),
        ({**APP, "user_id": "@AcmeSupport"}, "user_id", "numeric id"),
        ({**APP, "user_id": BRAND_ID, "max_results": 500}, "max_results", "from 5 to 100"),
        ({**APP, "user_id": BRAND_ID, "dms": "yes"}, "dms", "expected true or false"),
    ],
)
def test_check_config_names_the_key(table, key, needle):
    with pytest.raises(ConfigError) as info:
        TwitterSource.check_config("x_brand", table, "config.toml")
    assert info.value.key == f"sources.x_brand.{key}"
    assert needle in str(info.value)


@pytest.mark.parametrize(
    "table",
    [
        {**APP, "user_id": BRAND_ID, "search_query": "acme", "max_results": 50},
        {**OAUTH1, "dms": True, "user_id": 1234567890},
        {**USER2, "mentions": True},
    ],
)
def test_check_config_accepts_valid_tables(table):
    TwitterSource.check_config("x_brand", table)


@pytest.mark.parametrize("value", ["", "$X_BEARER_TOKEN"])
def test_fetch_without_usable_credentials_names_the_keys(rsps, value):
    _, error = run(make(brand_config(), creds={"bearer_token": value}))
    assert isinstance(error, AuthError)
    assert "no X credentials: set `bearer_token`" in str(error) and "`user_token`" in str(error)
    assert len(rsps.calls) == 0


# ---- sources test ----------------------------------------------------------------------------------
def test_test_reports_what_works(rsps, cassette):
    register(rsps, find(cassette("test_client_get_me.yaml"), "GET", "/2/users/me"))
    recorded = find(cassette("test_client_get_users_mentions.yaml"), "GET", f"/2/users/{REC_USER}/mentions")
    register(rsps, recorded, path=f"/2/users/{ME_ID}/mentions")
    add_json(rsps, "GET", SEARCH, own("error_403_client_not_enrolled.json"), status=403)

    lines = make({"search_query": "acme"}, creds=OAUTH1).test()

    assert lines == [
        "account: ok (OAuth 1.0a: @TweepyDev, id 1072250532645998596)",
        "mentions: ok (user context; 10 item(s) in the latest page)",
        "search: not entitled (403 client-not-enrolled)",
    ]
    assert query_of(rsps.calls[1])["max_results"] == "5"
    assert len(rsps.calls) == 3


def test_test_without_a_known_account_id_is_not_a_success(rsps):
    add_json(rsps, "GET", "/2/users/me", own("error_503.json"), status=503)
    source = make(creds=USER2)
    with pytest.raises(TransientError) as info:
        source.test()
    assert "mentions: not checked" in str(info.value) and len(rsps.calls) == 1


def test_test_raises_when_nothing_works(rsps):
    add_json(rsps, "GET", MENTIONS, own("error_401.json"), status=401)
    add_json(rsps, "GET", SEARCH, own("error_401.json"), status=401)
    source = make(brand_config(search_query="acme"))
    with pytest.raises(AuthError) as info:
        source.test()
    assert "credentials rejected (401)" in str(info.value)
    assert "search: credentials rejected (401)" in str(info.value)
    assert source.sleeps == []


# ---- helpers and import cost -------------------------------------------------------------------------
def test_build_query():
    assert build_query("acme") == "acme -is:retweet"
    assert build_query("acme OR acmehelp", ["-jobs", ' "free stuff" ', ""]) == (
        '(acme OR acmehelp) -is:retweet -jobs -"free stuff"'
    )
    assert build_query("acme -is:retweet lang:en", "hiring") == "acme -is:retweet lang:en -hiring"


def test_snowflake_time_of_a_recorded_id():
    assert model.iso(snowflake_time("1578516295611748353")) == "2022-10-07T22:43:06Z"
    assert snowflake_time("783214") is None and snowflake_time("not-an-id") is None


def test_module_and_check_config_do_not_import_tweepy():
    code = (
        "import sys\n"
        "from socialwatch.sources.twitter import TwitterSource\n"
        "TwitterSource.check_config('x', {'bearer_token': 't', 'user_id': '1'})\n"
        "assert 'tweepy' not in sys.modules, 'tweepy imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=HERE.parent)
