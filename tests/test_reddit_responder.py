"""The Reddit responder against the real praw client, replaying praw's recordings and our own fixtures.

Recordings (`tests/fixtures/praw/`): comment and submission replies, the replies Reddit
answered with `things: []`, a private message, an answer inside a message conversation, and the
recorded 401. Our own fixtures (`tests/fixtures/reddit/reply_*.json`, `find_*.json`): the RATELIMIT
and DELETED_COMMENT API errors, 403, 503 and a time-out on the reply POST, and the account's
comments and sent messages for reconciliation. No test touches the network.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs

import prawcore.rate_limit
import prawcore.sessions
import pytest
import requests
import responses

from socialwatch import model, outbox
from socialwatch.app import App
from socialwatch.errors import ConfigError, SocialwatchError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, ResponderContext, SendResult
from socialwatch.responders.reddit import RedditResponder, _retry_in
from tests.replay_betamax import Replay, body_text, read_cassette
from tests.test_cli import sw, write_jsonl

OWN = pathlib.Path(__file__).parent / "fixtures" / "reddit"
COMMENT_URL = "https://oauth.reddit.com/api/comment/"
COMPOSE_URL = "https://oauth.reddit.com/api/compose/"
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # T0 of our fixtures
SECRETS = {
    "client_secret": "SECRET-cs-7d1e44a0",
    "password": "SECRET-pw-93b2c6f1",
    "refresh_token": "SECRET-rt-5eed0b1e",
}
SCRIPT = {
    "client_id": "sw-test-app-id",
    "client_secret": SECRETS["client_secret"],
    "username": "brand_account",
    "password": SECRETS["password"],
}
REFRESH = {
    "client_id": "sw-test-app-id",
    "client_secret": SECRETS["client_secret"],
    "refresh_token": SECRETS["refresh_token"],
}
BRAND = {"name": "Northwind Mobile"}


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
def clock(monkeypatch) -> SimpleNamespace:
    """`model.utcnow` at our fixtures' T0; move it with `clock.now = ...`."""
    state = SimpleNamespace(now=NOW)
    monkeypatch.setattr(model, "utcnow", lambda: state.now)
    return state


@pytest.fixture
def replay():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Replay(mock)


def make_responder(auth: dict = SCRIPT, **cfg: str) -> RedditResponder:
    config = {"type": "reddit", **auth, **cfg}
    RedditResponder.check_config("reddit", config)
    context = ResponderContext(name="reddit", brand=BRAND, config_dir="/nonexistent", data_dir="/nonexistent")
    return RedditResponder("reddit", config, context)


def mention(
    native: str, author: str | None = "cy_customer", kind: str = "mention", replies: list | None = None
) -> dict:
    return {
        "id": f"reddit:{native}",
        "platform": "reddit",
        "native_id": native,
        "kind": kind,
        "author": {"handle": author},
        "replies": replies or [],
    }


def record(text: str = "TEST", visibility: str = "public", at: datetime = NOW) -> dict:
    stamp = model.iso(at)
    return {"id": "r1", "text": text, "visibility": visibility, "created_at": stamp, "updated_at": stamp}


def form(request: requests.PreparedRequest) -> dict[str, str]:
    body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
    return {k: v[0] for k, v in parse_qs(body).items()}


def assert_no_secret(exc: BaseException) -> None:
    text = f"{exc} {exc!r} {exc.args!r} {exc.__cause__!r} {exc.__context__!r}"
    for secret in SECRETS.values():
        assert secret not in text


def serve_recorded(replay: Replay, cassette: pathlib.Path, method: str, url: str, index: int = 0) -> None:
    """Answer `method url` with the response recorded as the cassette's `index`-th interaction."""
    response = read_cassette(cassette)[index]["response"]
    headers = {k: v[0] for k, v in response["headers"].items() if k.lower() != "content-type"}
    replay.ensure_token()
    replay.mock.add(
        method,
        url,
        body=body_text(response),
        status=response["status"]["code"],
        headers=headers,
        content_type="application/json; charset=UTF-8",
    )


