"""The X/Twitter responder against the real tweepy.Client, replaying recorded X API traffic.

The recordings (tests/fixtures/tweepy, served by tests/replay_vcr.py) hold only successes: the
201 of `POST /2/tweets` and of the DM sends, the DM lookups, `get_me` and a user timeline. The
failures (401, 403, 404, 429, 5xx) and the lookups with every field are our own fixtures in
tests/fixtures/twitter, on the API v2 problem shapes. Their texts follow X's messages where they
are known (duplicate content, "deleted or not visible", limited replies); the protected and DM
refusals are illustrative: the mapping keys on the status, the problem type and a few words.
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
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from socialwatch import model, outbox
from socialwatch.app import App
from socialwatch.errors import ConfigError, Conflict, SocialwatchError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, ResponderContext, SendResult, responder_class
from socialwatch.responders.twitter import INDEX_GRACE, LOOKUP_PAGES, TwitterResponder, comparable
from tests.replay_vcr import add_json, find, load_cassette, register
from tests.test_cli import sw, write_jsonl

HERE = pathlib.Path(__file__).resolve().parent
OWN = HERE / "fixtures" / "twitter"
BRAND_ID = "1234567890"
CUSTOMER_ID = "1500000000000000001"
MENTION_ID = "2028437662725046273"  # the customer's post (2026-03-02 11:50 UTC)
DM_CONVERSATION = f"{BRAND_ID}-{CUSTOMER_ID}"
ME_ID = "1072250532645998596"  # @TweepyDev: the account of the recorded get_me and DM sends
REC_PARTICIPANT = "750362064426721281"  # the other side of the recorded DM conversation
REC_CONVERSATION = f"{REC_PARTICIPANT}-{ME_ID}"
TWEETS = "/2/tweets"
TIMELINE = f"/2/users/{BRAND_ID}/tweets"

# distinctive fake credentials: none of them may ever appear in a message, a record or a log line
OAUTH1 = {
    "consumer_key": "FAKE-CKEY-r5Tn20",
    "consumer_secret": "FAKE-CSECRET-w8Jd61",
    "access_token": "FAKE-ATOKEN-c3Vb47",
    "access_token_secret": "FAKE-ASECRET-k2Lm93",
}
USER2 = {"user_token": "FAKE-USERTOKEN-p6Gh05"}
SECRET_VALUES = [*OAUTH1.values(), *USER2.values()]


# ---- helpers -----------------------------------------------------------------------------------
def own(name: str) -> dict:
    return json.loads((OWN / name).read_text(encoding="utf-8"))


def make(config: dict | None = None, *, creds: dict | None = None, now: datetime | None = None) -> TwitterResponder:
    """A responder named `x`, with the given credentials (OAuth 1.0a by default) and settings."""
    table = {"type": "twitter", **(OAUTH1 if creds is None else creds), **(config or {})}
    ctx = ResponderContext(name="x", brand={}, config_dir=".", data_dir=".")
    responder = TwitterResponder("x", table, ctx)
    if now is not None:
        responder._now = lambda: now
        responder._time = now.timestamp
    return responder


def mention(**over: object) -> dict:
    """A stored X mention (the fields the responder reads)."""
    base = {
        "id": f"twitter:{MENTION_ID}",
        "platform": "twitter",
        "native_id": MENTION_ID,
        "kind": "mention",
        "author": {"handle": "dana_q", "name": "Dana Quinn", "id": CUSTOMER_ID},
        "conversation_id": f"twitter:{MENTION_ID}",
        "in_reply_to": None,
    }
    return {**base, **over}


def dm_mention(**over: object) -> dict:
    fields = {
        "id": "twitter:2028438921016250368",
        "native_id": "2028438921016250368",
        "kind": "dm",
        "conversation_id": f"twitter:{DM_CONVERSATION}",
    }
    return mention(**{**fields, **over})


def record(text: str, *, visibility: str = "public", at: str = "2026-03-02T11:58:00Z") -> dict:
    """An outbox record of an attempt made at `at`."""
    return {
        "id": "rabc",
        "text": text,
        "visibility": visibility,
        "created_at": at,
        "updated_at": at,
        "idempotency_key": "k" * 32,
        "state": "unknown",
    }


def body_of(call) -> dict:
    return json.loads(call.request.body)


def query_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def path_of(call) -> str:
    return urlsplit(call.request.url).path


def posts(rsps: responses.RequestsMock) -> list:
    return [c for c in rsps.calls if c.request.method == "POST"]


def assert_no_secret(error: BaseException, extra: str = "") -> None:
    shown = str(error) + repr(error) + "".join(traceback.format_exception(error)) + extra
    for value in SECRET_VALUES:
        assert value not in shown


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def cassette(fixtures_dir):
    def load(name: str):
        return load_cassette(fixtures_dir / "tweepy" / name)

    return load


# ---- registration and settings -------------------------------------------------------------------
def test_registered_as_the_twitter_type_without_importing_tweepy_early() -> None:
    code = "import sys, socialwatch.responders.twitter; print('tweepy' in sys.modules, 'requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HERE.parent)
    assert out.stdout.split() == ["False", "False"]
    assert responder_class("twitter") is TwitterResponder
    assert TwitterResponder.type_name == "twitter"
    assert set(TwitterResponder.secrets) == {*OAUTH1, "user_token"}


@pytest.mark.parametrize(
    "table, key",
    [
        ({"timeout": 0}, "responders.x.timeout"),
        ({"timeout": "30"}, "responders.x.timeout"),
        ({"user_id": "@AcmeSupport"}, "responders.x.user_id"),
        ({"consumer_key": 42}, "responders.x.consumer_key"),
    ],
)
def test_check_config_names_the_key(table: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        TwitterResponder.check_config("x", {"type": "twitter", **table}, "/etc/sw.toml")
    assert info.value.key == key


def test_check_config_accepts_both_credential_forms() -> None:
    TwitterResponder.check_config("x", {"type": "twitter", **OAUTH1, "user_id": 1234567890, "timeout": 10}, None)
    TwitterResponder.check_config("x", {"type": "twitter", **USER2, "user_id": BRAND_ID}, None)


@pytest.mark.parametrize(
    "creds, wanted",
    [
        ({}, "`user_token`"),
        (
            {"consumer_key": OAUTH1["consumer_key"], "access_token": OAUTH1["access_token"]},
            "also set `consumer_secret`, `access_token_secret`",
        ),
        ({**OAUTH1, "access_token_secret": "  "}, "also set `access_token_secret`"),
    ],
)
def test_missing_user_context_names_the_keys_never_the_values(rsps, creds: dict, wanted: str) -> None:
    responder = make(creds=creds)
    for call in (
        lambda: responder.post_public(mention(), "hi", "k"),
        lambda: responder.post_private(mention(), "hi", "k"),
    ):
        with pytest.raises(ReplyFailed) as info:
            call()
        assert wanted in str(info.value) and "responders.x" in str(info.value)
        assert_no_secret(info.value)
    with pytest.raises(OutcomeUnknown, match="credentials"):
        responder.find_reply(mention(), record("hi"))
    assert len(rsps.calls) == 0


# ---- public replies ------------------------------------------------------------------------------
def test_public_reply_through_the_recorded_create_tweet(rsps, cassette) -> None:
    register(rsps, find(cassette("test_client_create_and_delete_tweet.yaml"), "POST", TWEETS))
    responder = make({"username": "TweepyDev"})
    result = responder.post_public(mention(), "Test Tweet", "k" * 32)
    assert result == SendResult(
        reply_id="1456012973835788293", url="https://x.com/TweepyDev/status/1456012973835788293", confirmed=True
    )
    [call] = rsps.calls
    assert body_of(call) == {"text": "Test Tweet", "reply": {"in_reply_to_tweet_id": MENTION_ID}}
    assert call.request.headers["Authorization"].startswith("OAuth ")  # OAuth 1.0a user context
    responder.close()


def test_public_reply_with_an_oauth2_user_token_and_no_username(rsps, cassette) -> None:
    register(rsps, find(cassette("test_client_create_and_delete_tweet.yaml"), "POST", TWEETS))
    result = make(creds=USER2).post_public(mention(), "Test Tweet", "k")
    assert result.url == "https://x.com/i/web/status/1456012973835788293"
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {USER2['user_token']}"


@pytest.mark.parametrize(
    "target, wanted",
    [
        (dm_mention(), "is a direct message: reply privately"),
        (mention(native_id="t1_abc"), "has no X post id"),
        (mention(platform="reddit", id="reddit:t1_abc"), "it is a reddit mention"),
    ],
)
def test_public_reply_refuses_what_cannot_be_a_thread(rsps, target: dict, wanted: str) -> None:
    with pytest.raises(ReplyFailed, match=wanted):
        make().post_public(target, "hi", "k")
    assert len(rsps.calls) == 0


# ---- private replies -----------------------------------------------------------------------------
def test_private_reply_to_the_author_through_the_recorded_dm_send(rsps, cassette) -> None:
    recorded = cassette("test_manage_and_lookup_direct_messages.yaml")
    register(rsps, find(recorded, "POST", f"/2/dm_conversations/with/{REC_PARTICIPANT}/messages"))
    target = mention(author={"handle": "someone", "id": REC_PARTICIPANT})
    result = make().post_private(target, "Testing 1", "k")
    assert result == SendResult(reply_id="1585800613253812228", url=f"https://x.com/messages/{REC_CONVERSATION}")
    assert body_of(rsps.calls[0]) == {"text": "Testing 1"}


def test_private_reply_to_a_dm_goes_into_its_conversation(rsps, cassette) -> None:
    recorded = cassette("test_manage_and_lookup_direct_messages.yaml")
    register(rsps, find(recorded, "POST", f"/2/dm_conversations/{REC_CONVERSATION}/messages"))
    target = dm_mention(conversation_id=f"twitter:{REC_CONVERSATION}", author={"id": REC_PARTICIPANT})
    result = make().post_private(target, "Testing 2", "k")
    assert result.reply_id == "1585800613752881156"
    assert path_of(rsps.calls[0]) == f"/2/dm_conversations/{REC_CONVERSATION}/messages"


def test_private_reply_needs_the_authors_user_id(rsps) -> None:
    with pytest.raises(ReplyFailed, match="a private reply needs the author's user id"):
        make().post_private(mention(author={"handle": "dana_q", "id": None}), "hi", "k")
    assert len(rsps.calls) == 0


# ---- refusals: certainly not posted ---------------------------------------------------------------
@pytest.mark.parametrize(
    "fixture, status, wanted",
    [
        ("error_401.json", 401, "X rejected the credentials (401): check `consumer_key`, `consumer_secret`"),
        ("reply_403_duplicate.json", 403, "duplicate of a recent post"),
        ("reply_403_reply_restricted.json", 403, "does not let the account reply in this conversation"),
        ("reply_403_protected.json", 403, "the author's posts are protected"),
        (
            "reply_403_not_permitted.json",
            403,
            "refused the reply (not permitted) (403: You are not permitted to perform this action.)",
        ),
        ("error_403_client_not_enrolled.json", 403, "not entitled: the X plan or project has no access to posting"),
        ("error_403_code_453.json", 403, "not entitled"),
        ("error_403_oauth1_permissions.json", 403, "permissions do not allow a reply: give it Read and Write"),
        ("reply_403_deleted.json", 403, "the post you are replying to was deleted or is not visible"),
        ("reply_404_not_found.json", 404, "the post you are replying to was deleted or is not visible"),
        ("error_400_invalid_start_time.json", 400, "X refused the reply (400 Invalid Request, parameter start_time)"),
    ],
)
def test_public_refusals_are_failures_with_clear_messages(rsps, caplog, fixture: str, status: int, wanted: str) -> None:
    caplog.set_level(logging.DEBUG)
    add_json(rsps, "POST", TWEETS, own(fixture), status=status)
    with pytest.raises(ReplyFailed) as info:
        make().post_public(mention(), "Sorry about that", "k")
    assert wanted in str(info.value)
    assert info.value.retry_after is None
    assert len(posts(rsps)) == 1
    assert_no_secret(info.value, caplog.text)


def test_dm_refusal_uses_the_apis_detail(rsps) -> None:
    add_json(
        rsps, "POST", f"/2/dm_conversations/with/{CUSTOMER_ID}/messages", own("dm_403_not_permitted.json"), status=403
    )
    with pytest.raises(ReplyFailed) as info:
        make().post_private(mention(), "Hi Dana", "k")
    assert "the user may not accept messages from the account" in str(info.value)
    assert "does not accept Direct Messages from this account" in str(info.value)


def test_detail_text_is_scrubbed_of_credentials(rsps) -> None:
    leaky = {
        "detail": f"bad token {OAUTH1['access_token']} \x1b[31m for access_token={USER2['user_token']}",
        "title": "Forbidden",
        "status": 403,
        "type": "about:blank",
    }
    add_json(rsps, "POST", TWEETS, leaky, status=403)
    with pytest.raises(ReplyFailed) as info:
        make().post_public(mention(), "hi", "k")
    assert "bad token ***" in str(info.value) and "\x1b" not in str(info.value)
    assert_no_secret(info.value)


def test_rate_limit_is_a_failure_with_retry_after_from_the_reset_header(rsps) -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    reset = int((now + timedelta(minutes=7)).timestamp())
    headers = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
    add_json(rsps, "POST", TWEETS, own("error_429.json"), status=429, headers=headers)
    with pytest.raises(ReplyFailed) as info:
        make(now=now).post_public(mention(), "hi", "k")
    assert info.value.retry_after == pytest.approx(420)
    assert "X rate limit reached (429)" in str(info.value) and "retry after 12:07 UTC (in 420 s)" in str(info.value)
    assert len(posts(rsps)) == 1  # tweepy does not wait or retry (wait_on_rate_limit is off)


def test_rate_limit_without_reset_and_usage_cap(rsps) -> None:
    add_json(rsps, "POST", TWEETS, own("error_429.json"), status=429)
    with pytest.raises(ReplyFailed) as info:
        make().post_public(mention(), "hi", "k")
    assert info.value.retry_after is None and "429" in str(info.value)
    rsps.reset()
    add_json(
        rsps,
        "POST",
        TWEETS,
        own("error_429_usage_capped.json"),
        status=429,
        headers={"x-rate-limit-reset": "1772453700"},
    )
    with pytest.raises(ReplyFailed, match="usage cap is spent"):
        make().post_public(mention(), "hi", "k")


# ---- unknown outcomes: maybe posted, never retried -----------------------------------------------
def _connection_aborted() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))


@pytest.mark.parametrize(
    "answer, wanted",
    [
        (("error_503.json", 503), "X answered 503 Service Unavailable"),
        (("error_500.json", 500), "X answered 500 Internal Server Error"),
        (requests.exceptions.ReadTimeout("read timed out"), "the connection failed (ReadTimeout)"),
        (_connection_aborted(), "the connection failed (ConnectionError)"),
        ((b"<html>upstream error</html>", 201), "X answered 201 with a malformed body"),
        (({"data": {"text": "no id"}}, 201), "its answer carries no post id"),
    ],
)
def test_unknown_outcomes_after_the_request_may_have_left(rsps, answer, wanted: str) -> None:
    if isinstance(answer, tuple):
        body = answer[0] if not isinstance(answer[0], str) else own(answer[0])
        add_json(rsps, "POST", TWEETS, body, status=answer[1])
    else:
        add_json(rsps, "POST", TWEETS, answer)
    with pytest.raises(OutcomeUnknown) as info:
        make().post_public(mention(), "Sorry about that", "k")
    assert wanted in str(info.value) and "may or may not be posted" in str(info.value)
    assert info.value.__cause__ is None and (info.value.__context__ is None or info.value.__suppress_context__)
    assert len(posts(rsps)) == 1  # X has no idempotency key: never a second POST
    assert_no_secret(info.value)


def test_dm_send_time_out_is_unknown(rsps) -> None:
    add_json(rsps, "POST", f"/2/dm_conversations/{DM_CONVERSATION}/messages", requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(OutcomeUnknown, match="after the direct message was sent"):
        make().post_private(dm_mention(), "Hi Dana", "k")


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ConnectionError(MaxRetryError(None, "/2/tweets", NewConnectionError(None, "refused"))),
        requests.exceptions.ConnectTimeout("connect timed out"),
    ],
)
def test_a_connection_that_was_never_made_is_a_failure(rsps, error: Exception) -> None:
    add_json(rsps, "POST", TWEETS, error)
    with pytest.raises(ReplyFailed, match="could not connect to X"):
        make().post_public(mention(), "hi", "k")


# ---- find_reply: public --------------------------------------------------------------------------
FOUND_TEXT = (
    "@dana_q Thanks for your patience & sorry again:  details at\nhttps://status.northwind.example/orders/4411?ref=sw"
)
LATER = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


def test_comparable_text_ignores_entities_urls_handles_and_spacing() -> None:
    assert comparable("@a @b  Hi &amp; bye https://t.co/x1") == comparable("Hi & bye\nhttps://example.com/long?q=1")
    assert comparable("Hi there") != comparable("Hi there!")
    assert comparable(None) == ""


def test_find_reply_finds_the_reply_among_the_accounts_posts(rsps) -> None:
    add_json(rsps, "GET", TIMELINE, own("users_tweets_reply_found.json"))
    responder = make({"user_id": BRAND_ID, "username": "AcmeSupport"}, now=LATER)
    found = responder.find_reply(mention(), record(FOUND_TEXT, at="2026-03-02T11:58:05Z"))
    assert found == SendResult(
        reply_id="2028439717934006273", url="https://x.com/AcmeSupport/status/2028439717934006273"
    )
    [call] = rsps.calls
    assert path_of(call) == TIMELINE
    query = query_of(call)
    assert query["start_time"] == "2026-03-02T11:57:05Z"  # the record's time minus a minute
    assert query["max_results"] == "100"
    assert set(query["tweet.fields"].split(",")) == {
        "in_reply_to_user_id",
        "referenced_tweets",
        "created_at",
        "conversation_id",
    }


def test_find_reply_none_when_the_text_or_the_thread_differs(rsps) -> None:
    add_json(rsps, "GET", TIMELINE, own("users_tweets_reply_none.json"))
    responder = make({"user_id": BRAND_ID}, now=LATER)
    # "Sorry about that, we are looking into it" exists, but as a reply to another post
    assert responder.find_reply(mention(), record("@dana_q Sorry about that, we are looking into it")) is None


def first_page(request) -> tuple[bool, str]:
    """A `responses` matcher: the request asks for the first page (no pagination_token)."""
    return "pagination_token" not in request.url, "a later page"


def test_find_reply_none_against_a_recorded_timeline(rsps, cassette) -> None:
    recorded = find(cassette("test_client_get_users_tweets.yaml"), "GET", "/2/users/783214/tweets")
    rsps.add(
        responses.Response(
            "GET",
            recorded.uri,
            body=recorded.body,
            headers=recorded.headers,
            content_type=recorded.content_type,
            match=[first_page],
        )
    )
    token = recorded.json()["meta"]["next_token"]
    add_json(rsps, "GET", "/2/users/783214/tweets", {"meta": {"result_count": 0}}, query={"pagination_token": token})
    responder = make({"user_id": "783214"}, now=LATER)
    assert responder.find_reply(mention(), record("whoa, it works")) is None  # right text, but not a reply
    assert len(rsps.calls) == 2


def test_find_reply_asks_get_me_once_when_user_id_is_not_set(rsps, cassette) -> None:
    register(rsps, find(cassette("test_client_get_me.yaml"), "GET", "/2/users/me"))
    add_json(rsps, "GET", f"/2/users/{ME_ID}/tweets", own("users_tweets_reply_found.json"))
    responder = make(now=LATER)
    first = responder.find_reply(mention(), record(FOUND_TEXT))
    second = responder.find_reply(mention(), record(FOUND_TEXT))
    assert first == second and first.url == "https://x.com/TweepyDev/status/2028439717934006273"
    assert [path_of(c) for c in rsps.calls] == ["/2/users/me", f"/2/users/{ME_ID}/tweets", f"/2/users/{ME_ID}/tweets"]


def test_not_found_right_after_the_attempt_stays_unknown(rsps) -> None:
    add_json(rsps, "GET", TIMELINE, own("users_tweets_reply_none.json"))
    attempt = datetime(2026, 3, 2, 11, 58, tzinfo=UTC)
    responder = make({"user_id": BRAND_ID}, now=attempt + INDEX_GRACE - timedelta(seconds=5))
    with pytest.raises(OutcomeUnknown, match="reconcile again after 12:00 UTC"):
        responder.find_reply(mention(), record("not posted yet", at=model.iso(attempt)))


def test_lookup_walks_pages_and_gives_up_unknown(rsps) -> None:
    page = {"data": [{"id": "2028439424332726273", "text": "other"}], "meta": {"result_count": 1, "next_token": "NEXT"}}
    add_json(rsps, "GET", TIMELINE, page)
    with pytest.raises(OutcomeUnknown, match=f"looked through {LOOKUP_PAGES} pages"):
        make({"user_id": BRAND_ID}, now=LATER).find_reply(mention(), record("mine"))
    assert len(rsps.calls) == LOOKUP_PAGES
    assert query_of(rsps.calls[1])["pagination_token"] == "NEXT"


@pytest.mark.parametrize(
    "answer, wanted",
    [
        (("error_503.json", 503), "X is unavailable (503 Service Unavailable)"),
        (("error_500.json", 500), "X is unavailable (500"),
        (requests.exceptions.ReadTimeout("slow"), "X did not answer (ReadTimeout)"),
        (requests.exceptions.ConnectionError("down"), "X did not answer (ConnectionError)"),
        (("error_403_client_not_enrolled.json", 403), "not entitled to read (403 client-not-enrolled)"),
        (("error_401.json", 401), "X rejected the credentials (401)"),
        (("error_429.json", 429), "X rate limit reached (429)"),
        ((b"{not json", 200), "malformed answer"),
    ],
)
def test_lookup_errors_leave_the_outcome_unknown(rsps, answer, wanted: str) -> None:
    if isinstance(answer, tuple):
        body = answer[0] if not isinstance(answer[0], str) else own(answer[0])
        add_json(rsps, "GET", TIMELINE, body, status=answer[1])
    else:
        add_json(rsps, "GET", TIMELINE, answer)
    with pytest.raises(OutcomeUnknown) as info:
        make({"user_id": BRAND_ID}, now=LATER).find_reply(mention(), record("mine"))
    assert wanted in str(info.value)
    assert_no_secret(info.value)


# ---- find_reply: private -------------------------------------------------------------------------
def test_find_dm_skips_the_customers_copy_and_finds_the_brands(rsps) -> None:
    add_json(rsps, "GET", f"/2/dm_conversations/{DM_CONVERSATION}/dm_events", own("dm_conversation_events_found.json"))
    responder = make({"user_id": BRAND_ID}, now=LATER)
    text = "Hi Dana, I have refunded order 4411: https://northwind.example/r/4411"
    found = responder.find_reply(dm_mention(), record(text, visibility="private", at="2026-03-02T11:57:58Z"))
    assert found == SendResult(reply_id="2028439675990966273", url=f"https://x.com/messages/{DM_CONVERSATION}")
    query = query_of(rsps.calls[0])
    assert query["event_types"] == "MessageCreate" and "sender_id" in query["dm_event.fields"]


def test_find_dm_stops_at_the_attempts_time(rsps) -> None:
    add_json(rsps, "GET", f"/2/dm_conversations/{DM_CONVERSATION}/dm_events", own("dm_conversation_events_found.json"))
    text = "Hi Dana, I have refunded order 4411: https://northwind.example/r/4411"
    # attempted at 12:10: everything listed is older, so the brand's 11:58 message is not this attempt
    late = record(text, visibility="private", at="2026-03-02T12:10:00Z")
    assert make({"user_id": BRAND_ID}, now=LATER).find_reply(dm_mention(), late) is None


def test_find_dm_in_the_recorded_conversation(rsps, cassette) -> None:
    recorded = cassette("test_manage_and_lookup_direct_messages.yaml")
    register(rsps, find(recorded, "GET", f"/2/dm_conversations/with/{REC_PARTICIPANT}/dm_events"))
    target = mention(author={"handle": "someone", "id": REC_PARTICIPANT})
    attempt = record("Testing 1", visibility="private", at="2022-10-28T01:08:20Z")
    found = make({"user_id": ME_ID}, now=LATER).find_reply(target, attempt)
    assert found is not None and found.reply_id == "1585800613253812228"


# ---- end to end through the outbox -----------------------------------------------------------------
CONFIG = """
[sources.x_brand]
type = "twitter"
user_token = "$X_SOURCE_TOKEN"
user_id = "1234567890"
responder = "x"

