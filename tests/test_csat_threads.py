"""Survey answers matched on each platform's threads: the reply is fetched by the real source from
the recordings and fixtures of tests/fixtures (the same replays as the source tests), our survey
is the post it answers, with the reply id its platform's responder would have returned (a tweet
id, a Reddit fullname, a Bluesky at:// URI, a Mastodon status id), settled through the outbox as
a sent survey is; the reply is then stored and joined to its thread as a poll stores it."""

from __future__ import annotations

import copy
import pathlib
import time
from datetime import timedelta
from types import SimpleNamespace

import prawcore.rate_limit
import prawcore.sessions
import pytest
import responses
import respx

from socialwatch import model, outbox
from socialwatch.app import App
from socialwatch.cases import join_threads
from tests.conftest import use_backend
from tests.source_helpers import drain, mentions_of
from tests.test_cli import sw


@pytest.fixture
def app(isolated_home: pathlib.Path, backend: str) -> App:
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    return App(agent="priya")


def survey_answered_by(app: App, reply: dict, survey_reply_id: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Store a surveyed case of the reply's author whose survey went out as `survey_reply_id`,
    then store the reply as a poll does; returns the case as stored afterwards."""
    created = model.parse_time(reply["created_at"])
    platform = reply["platform"]
    case = {"id": model.make_id(platform, "case-1"), "platform": platform, "source": reply["source"], "kind": "mention",
            "author": dict(reply["author"]), "text": "my order is late", "created_at": model.iso(created - timedelta(days=1)),
            "status": "resolved", "first_response_at": model.iso(created - timedelta(hours=20)),
            "resolved_at": model.iso(created - timedelta(hours=2)), "conversation_id": None, "in_reply_to": None,
            "csat_survey": {"state": "sending", "record": "c-test"}}
    record = {"id": "c-test", "kind": "csat", "mention_id": case["id"], "idempotency_key": "k-test", "text": "How did we do?",
              "visibility": "public", "responder": "outbox", "agent": "socialwatch", "state": "sending", "attempts": 1,
              "created_at": case["resolved_at"], "updated_at": case["resolved_at"], "error": None, "reply_id": None}
    with app.store.session() as s:
        s.add([case])
        s.save_reply(record)
    monkeypatch.setattr("socialwatch.model.utcnow", lambda: created - timedelta(hours=1))
    outbox._settle(app, record, "sent", reply_id=survey_reply_id, url=None)
    monkeypatch.setattr("socialwatch.model.utcnow", lambda: created + timedelta(minutes=5))
    mention = app.enrich([copy.deepcopy(reply)])[0]
    with app.store.session() as s:
        result = s.add([mention])
        join_threads(s, [mention], result.new)
    return app.store.get(case["id"])


def assert_answered(case: dict, reply: dict, score: int | None) -> None:
    """The reply was matched and read as a comment: `score` 1 satisfied, 0 dissatisfied, None no rating."""
    answer = case.get("csat")
    assert answer is not None, "the reply to the survey was not matched"
    assert answer["answer_id"] == reply["id"] and answer["method"] == "comment"  # free text answering the survey
    assert (answer["score"], answer["scale"], answer["satisfied"]) == (
        score, None if score is None else "yes-no", None if score is None else score == 1), answer
    assert case["csat_survey"]["state"] == "answered"


def test_twitter_reply_to_the_survey_tweet(app, monkeypatch) -> None:
    from tests.test_twitter_source import brand_config, make, serve_two_pages

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve_two_pages(rsps)
        batches, error = drain(make(brand_config()))
    assert error is None
    reply = next(m for m in mentions_of(batches) if m["in_reply_to"])
    assert reply["in_reply_to"] == "twitter:2028409980318650368"
    # tweepy's create_tweet answered with this id when the survey was posted (TwitterResponder.post_public)
    assert_answered(survey_answered_by(app, reply, "2028409980318650368", monkeypatch), reply, 1)  # "the refund came through"


def test_reddit_comment_reply_to_the_survey_comment(app, monkeypatch, fixtures_dir) -> None:
    from tests.replay_betamax import Replay
    from tests.test_reddit_source import LONG_AGO, OAUTH, REFRESH, make_source

    shim = SimpleNamespace(sleep=lambda s: None, monotonic=time.monotonic, monotonic_ns=time.monotonic_ns)
    monkeypatch.setattr(prawcore.sessions, "time", shim)
    monkeypatch.setattr(prawcore.rate_limit, "time", shim)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        replay = Replay(mock)
        replay.load(fixtures_dir / "praw" / "TestInbox.test_comment_replies.json")
        replay.add_listing(OAUTH + "/message/comments/", [], query={"after": "t1_mynm218"})
        batches, error = drain(make_source(REFRESH, since=LONG_AGO, inbox=["comment_replies"], limit=64))
    assert error is None
    reply = next(m for m in mentions_of(batches) if (m["in_reply_to"] or "").startswith("reddit:t1_")
                 and m["author"]["handle"])
    parent = reply["in_reply_to"].removeprefix("reddit:")
    # praw's comment.reply() returned a Comment whose fullname is this (RedditResponder: posted.fullname)
    assert_answered(survey_answered_by(app, reply, parent, monkeypatch), reply, None)  # "Comment Body": says nothing


def test_bluesky_reply_to_the_survey_post(app, monkeypatch) -> None:
    from socialwatch.sources.bluesky import forget_sessions
    from tests.test_bluesky import (
        BRAND_REPLY,
        N2,
        XRPC,
        Tokens,
        make_source,
        reply,
        run,
        serve_lookups,
        serve_notifications,
    )

    forget_sessions()
    tokens = Tokens()
    with respx.mock(base_url=XRPC, assert_all_called=False) as api:
        api.post("/com.atproto.server.createSession").mock(side_effect=lambda r: reply(200, tokens.session("create_session.json")))
        api.post("/com.atproto.server.refreshSession").mock(side_effect=lambda r: reply(200, tokens.session("refresh_session.json")))
        serve_notifications(api)
        serve_lookups(api)
        batches = run(make_source())
    forget_sessions()
    from socialwatch.sources.bluesky import mention_id

    answer = next(m for m in mentions_of(batches) if m["id"] == mention_id(N2))
    assert answer["in_reply_to"] == mention_id(BRAND_REPLY)
    # the brand's post it answers: BlueskyResponder.post_public returns the created record's at:// URI
    assert_answered(survey_answered_by(app, answer, BRAND_REPLY, monkeypatch), answer, 0)  # "Still broken after the update"


def test_mastodon_reply_to_the_survey_status(app, monkeypatch) -> None:
    from tests.test_mastodon import NOTIFICATIONS, S3, S4, add, link, make_source, notifications, rate_headers

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add(rsps, "GET", NOTIFICATIONS, notifications("34975905", "34975904"), **link(next_max="34975904"), **rate_headers(298))
        add(rsps, "GET", NOTIFICATIONS, notifications("34975903", "34975902"), **link(next_max="34975902"))
        add(rsps, "GET", NOTIFICATIONS, notifications("34975901", "34975900"), **link(next_max="34975900"))
        batches, error = drain(make_source(limit=2))
    assert error is None
    answer = next(m for m in mentions_of(batches) if m["native_id"] == S3)
    assert answer["in_reply_to"] == f"mastodon:{S4}"
    # Mastodon.py's status_post answered with this status id (MastodonResponder: the status's `id`)
    assert_answered(survey_answered_by(app, answer, S4, monkeypatch), answer, 0)  # "still nothing, this is ridiculous"


def test_a_reply_in_the_thread_to_another_post_is_no_answer_without_a_rating(app, monkeypatch) -> None:
    from tests.test_mastodon import NOTIFICATIONS, S3, add, link, make_source, notifications, rate_headers

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        add(rsps, "GET", NOTIFICATIONS, notifications("34975905", "34975904"), **link(next_max="34975904"), **rate_headers(298))
        add(rsps, "GET", NOTIFICATIONS, notifications("34975903", "34975902"), **link(next_max="34975902"))
        add(rsps, "GET", NOTIFICATIONS, notifications("34975901", "34975900"), **link(next_max="34975900"))
        batches, error = drain(make_source(limit=2))
    answer = next(m for m in mentions_of(batches) if m["native_id"] == S3)
    # the survey went out as another status: S3 answers a post of the thread, and says no rating
    assert "csat" not in survey_answered_by(app, answer, "116159999999999999", monkeypatch)