# ---- public replies: the recordings ------------------------------------------------------------
def test_comment_reply_is_posted_once_and_confirmed(replay: Replay, fixtures_dir: pathlib.Path) -> None:
    replay.load(fixtures_dir / "praw" / "TestComment.test_reply.json")
    responder = make_responder()
    result = responder.post_public(mention("t1_d1616q2"), "Comment reply", "k1")
    assert result == SendResult(
        reply_id="t1_d1680wu",
        url="https://www.reddit.com/r/<TEST_SUBREDDIT>/comments/4b1tfm/_/d1680wu/",
        confirmed=True,
    )
    [post] = replay.requests("POST", "/api/comment/")
    assert form(post) == {"api_type": "json", "text": "Comment reply", "thing_id": "t1_d1616q2"}
    assert replay.requests("GET") == []  # the comment is not fetched before replying
    responder.close()


def test_submission_reply(replay: Replay, fixtures_dir: pathlib.Path) -> None:
    replay.load(fixtures_dir / "praw" / "TestSubmission.test_reply.json")
    result = make_responder().post_public(mention("t3_4b1tfm", kind="search"), "Test reply", "k1")
    assert result.reply_id == "t1_d162ara" and result.confirmed
    assert result.url == "https://www.reddit.com/r/<TEST_SUBREDDIT>/comments/4b1tfm/_/d162ara/"
    assert form(replay.requests("POST", "/api/comment/")[0])["thing_id"] == "t3_4b1tfm"


@pytest.mark.parametrize(
    ("cassette", "native"),
    [("TestComment.test_reply__none.json", "t1_eear2ml"), ("TestSubmission.test_reply__none.json", "t3_ah19vv")],
)
def test_reply_reddit_does_not_return_is_unconfirmed(
    replay: Replay, fixtures_dir: pathlib.Path, cassette: str, native: str
) -> None:
    replay.load(fixtures_dir / "praw" / cassette)
    result = make_responder().post_public(mention(native), "TEST", "k1")
    assert result == SendResult(reply_id=None, url=None, confirmed=False)
    assert len(replay.requests("POST", "/api/comment/")) == 1


def test_answer_to_a_private_message_stays_in_its_conversation(replay: Replay, fixtures_dir: pathlib.Path) -> None:
    replay.load(fixtures_dir / "praw" / "TestMessage.test_reply.json")
    responder = make_responder(REFRESH)
    dm = mention("t4_2r1s1k2", author="Lil_SpazBot", kind="dm")
    result = responder.post_private(dm, "Message reply", "k1")
    assert result == SendResult(
        reply_id="t4_zzzzzzzzzzzz", url="https://www.reddit.com/message/messages/zzzzzzzzzzzz", confirmed=True
    )
    assert form(replay.requests("POST", "/api/comment/")[0])["thing_id"] == "t4_2r1s1k2"
    assert replay.requests("POST", "/api/compose/") == []  # no new conversation
    assert result == responder.post_public(dm, "Message reply", "k2")  # public on a message: the same answer


# ---- private messages --------------------------------------------------------------------------
def test_private_message_to_the_author(replay: Replay, fixtures_dir: pathlib.Path) -> None:
    replay.load(fixtures_dir / "praw" / "TestRedditor.test_message.json")
    result = make_responder().post_private(mention("t1_d1616q2", author="subreddit_stats"), "Hi, DM us", "k1")
    assert result == SendResult(reply_id=None, url=None, confirmed=True)
    [post] = replay.requests("POST", "/api/compose/")
    assert form(post) == {
        "api_type": "json",
        "to": "subreddit_stats",
        "subject": "Re: your comment (Northwind Mobile)",
        "text": "Hi, DM us",
    }


def test_configured_subject_names_the_brand(replay: Replay, fixtures_dir: pathlib.Path) -> None:
    replay.load(fixtures_dir / "praw" / "TestRedditor.test_message.json")
    responder = make_responder(subject="{brand} support: your post")
    responder.post_private(mention("t3_4b1tfm", author="u/subreddit_stats"), "Hello", "k1")
    sent = form(replay.requests("POST", "/api/compose/")[0])
    assert sent["subject"] == "Northwind Mobile support: your post" and sent["to"] == "subreddit_stats"