[responders.x]
type = "twitter"
consumer_key = "$X_CONSUMER_KEY"
consumer_secret = "$X_CONSUMER_SECRET"
access_token = "$X_ACCESS_TOKEN"
access_token_secret = "$X_ACCESS_TOKEN_SECRET"
user_id = "1234567890"
username = "AcmeSupport"
"""
E2E_TEXT = "@dana_q Sorry for the wait, a replacement ships today: https://status.northwind.example/o/4411"


@pytest.fixture
def x_home(isolated_home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch) -> pathlib.Path:
    assert sw("init")[0] == 0
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text() + CONFIG)
    for name, value in [
        ("X_CONSUMER_KEY", OAUTH1["consumer_key"]),
        ("X_CONSUMER_SECRET", OAUTH1["consumer_secret"]),
        ("X_ACCESS_TOKEN", OAUTH1["access_token"]),
        ("X_ACCESS_TOKEN_SECRET", OAUTH1["access_token_secret"]),
        ("X_SOURCE_TOKEN", USER2["user_token"]),
    ]:
        monkeypatch.setenv(name, value)
    line = {
        "id": f"twitter:{MENTION_ID}",
        "text": "@AcmeSupport my order never arrived",
        "author": {"handle": "dana_q", "id": CUSTOMER_ID},
        "created_at": "2026-03-02T11:50:00Z",
    }
    code, _, err = sw("import", str(write_jsonl(tmp_path / "in.jsonl", [line])), "--source", "x_brand")
    assert code == 0, err
    return isolated_home


def test_503_is_unknown_reconcile_settles_it_and_nothing_posts_twice(x_home: pathlib.Path, rsps) -> None:
    app = App()
    mention_id = f"twitter:{MENTION_ID}"
    assert outbox.responder_name(app, app.store.get(mention_id)) == "x"
    add_json(rsps, "POST", TWEETS, own("error_503.json"), status=503)
    with pytest.raises(SocialwatchError, match="reconcile"):
        outbox.send(app, mention_id, E2E_TEXT)
    [rec] = outbox.records(app)
    assert rec["state"] == "unknown" and "503" in rec["error"]
    assert body_of(posts(rsps)[0])["reply"] == {"in_reply_to_tweet_id": MENTION_ID}

    # a second reply is refused while the first is unknown, and the unknown one cannot be retried
    with pytest.raises(Conflict, match="already replying"):
        outbox.send(app, mention_id, E2E_TEXT)
    with pytest.raises(Conflict):
        outbox.retry(app, rec["id"])

    # X did post it (with the link wrapped in t.co): reconcile finds it among the account's posts
    posted = {
        "id": "2028439717934006273",
        "text": "@dana_q Sorry for the wait, a replacement ships today: https://t.co/Q1w2E3r4T5",
        "referenced_tweets": [{"type": "replied_to", "id": MENTION_ID}],
        "created_at": rec["created_at"],
    }
    add_json(rsps, "GET", TIMELINE, {"data": [posted], "meta": {"result_count": 1}})
    results = outbox.reconcile(app)
    assert [r for _, r in results] == ["sent"]
    lookup = [c for c in rsps.calls if c.request.method == "GET"]
    assert len(lookup) == 1
    expected_start = model.iso(model.parse_time(rec["created_at"]) - timedelta(minutes=1))
    assert query_of(lookup[0])["start_time"] == expected_start
    [rec] = outbox.records(app)
    assert rec["state"] == "sent" and rec["reply_id"] == "2028439717934006273"
    assert rec["url"] == "https://x.com/AcmeSupport/status/2028439717934006273"
    stored = app.store.get(mention_id)
    assert stored["first_response_at"] and stored["status"] == "pending"

    code, _, err = sw("reply", mention_id, "--text", E2E_TEXT)
    assert code == 1 and "already replied" in err
    assert len(posts(rsps)) == 1  # one POST in all

    shown = (
        app.store.outbox_path.read_text() + app.store.audit_path.read_text() + err + "".join(str(r) for r in results)
    )
    for value in SECRET_VALUES:
        assert value not in shown


def test_end_to_end_refusal_is_failed_and_retry_posts_once(x_home: pathlib.Path, rsps, cassette) -> None:
    app = App()
    mention_id = f"twitter:{MENTION_ID}"
    add_json(rsps, "POST", TWEETS, own("error_401.json"), status=401)
    with pytest.raises(ReplyFailed, match="401"):
        outbox.send(app, mention_id, E2E_TEXT)
    [rec] = outbox.records(app)
    assert rec["state"] == "failed"
    rsps.reset()
    register(rsps, find(cassette("test_client_create_and_delete_tweet.yaml"), "POST", TWEETS))
    result = outbox.retry(app, rec["id"])
    assert result.record["state"] == "sent" and result.record["reply_id"] == "1456012973835788293"
    assert result.record["attempts"] == 2 and len(posts(rsps)) == 1