@pytest.mark.parametrize("author", [None, "", "not a user!"])
def test_private_message_needs_an_author(replay: Replay, author: str | None) -> None:
    with pytest.raises(ReplyFailed, match="author|not a Reddit username"):
        make_responder().post_private(mention("t1_d1616q2", author=author), "Hello", "k1")
    assert len(replay.mock.calls) == 0


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("USER_DOESNT_EXIST", "does not exist"),
        ("NOT_WHITELISTED_BY_USER_MESSAGE", "only from people they approved"),
        ("SOMETHING_NEW", "Reddit refused the private message to u/cy_customer: SOMETHING_NEW: no way"),
    ],
)
def test_private_message_refusals(replay: Replay, code: str, meaning: str) -> None:
    replay.ensure_token()
    replay.mock.add(responses.POST, COMPOSE_URL, json={"json": {"errors": [[code, "no way", "to"]]}})
    with pytest.raises(ReplyFailed) as caught:
        make_responder().post_private(mention("t1_d1616q2"), "Hello", "k1")
    assert meaning in str(caught.value) and caught.value.retry_after is None
    assert_no_secret(caught.value)


def test_not_a_reddit_mention_is_refused_before_any_request(replay: Replay) -> None:
    for bad in (mention("12345"), {**mention("t1_abc"), "platform": "twitter"}):
        with pytest.raises(ReplyFailed, match="not a Reddit comment, post or message"):
            make_responder().post_public(bad, "Hello", "k1")
    assert len(replay.mock.calls) == 0


# ---- failures of the reply POST ----------------------------------------------------------------
def test_401_names_the_config_keys_and_never_a_secret(replay: Replay, fixtures_dir: pathlib.Path) -> None:
    serve_recorded(
        replay,
        fixtures_dir / "praw" / "TestAuthImplicit.test_implicit__with_invalid_token.json",
        responses.POST,
        COMMENT_URL,
    )
    with pytest.raises(ReplyFailed) as caught:
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")
    message = str(caught.value)
    assert "401 invalid_token" in message
    for key in ("client_id", "client_secret", "username", "password"):
        assert f"responders.reddit.{key}" in message
    assert_no_secret(caught.value)


def test_401_on_the_lookup_is_unknown_not_failed(replay: Replay, fixtures_dir: pathlib.Path, clock) -> None:
    replay.load(fixtures_dir / "praw" / "TestAuthImplicit.test_implicit__with_invalid_token.json")
    with pytest.raises(OutcomeUnknown) as caught:
        make_responder(REFRESH).find_reply(mention("t1_eear2ml"), record())
    assert "responders.reddit.refresh_token" in str(caught.value) and "401" in str(caught.value)
    assert_no_secret(caught.value)


def test_ratelimit_api_error_fails_with_retry_after(replay: Replay, clock) -> None:
    replay.load(OWN / "reply_ratelimit.json")
    with pytest.raises(ReplyFailed) as caught:
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")
    assert caught.value.retry_after == 300
    assert "RATELIMIT" in str(caught.value) and "2026-01-01T00:05:00Z" in str(caught.value)
    assert len(replay.requests("POST", "/api/comment/")) == 1
    assert_no_secret(caught.value)


def test_429_fails_with_retry_after(replay: Replay, clock) -> None:
    replay.ensure_token()
    replay.mock.add(
        responses.POST,
        COMMENT_URL,
        status=429,
        json={"message": "Too Many Requests", "error": 429},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-used": "600", "x-ratelimit-reset": "42"},
    )
    with pytest.raises(ReplyFailed, match=r"429.*42 s") as caught:
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")
    assert caught.value.retry_after == 42


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("you are doing that too much. try again in 9 minutes.", 540),
        ("Looks like you've been doing that a lot. Take a break for 40 seconds before trying again.", 40),
        ("no number here", None),
    ],
)
def test_ratelimit_wait_is_read_from_either_wording(message: str, seconds: float | None) -> None:
    assert _retry_in(message) == seconds


def test_deleted_comment_is_a_clear_failure(replay: Replay) -> None:
    replay.load(OWN / "reply_deleted_comment.json")
    with pytest.raises(ReplyFailed, match="the comment you are replying to was deleted") as caught:
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")
    assert_no_secret(caught.value)


@pytest.mark.parametrize(
    ("code", "meaning"),
    [("THREAD_LOCKED", "the thread is locked"), ("TOO_OLD", "archived")],
)
def test_locked_and_archived_threads(replay: Replay, code: str, meaning: str) -> None:
    replay.ensure_token()
    replay.mock.add(responses.POST, COMMENT_URL, json={"json": {"errors": [[code, "nope", "parent"]]}})
    with pytest.raises(ReplyFailed, match=meaning):
        make_responder().post_public(mention("t3_ah19vv"), "TEST", "k1")


def test_403_is_a_failure(replay: Replay) -> None:
    replay.load(OWN / "reply_forbidden.json")
    with pytest.raises(ReplyFailed, match="403 Forbidden") as caught:
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")
    assert "banned" in str(caught.value)
    assert_no_secret(caught.value)


def test_503_on_the_post_is_unknown_and_not_retried(replay: Replay, prawcore_sleeps: list[float]) -> None:
    replay.load(OWN / "reply_server_error.json")
    with pytest.raises(OutcomeUnknown, match="HTTP 503") as caught:
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")
    assert len(replay.requests("POST", "/api/comment/")) == 1  # prawcore alone would have sent it 3 times
    assert prawcore_sleeps == []
    assert_no_secret(caught.value)


def test_timeout_after_sending_is_unknown_and_not_retried(replay: Replay) -> None:
    replay.load(OWN / "reply_timeout.json")
    with pytest.raises(OutcomeUnknown, match="timed out") as caught:
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")
    assert len(replay.requests("POST", "/api/comment/")) == 1
    assert_no_secret(caught.value)


def test_connect_timeout_never_sent_anything(replay: Replay) -> None:
    replay.ensure_token()
    replay.mock.add(responses.POST, COMMENT_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(ReplyFailed, match="could not connect"):
        make_responder().post_public(mention("t1_eear2ml"), "TEST", "k1")


def test_failure_before_the_post_is_a_failure(replay: Replay) -> None:
    """Loading a message's conversation fails (5xx, retried by prawcore): the answer was never sent."""
    replay.ensure_token()
    replay.mock.add(responses.GET, "https://oauth.reddit.com/message/messages/2r1s1k2/", status=500, body="oops")
    with pytest.raises(ReplyFailed, match="was not sent: HTTP 500"):
        make_responder().post_public(mention("t4_2r1s1k2", kind="dm"), "Hello", "k1")
    assert replay.requests("POST", "/api/comment/") == []


def test_token_request_rejected_is_a_credentials_failure(replay: Replay) -> None:
    replay.load(OWN / "invalid_grant.json")
    with pytest.raises(ReplyFailed, match="rejected the credentials") as caught:
        make_responder(REFRESH).post_public(mention("t1_eear2ml"), "TEST", "k1")
    assert "responders.reddit.refresh_token" in str(caught.value)
    assert replay.requests("POST", "/api/comment/") == []
    assert_no_secret(caught.value)


# ---- reconciliation ----------------------------------------------------------------------------
def test_find_reply_walks_the_accounts_comments(replay: Replay, clock) -> None:
    replay.load(OWN / "find_reply_found.json")
    found = make_responder().find_reply(mention("t1_eear2ml"), record("  TEST\n"))
    assert found == SendResult(
        reply_id="t1_nw0002", url="https://www.reddit.com/r/northwind/comments/ah19vv/comment/nw0002/", confirmed=True
    )
    pages = replay.requests("GET", "/user/brand_account/comments/")
    assert len(pages) == 2  # stopped at the first item older than the attempt
    assert "sort=new" in pages[0].url and "limit=100" in pages[0].url


def test_find_reply_skips_a_reply_already_recorded(replay: Replay, clock) -> None:
    replay.load(OWN / "find_reply_found.json")
    clock.now = NOW + timedelta(minutes=10)
    earlier = [{"record": "r0", "reply_id": "t1_nw0002"}]
    assert make_responder().find_reply(mention("t1_eear2ml", replies=earlier), record()) is None


def test_find_reply_not_found(replay: Replay, clock) -> None:
    replay.load(OWN / "find_reply_not_found.json")
    clock.now = NOW + timedelta(minutes=10)
    assert make_responder().find_reply(mention("t1_eear2ml"), record()) is None
    assert len(replay.requests("GET", "/user/brand_account/comments/")) == 1


def test_find_reply_not_found_too_soon_is_still_unknown(replay: Replay, clock) -> None:
    replay.load(OWN / "find_reply_not_found.json")
    clock.now = NOW + timedelta(seconds=20)
    with pytest.raises(OutcomeUnknown, match="reconcile again after 2026-01-01T00:01:30Z"):
        make_responder().find_reply(mention("t1_eear2ml"), record())


def test_find_reply_asks_who_the_account_is_with_a_refresh_token(replay: Replay, clock) -> None:
    replay.ensure_token()
    replay.mock.add(responses.GET, "https://oauth.reddit.com/api/v1/me", json={"name": "brand_account"})
    replay.load(OWN / "find_reply_found.json")
    responder = make_responder(REFRESH)
    assert responder.find_reply(mention("t1_eear2ml"), record()).reply_id == "t1_nw0002"
    clock.now = NOW + timedelta(minutes=10)
    assert responder.find_reply(mention("t1_zzz999"), record()) is None
    assert len(replay.requests("GET", "/api/v1/me")) == 1  # asked once


def test_find_reply_refuses_an_account_name_it_cannot_use(replay: Replay, fixtures_dir, clock) -> None:
    replay.load(fixtures_dir / "praw" / "TestMessage.test_reply.json")  # /api/v1/me says "<USERNAME>"
    with pytest.raises(OutcomeUnknown, match="which account"):
        make_responder(REFRESH).find_reply(mention("t1_eear2ml"), record())
    assert replay.requests("GET", "/user/<USERNAME>/comments/") == []


def test_find_private_message_by_recipient_and_text(replay: Replay, clock) -> None:
    replay.load(OWN / "find_message_found.json")
    found = make_responder().find_reply(mention("t1_d1616q2"), record("Hi, we are looking into it.", "private"))
    assert found == SendResult(reply_id="t4_m00003", url="https://www.reddit.com/message/messages/m00003")


def test_find_answer_in_a_conversation(replay: Replay, clock) -> None:
    replay.load(OWN / "find_message_found.json")
    dm = mention("t4_2r1s1k2", author="Lil_SpazBot", kind="dm")
    assert make_responder().find_reply(dm, record("Thanks, fixed now.", "private")).reply_id == "t4_m00004"


def test_lookup_failing_with_5xx_is_unknown(replay: Replay, clock, prawcore_sleeps: list[float]) -> None:
    replay.ensure_token()
    replay.mock.add(responses.GET, "https://oauth.reddit.com/user/brand_account/comments/", status=503, body="down")
    with pytest.raises(OutcomeUnknown, match="HTTP 503") as caught:
        make_responder().find_reply(mention("t1_eear2ml"), record())
    assert len(prawcore_sleeps) == 2  # a GET may be retried
    assert_no_secret(caught.value)


def test_lookup_timing_out_is_unknown(replay: Replay, clock) -> None:
    replay.ensure_token()
    replay.mock.add(responses.GET, "https://oauth.reddit.com/message/sent/", body=requests.exceptions.ReadTimeout("x"))
    with pytest.raises(OutcomeUnknown, match="timed out"):
        make_responder().find_reply(mention("t1_eear2ml"), record("Hi", "private"))


# ---- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ({"client_id": "a", "client_secret": "b"}, "refresh_token", "posting needs a Reddit user"),
        ({"client_id": "a", "client_secret": "b", "password": "p"}, "username", "username is not"),
        ({"client_id": "a", "refresh_token": "r", "username": "x y"}, "username", "not a Reddit username"),
        ({"client_id": "a", "username": "u", "password": "p"}, "client_secret", "missing"),
        ({**SCRIPT, "subject": "x" * 101}, "subject", "1 to 100"),
        ({"client_secret": "b", "refresh_token": "r"}, "client_id", "missing required key"),
        ({**SCRIPT, "subject": 3}, "subject", "expected a string, got int"),
    ],
)
def test_config_errors_name_the_key(table: dict, key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        RedditResponder.check_config("reddit", {"type": "reddit", **table}, "/x/socialwatch.toml")
    assert f"responders.reddit.{key}" in str(caught.value)


def test_importing_the_module_does_not_import_praw() -> None:
    code = "import sys, socialwatch.responders.reddit; sys.exit('praw' in sys.modules or 'prawcore' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---- end to end through the outbox -------------------------------------------------------------
@pytest.fixture
def reddit_home(isolated_home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch, clock) -> App:
    """A home whose reddit source answers through the reddit responder; secrets from the environment."""
    assert sw("init")[0] == 0
    for name, value in SECRETS.items():
        monkeypatch.setenv(f"SW_REDDIT_{name.upper()}", value)
    config = isolated_home / "socialwatch.toml"
    config.write_text(
        config.read_text()
        + """
[sources.reddit]
type = "reddit"
enabled = false
client_id = "sw-test-app-id"
client_secret = "$SW_REDDIT_CLIENT_SECRET"
username = "brand_account"
password = "$SW_REDDIT_PASSWORD"
responder = "reddit"

[responders.reddit]
type = "reddit"
client_id = "sw-test-app-id"
client_secret = "$SW_REDDIT_CLIENT_SECRET"
username = "brand_account"
password = "$SW_REDDIT_PASSWORD"
"""
    )
    records = [{"id": "reddit:t1_eear2ml", "text": "northwind ate my data plan", "author": {"handle": "cy_customer"}}]
    code, _, err = sw("import", "--source", "reddit", str(write_jsonl(tmp_path / "in.jsonl", records)))
    assert code == 0, err
    return App()


def test_unconfirmed_reply_is_reconciled_as_sent_and_posted_once(
    reddit_home: App, replay: Replay, fixtures_dir: pathlib.Path
) -> None:
    replay.load(fixtures_dir / "praw" / "TestComment.test_reply__none.json")
    replay.load(OWN / "find_reply_found.json")
    outcome = outbox.send(reddit_home, "reddit:t1_eear2ml", "TEST")
    assert outcome.record["state"] == "unknown" and outcome.record["responder"] == "reddit"
    assert "did not confirm" in outcome.record["error"]
    assert reddit_home.store.get("reddit:t1_eear2ml")["first_response_at"] is None

    [(settled, result)] = outbox.reconcile(reddit_home)
    assert result == "sent"
    assert settled["reply_id"] == "t1_nw0002" and settled["error"] is None
    assert settled["url"] == "https://www.reddit.com/r/northwind/comments/ah19vv/comment/nw0002/"
    m = reddit_home.store.get("reddit:t1_eear2ml")
    assert m["first_response_at"] and m["replies"][0]["reply_id"] == "t1_nw0002"
    posts = [c for c in replay.mock.calls if c.request.method == "POST" and c.request.url.startswith(COMMENT_URL)]
    assert len(posts) == 1
    assert outbox.reconcile(reddit_home) == []  # nothing left to settle


def test_unknown_outcome_through_the_outbox_keeps_secrets_out(
    reddit_home: App, replay: Replay, fixtures_dir: pathlib.Path
) -> None:
    replay.load(OWN / "reply_server_error.json")
    with pytest.raises(SocialwatchError, match="reconcile") as caught:
        outbox.send(reddit_home, "reddit:t1_eear2ml", "TEST")
    [stored] = outbox.records(reddit_home)
    assert stored["state"] == "unknown" and "HTTP 503" in stored["error"]
    assert len(replay.requests("POST", "/api/comment/")) == 1
    assert_no_secret(caught.value)
    dump = json.dumps(stored) + (
        reddit_home.store.audit_path.read_text() if reddit_home.store.audit_path.exists() else ""
    )
    for secret in SECRETS.values():
        assert secret not in dump
