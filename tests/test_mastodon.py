"""The Mastodon source and responder against the real Mastodon.py client, offline.

No recordings of the Mastodon API are shared: the fixtures in tests/fixtures/mastodon follow the
documented entities (Notification, Status, Account, CredentialAccount, Instance v1/v2, Error) of
docs.joinmastodon.org, with a followed remote account (dana@example.social), a local one, a bot,
a direct message, a thread, a deleted status and hostile HTML. Mastodon.py's requests go through
`responses`; its version checks are off (no /nodeinfo, no implicit /api/v1/instance).
"""

from __future__ import annotations

import copy
import json
import logging
import pathlib
import re
import subprocess
import sys
import textwrap
import time
import traceback
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

from socialwatch import outbox
from socialwatch.app import App
from socialwatch.errors import ConfigError, SocialwatchError
from socialwatch.poller import poll_source
from socialwatch.responders import OutcomeUnknown, ReplyFailed, ResponderContext, SendResult, responder_class
from socialwatch.responders.mastodon import (
    LOOKUP_PAGES,
    MastodonResponder,
    comparable,
    mentions,
    status_length,
    with_mention,
)
from socialwatch.sources import (
    AuthError,
    Batch,
    NotEntitled,
    RateLimited,
    SourceContext,
    SourceError,
    TransientError,
    source_class,
)
from socialwatch.sources.mastodon import (
    HASHTAG_OVERLAP,
    MastodonSource,
    html_to_text,
    instance_url,
    snowflake_at,
    snowflake_time,
)
from tests.source_helpers import drain, mentions_of, recording_sleeps
from tests.test_cli import sw, write_jsonl

OWN = pathlib.Path(__file__).resolve().parent / "fixtures" / "mastodon"
INSTANCE = "https://mastodon.example"
API = f"{INSTANCE}/api/v1"
NOTIFICATIONS = f"{API}/notifications"
TAG = f"{API}/timelines/tag/northwindhelp"
STATUSES = f"{API}/statuses"
VERIFY = f"{API}/accounts/verify_credentials"
INSTANCE_V2 = f"{INSTANCE}/api/v2/instance/"
INSTANCE_V1 = f"{INSTANCE}/api/v1/instance/"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DATE = "Mon, 02 Mar 2026 12:00:00 GMT"  # the instance's clock in the Date header

# a distinctive fake token: it may never appear in a message, a record or a log line
TOKEN = "FAKE-MASTODON-TOKEN-q7Zx93kP"

BRAND_ID = "109000000000000001"
S1, S2, S3, S4, S5 = (
    "116159447040001234",  # 11:55 dana, public, hostile HTML
    "116159427379201234",  # 11:50 ravi, direct
    "116159388057601234",  # 11:40 dana, unlisted, a reply to S4
    "116159348736001234",  # 11:30 dana, public, the thread's root
    "116141771980801234",  # 2026-02-27 a bot, older than a day
)
H1, H2, H3 = "116159458836481234", "116159407718401234", "116159270092801234"  # hashtag: ravi, the brand, a boost
REPLY_ID = "116159470632961234"
HOSTILE_TEXT = (
    '@northwind my order & refund are "in progress" for 3 weeks!!\nCancel my account?\n\n'
    "nested tags <not a tag> click\n\n\U0001f621"
)


# ---- helpers -------------------------------------------------------------------------------------------
def own(name: str) -> object:
    return json.loads((OWN / name).read_text(encoding="utf-8"))


def notifications(*ids: str) -> list[dict]:
    """The fixture notifications with these ids, newest first."""
    by_id = {n["id"]: n for n in own("notifications.json")}
    return [copy.deepcopy(by_id[i]) for i in ids]


def link(*, next_max: str | None = None, prev_min: str | None = None, url: str = NOTIFICATIONS) -> dict:
    """A Mastodon pagination Link header."""
    parts = []
    if next_max:
        parts.append(f'<{url}?max_id={next_max}>; rel="next"')
    if prev_min:
        parts.append(f'<{url}?min_id={prev_min}>; rel="prev"')
    return {"Link": ", ".join(parts)} if parts else {}


def rate_headers(remaining: int = 299, reset: str = "2026-03-02T12:05:00.000000Z") -> dict:
    return {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": reset,
        "Date": DATE,
    }


def add(rsps: responses.RequestsMock, method: str, url: str, body: object, status: int = 200, **headers: str) -> None:
    if isinstance(body, BaseException):
        rsps.add(method, url, body=body)
    elif isinstance(body, str):
        rsps.add(method, url, body=body, status=status, headers=headers, content_type="text/html")
    else:
        rsps.add(method, url, json=body, status=status, headers=headers)


def query_of(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def form_of(call) -> dict[str, str]:
    body = call.request.body
    body = body.decode() if isinstance(body, bytes) else body
    return {k: v[0] for k, v in parse_qs(body).items()}


def calls_to(rsps: responses.RequestsMock, url: str, method: str = "GET") -> list:
    path = urlsplit(url).path
    return [c for c in rsps.calls if c.request.method == method and urlsplit(c.request.url).path == path]


def assert_no_secret(*things: object) -> None:
    shown = ""
    for thing in things:
        shown += str(thing) + repr(thing)
        if isinstance(thing, BaseException):
            shown += "".join(traceback.format_exception(thing))
    assert TOKEN not in shown


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_source(
    cursor: dict | None = None, *, since=None, one_shot: bool = True, lookback: float = 86400.0, **cfg
) -> MastodonSource:
    """A checked MastodonSource named "m" whose sleeps are recorded in `source.sleeps`."""
    config = {"type": "mastodon", "instance": INSTANCE, "access_token": TOKEN, **cfg}
    MastodonSource.check_config("m", config)
    context = SourceContext(name="m", brand={}, lookback=lookback, since=since, one_shot=one_shot, now=NOW)
    return recording_sleeps(MastodonSource("m", config, context), cursor)


def by_native(batches: list[Batch]) -> dict[str, dict]:
    return {m["native_id"]: m for m in mentions_of(batches)}


# ---- HTML to text ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>line<br>break<br/>again<br />end</p>", "line\nbreak\nagain\nend"),
        (
            "<p>Tom &amp; Jerry &lt;3 &quot;x&quot; &#39;y&#39; &#x1F600; &nbsp;</p>",
            "Tom & Jerry <3 \"x\" 'y' \U0001f600 \xa0",
        ),
        (
            '<p><a href="https://x.example/o/1" rel="nofollow"><span class="invisible">https://</span>'
            '<span class="ellipsis">x.example/o/</span><span class="invisible">1</span></a></p>',
            "https://x.example/o/1",
        ),
        ('<a href="https://ex.social/tags/help" class="mention hashtag" rel="tag">#<span>help</span></a>', "#help"),
        ("<b><i>nested <u>deep</i></b> tags</u>", "nested deep tags"),
        ("<script>alert(1)</script>ok<style>p{}</style><SCRIPT type=x>evil()</SCRIPT >!", "ok!"),
        ("<noscript>no</noscript><template><p>t</p></template>seen", "seen"),
        ("<a title=\"a>b\" href='c>d'>link</a>", "link"),
        ("1 < 2 and 3 > 2 <!-- hidden --> <!DOCTYPE x> <?php echo 1 ?> <![CDATA[x]]>end", "1 < 2 and 3 > 2 end"),
        ('<p>unterminated <a href="x', "unterminated"),
        ("text <!-- never closed", "text"),
        ("<script>never closed", ""),
        ("  <p>  spaced \n\t out  </p>\n\n\n<p></p><p></p><p>x</p>", "spaced out\n\nx"),
        ("<ul><li>a</li><li>b</li></ul>", "a\n\nb"),
        ("", ""),
        ("plain text", "plain text"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_html_to_text_of_non_strings_is_empty() -> None:
    assert html_to_text(None) == "" and html_to_text(42) == "" and html_to_text(["<p>x</p>"]) == ""


@pytest.mark.parametrize(
    "payload",
    ["<" * 200_000, "<a " * 100_000, "</" * 100_000, "<b>" * 100_000 + "x", '<a "' * 100_000, "&#" * 100_000,
     "<script></script>" * 30_000, "<a '>'" * 50_000, "<p>" * 100_000, "<!" * 100_000, "<x" + "=" * 300_000],
)  # fmt: skip
def test_html_to_text_is_linear_on_hostile_markup(payload: str) -> None:
    started = time.perf_counter()
    html_to_text(payload)
    # a hang guard, not a speed target: html.parser takes minutes on some of these (Python 3.11)
    assert time.perf_counter() - started < 30.0


# ---- source: configuration --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "key", "needle"),
    [
        ({"instance": "ftp://mastodon.example"}, "instance", "https"),
        ({"instance": "https://user:pw@mastodon.example"}, "instance", "user name or password"),
        ({"instance": "https://mastodon.example/api/v1"}, "instance", "without a path"),
        ({"instance": "http://mastodon.example"}, "instance", "clear"),
        ({"instance": "https://bad host"}, "instance", "host name"),
        ({"instance": ""}, "instance", "address"),
        ({"hashtags": ["ok", "not a tag"]}, "hashtags", "not a hashtag"),
        ({"max_pages": 0}, "max_pages", "from 1 to 1000"),
        ({"limit": 41}, "limit", "from 1 to 40"),
        ({"retries": 11}, "retries", "from 0 to 10"),
        ({"notifications": False}, "notifications", "nothing to read"),
        ({"access_token": ""}, "access_token", "access token"),
        ({"notifications": "yes"}, "notifications", "true or false"),
    ],
)
def test_check_config_names_the_key(table: dict, key: str, needle: str) -> None:
    base = {"type": "mastodon", "instance": INSTANCE, "access_token": TOKEN}
    with pytest.raises(ConfigError) as info:
        MastodonSource.check_config("m", {**base, **table}, "/etc/sw.toml")
    assert f"sources.m.{key}" in str(info.value) and needle in str(info.value)
    assert "pw" not in str(info.value)


def test_check_config_accepts_valid_tables() -> None:
    MastodonSource.check_config("m", {"type": "mastodon", "instance": "mastodon.example", "access_token": "$MT"})
    MastodonSource.check_config(
        "m", {"type": "mastodon", "instance": INSTANCE, "notifications": False, "hashtags": ["#Northwind", "help_desk"]}
    )
    assert (
        instance_url("Mastodon.Example/") == INSTANCE
        and instance_url("http://localhost:3000") == "http://localhost:3000"
    )
    assert source_class("mastodon") is MastodonSource and responder_class("mastodon") is MastodonResponder


def test_module_import_stays_cheap() -> None:
    code = textwrap.dedent(
        """
        import sys
        from socialwatch.sources.mastodon import MastodonSource
        from socialwatch.responders.mastodon import MastodonResponder
        MastodonSource.check_config("m", {"instance": "https://mastodon.example", "access_token": "t"})
        MastodonResponder.check_config("m", {"instance": "https://mastodon.example", "access_token": "t"})
        loaded = [m for m in ("mastodon", "requests", "dateutil", "html.parser") if m in sys.modules]
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=OWN.parent.parent.parent)


# ---- source: mapping, pagination, cursors --------------------------------------------------------------------
def test_first_poll_walks_back_to_the_lookback_and_maps_everything(rsps) -> None:
    add(
        rsps,
        "GET",
        NOTIFICATIONS,
        notifications("34975905", "34975904"),
        **link(next_max="34975904"),
        **rate_headers(298),
    )
    add(rsps, "GET", NOTIFICATIONS, notifications("34975903", "34975902"), **link(next_max="34975902"))
    add(rsps, "GET", NOTIFICATIONS, notifications("34975901", "34975900"), **link(next_max="34975900"))
    source = make_source(limit=2)

    batches, error = drain(source)

    assert error is None
    assert [query_of(c) for c in rsps.calls] == [
        {"types[]": "mention", "limit": "2"},
        {"types[]": "mention", "limit": "2", "max_id": "34975904"},
        {"types[]": "mention", "limit": "2", "max_id": "34975902"},
    ]
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in rsps.calls)
    assert [b.cursor for b in batches] == [None, None, {"notifications": {"newest": "34975905"}}]
    assert [b.calls for b in batches] == [1, 1, 1] and batches[0].rate_limit_remaining == 298
    found = by_native(batches)
    assert list(found) == [S1, S2, S3, S4]  # S5 is older than the look-back: the walk stopped there
    assert batches[-1].skipped == ["m: mastodon notification 34975901: its status was deleted"]
    assert batches[-1].gap is None

    first = found[S1]
    assert first["id"] == f"mastodon:{S1}" and first["platform"] == "mastodon" and first["source"] == "m"
    assert first["kind"] == "mention" and first["text"] == HOSTILE_TEXT
    assert first["author"] == {
        "handle": "dana@example.social",
        "name": "Dana Q :blobcat:",
        "id": "109000000000000042",
        "followers": 321,
        "verified": None,
    }
    assert first["url"] == f"https://example.social/@dana/{S1}" and first["lang"] == "en"
    assert first["created_at"] == "2026-03-02T11:55:00Z" and first["fetched_at"] == "2026-03-02T12:00:00Z"
    assert first["metrics"] == {"likes": 2, "reposts": 1, "replies": 0, "quotes": 0}
    assert first["conversation_id"] == f"mastodon:{S1}" and first["in_reply_to"] is None and first["tags"] == []

    assert found[S2]["kind"] == "dm" and found[S2]["text"] == "@northwind my card was charged twice, order 4411"
    assert found[S3]["kind"] == "reply" and found[S3]["in_reply_to"] == f"mastodon:{S4}"
    assert found[S3]["conversation_id"] == f"mastodon:{S4}"  # the thread's root was seen in the same walk
    assert found[S4]["conversation_id"] == f"mastodon:{S4}" and found[S4]["kind"] == "mention"


def test_second_poll_walks_forward_from_the_cursor_and_every_batch_carries_it(rsps) -> None:
    add(
        rsps,
        "GET",
        NOTIFICATIONS,
        notifications("34975904", "34975903"),
        **link(next_max="34975903", prev_min="34975904"),
    )
    add(rsps, "GET", NOTIFICATIONS, notifications("34975905"), **link(next_max="34975905", prev_min="34975905"))
    source = make_source({"notifications": {"newest": "34975902"}}, limit=2)

    batches, error = drain(source)

    assert error is None
    assert [query_of(c).get("min_id") for c in rsps.calls] == ["34975902", "34975904"]
    assert all("max_id" not in query_of(c) and "since_id" not in query_of(c) for c in rsps.calls)
    assert [b.cursor for b in batches] == [
        {"notifications": {"newest": "34975904"}},
        {"notifications": {"newest": "34975905"}},
    ]
    assert [sorted(m["native_id"] for m in b.mentions) for b in batches] == [sorted([S2, S3]), [S1]]
    # S3's parent (S4) came in an earlier poll: the root is not known here, the status stands for itself
    assert by_native(batches)[S3]["conversation_id"] == f"mastodon:{S3}"


def test_a_quiet_poll_costs_one_request_and_keeps_the_cursor(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, [])
    batches, error = drain(make_source({"notifications": {"newest": "34975905"}}))
    assert error is None and len(rsps.calls) == 1
    assert [(b.mentions, b.cursor, b.calls) for b in batches] == [([], {"notifications": {"newest": "34975905"}}, 1)]


def test_a_forward_walk_stopped_by_max_pages_resumes_next_poll_without_a_gap(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, notifications("34975902", "34975901"))
    add(rsps, "GET", NOTIFICATIONS, notifications("34975904", "34975903"))
    add(rsps, "GET", NOTIFICATIONS, notifications("34975905"))

    first, _ = drain(make_source({"notifications": {"newest": "34975900"}}, limit=2, max_pages=1))
    assert first[-1].cursor == {"notifications": {"newest": "34975902"}} and first[-1].gap is None
    second, _ = drain(make_source(first[-1].cursor, limit=2, max_pages=5))

    assert [query_of(c)["min_id"] for c in rsps.calls] == ["34975900", "34975902", "34975904"]
    assert sorted(m["native_id"] for m in mentions_of(first + second)) == sorted([S1, S2, S3, S4])
    assert second[-1].cursor == {"notifications": {"newest": "34975905"}}


def test_backfill_since_walks_back_past_the_cursor_and_never_moves_it_back(rsps) -> None:
    add(
        rsps,
        "GET",
        NOTIFICATIONS,
        notifications("34975905", "34975904", "34975903", "34975902", "34975901", "34975900"),
    )
    source = make_source({"notifications": {"newest": "34975910"}}, since=datetime(2026, 2, 26, tzinfo=UTC))

    batches, error = drain(source)

    assert error is None and len(rsps.calls) == 1 and "min_id" not in query_of(rsps.calls[0])
    found = by_native(batches)
    assert list(found) == [S1, S2, S3, S4, S5]
    bot = found[S5]
    assert bot["tags"] == ["bot"] and bot["author"]["handle"] == "statusbot@bots.example"
    assert bot["author"]["followers"] == 3 and bot["created_at"] == "2026-02-27T09:00:00Z"
    assert batches[-1].cursor == {"notifications": {"newest": "34975910"}}


def test_a_first_poll_that_finds_nothing_remembers_the_time_it_covered(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, [])
    first, _ = drain(make_source())
    assert first[-1].cursor == {"notifications": {"after": "2026-03-02T11:50:00Z"}}

    # down for a while: the next walk reaches back to that time, not just to the look-back
    add(rsps, "GET", NOTIFICATIONS, notifications("34975905", "34975904", "34975903"))
    second, _ = drain(make_source(first[-1].cursor, lookback=60))
    assert [m["native_id"] for m in mentions_of(second)] == [S1, S2]
    assert second[-1].cursor == {"notifications": {"newest": "34975905"}}


def test_gap_when_max_pages_stops_the_first_walk(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, notifications("34975905", "34975904"), **link(next_max="34975904"))
    batches, error = drain(make_source(limit=2, max_pages=1))
    assert error is None and len(rsps.calls) == 1
    assert batches[-1].cursor == {"notifications": {"newest": "34975905"}}
    assert "window not covered from 2026-03-01T12:00:00Z to 2026-03-02T11:50:00Z" in batches[-1].gap
    assert "max_pages = 1" in batches[-1].gap


def test_a_malformed_field_is_dropped_and_a_malformed_item_skipped(rsps, caplog) -> None:
    [first, second, third] = notifications("34975905", "34975904", "34975903")
    first["status"]["favourites_count"] = -5
    first["status"]["url"] = "javascript:alert(1)"
    second["status"]["id"] = "not an id!"
    del third["id"]
    add(rsps, "GET", NOTIFICATIONS, [first, second, third])

    with caplog.at_level(logging.WARNING):
        batches, error = drain(make_source())

    assert error is None
    [kept] = mentions_of(batches)
    assert kept["native_id"] == S1 and kept["metrics"]["likes"] is None and kept["metrics"]["reposts"] == 1
    assert kept["url"] == f"https://example.social/users/dana/statuses/{S1}"  # the uri, not a javascript: URL
    assert "metrics.likes dropped" in caplog.text
    assert batches[-1].skipped == [
        "m: mastodon notification 34975904: a status without a usable id",
        "m: mention notifications: an item without a usable id",
    ]


def test_hashtag_timeline_leaves_out_boosts_and_the_accounts_own_posts(rsps) -> None:
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))  # Mastodon.py asks whether the timeline is open
    add(rsps, "GET", TAG, own("hashtag_northwindhelp.json"))
    source = make_source(notifications=False, hashtags=["#NorthwindHelp"], access_token=TOKEN)

    batches, error = drain(source)

    assert error is None
    [found] = mentions_of(batches)
    assert found["native_id"] == H1 and found["kind"] == "search"
    assert found["text"] == "CW: refund rant\n\nIs anyone else waiting on a refund? #northwindhelp"
    assert found["metrics"] == {"likes": 4, "reposts": 2, "replies": 3, "quotes": 0}
    assert batches[-1].cursor == {"account_id": BRAND_ID, "hashtag:northwindhelp": {"newest": H1}}
    assert sum(b.calls for b in batches) == 3
    assert query_of(calls_to(rsps, TAG)[0]) == {"limit": "40"}


def test_hashtag_second_poll_overlaps_for_late_statuses(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "GET", TAG, own("hashtag_northwindhelp.json")[:1])
    add(rsps, "GET", TAG, [])
    cursor = {"account_id": BRAND_ID, "hashtag:northwindhelp": {"newest": H2}}
    source = make_source(cursor, notifications=False, hashtags=["northwindhelp"])

    batches, error = drain(source)

    assert error is None and not calls_to(rsps, VERIFY)  # the account id was cached in the cursor
    start = snowflake_at(snowflake_time(H2) - HASHTAG_OVERLAP)
    assert [query_of(c)["min_id"] for c in calls_to(rsps, TAG)] == [start, H1]
    assert int(start) < int(H2)
    assert [m["native_id"] for m in mentions_of(batches)] == [H1]
    assert batches[-1].cursor == {"account_id": BRAND_ID, "hashtag:northwindhelp": {"newest": H1}}


# ---- source: errors ---------------------------------------------------------------------------------------------
def test_429_in_one_shot_mode_reports_the_reset_at_once(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, own("error_429.json"), status=429, **rate_headers(0))
    source = make_source()

    batches, error = drain(source)

    assert isinstance(error, RateLimited) and error.state == "degraded"
    assert error.reset_at == NOW + timedelta(minutes=5)
    assert "rate limit reached (429); resets at 12:05 UTC" in str(error) and "mastodon.example" in str(error)
    assert source.sleeps == [] and len(rsps.calls) == 1
    assert [b.calls for b in batches] == [1] and batches[0].rate_limit_remaining == 0


def test_429_in_daemon_mode_waits_for_a_short_reset(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, own("error_429.json"), status=429, **rate_headers(0, "2026-03-02T12:00:30Z"))
    add(rsps, "GET", NOTIFICATIONS, notifications("34975905"))
    source = make_source(one_shot=False)

    batches, error = drain(source)

    assert error is None and source.sleeps == [31.0]
    assert [m["native_id"] for m in mentions_of(batches)] == [S1] and sum(b.calls for b in batches) == 2


def test_429_in_daemon_mode_does_not_wait_longer_than_allowed(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, own("error_429.json"), status=429, **rate_headers(0))
    source = make_source(one_shot=False, max_rate_limit_wait=60)
    _, error = drain(source)
    assert isinstance(error, RateLimited) and source.sleeps == []


def test_401_is_an_auth_error_naming_the_key(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, own("error_401.json"), status=401)
    source = make_source()

    batches, error = drain(source)

    assert isinstance(error, AuthError) and error.state == "failing"
    assert "rejected the access token (401)" in str(error) and "`access_token` in sources.m" in str(error)
    assert [b.calls for b in batches] == [1] and len(rsps.calls) == 1  # not retried
    assert_no_secret(error)


def test_403_on_notifications_is_not_entitled_and_the_hashtags_are_still_read(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, own("error_403.json"), status=403)
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "GET", TAG, own("hashtag_northwindhelp.json"))
    source = make_source(hashtags=["northwindhelp"])

    batches, error = drain(source)

    assert isinstance(error, NotEntitled) and error.state == "not entitled"
    assert "403: This action is outside the authorized scopes" in str(error) and "read:notifications" in str(error)
    assert [m["native_id"] for m in mentions_of(batches)] == [H1]
    assert sum(b.calls for b in batches) == 4


def test_503_is_retried_with_backoff_then_transient(rsps) -> None:
    for _ in range(4):
        add(rsps, "GET", NOTIFICATIONS, (OWN / "error_503.html").read_text(), status=503)
    source = make_source()

    batches, error = drain(source)

    assert isinstance(error, TransientError) and error.state == "degraded"
    assert "(503)" in str(error) and "gave up after 4 attempt(s)" in str(error)
    assert source.sleeps == [1.0, 2.0, 4.0] and sum(b.calls for b in batches) == 4


def test_503_then_200_recovers(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, (OWN / "error_503.html").read_text(), status=503)
    add(rsps, "GET", NOTIFICATIONS, notifications("34975905"))
    source = make_source()
    batches, error = drain(source)
    assert error is None and source.sleeps == [1.0] and [m["native_id"] for m in mentions_of(batches)] == [S1]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "timed out"),
        (requests.exceptions.ConnectionError("connection reset"), "connection failed"),
        ("this is not JSON", "malformed answer"),
    ],
)
def test_timeouts_and_malformed_answers_are_retried_then_transient(rsps, body, needle) -> None:
    for _ in range(2):
        if isinstance(body, str):
            rsps.add("GET", NOTIFICATIONS, body=body, status=200, content_type="application/json")
        else:
            add(rsps, "GET", NOTIFICATIONS, body)
    source = make_source(retries=1)
    _, error = drain(source)
    assert isinstance(error, TransientError) and needle in str(error) and source.sleeps == [1.0]


def test_an_unreadable_rate_limit_header_on_a_200_is_transient(rsps) -> None:
    add(rsps, "GET", NOTIFICATIONS, [], **{"X-RateLimit-Reset": "tomorrow-ish"})
    _, error = drain(make_source(retries=0))
    assert isinstance(error, TransientError) and "unreadable rate-limit headers" in str(error)


@pytest.mark.parametrize("status", [401, 403, 404, 422, 429, 500])
def test_no_secret_in_any_error_or_log(rsps, caplog, status) -> None:
    body = {"error": f"token {TOKEN} is not welcome here", "error_description": TOKEN}
    add(rsps, "GET", NOTIFICATIONS, body, status=status, **rate_headers(0))
    with caplog.at_level(logging.DEBUG):
        batches, error = drain(make_source(retries=1))
    assert isinstance(error, SourceError)
    if status not in (401, 429):
        assert "***" in str(error)  # the server's text is shown, with the token masked
    assert_no_secret(error, caplog.text, batches)


def test_test_checks_the_token_with_one_cheap_call(rsps) -> None:
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    lines = make_source(hashtags=["northwindhelp"]).test()
    assert lines == [
        f"ok: access token accepted on mastodon.example for @northwind (id {BRAND_ID})",
        "will read: mention notifications, #northwindhelp timeline",
    ]
    assert len(rsps.calls) == 1


def test_test_raises_the_mapped_error(rsps) -> None:
    add(rsps, "GET", VERIFY, own("error_401.json"), status=401)
    with pytest.raises(AuthError, match="401") as info:
        make_source().test()
    assert_no_secret(info.value)
    assert len(rsps.calls) == 1  # not retried


# ---- source: through the poller ---------------------------------------------------------------------------------
POLL_CONFIG = """
[sources.fedi]
type = "mastodon"
instance = "https://mastodon.example"
access_token = "$SW_TEST_MASTODON_TOKEN"
limit = 2
retries = 0
lookback = "3650d"
"""


def test_poller_stores_mentions_then_the_cursor_and_resumes_after_a_failure(rsps, isolated_home, monkeypatch):
    monkeypatch.setenv("SW_TEST_MASTODON_TOKEN", TOKEN)
    (isolated_home / "socialwatch.toml").write_text(POLL_CONFIG)
    add(rsps, "GET", NOTIFICATIONS, notifications("34975903", "34975902"), **link(next_max="34975902"))
    add(rsps, "GET", NOTIFICATIONS, (OWN / "error_503.html").read_text(), status=503)

    first = poll_source(App(), "fedi")
    assert first.state == "degraded" and "503" in first.error and first.new == 2 and first.calls == 2
    assert App().store.source_states()["fedi"].get("cursor") is None  # the walk's cursor never came

    rsps.reset()
    add(rsps, "GET", NOTIFICATIONS, notifications("34975905", "34975904"), **link(next_max="34975904"))
    add(rsps, "GET", NOTIFICATIONS, notifications("34975903", "34975902"), **link(next_max="34975902"))
    add(rsps, "GET", NOTIFICATIONS, notifications("34975901", "34975900"), **link(next_max="34975900"))
    add(rsps, "GET", NOTIFICATIONS, [])
    second = poll_source(App(), "fedi")

    assert second.error is None and second.new == 3 and second.duplicates == 2
    state = App().store.source_states()["fedi"]
    assert state["cursor"] == {"notifications": {"newest": "34975905"}}
    stored = {m["id"] for m in App().store.iter_all()}
    assert stored == {f"mastodon:{i}" for i in (S1, S2, S3, S4, S5)}
    assert_no_secret(first.error, json.dumps(state))


# ---- responder ----------------------------------------------------------------------------------------------------
KEY = "5f0c8e2d9b7a4c1e8d3f2a6b0c9e7d41"
TEXT = "Sorry for the wait, a replacement ships today: https://status.northwind.example/o/4411"


def make_responder(**cfg) -> MastodonResponder:
    table = {"type": "mastodon", "instance": INSTANCE, "access_token": TOKEN, **cfg}
    MastodonResponder.check_config("toot", table)
    responder = MastodonResponder("toot", table, ResponderContext(name="toot", brand={}, config_dir=".", data_dir="."))
    responder.sleeps = []
    responder._sleep = responder.sleeps.append
    responder._now = lambda: NOW
    return responder


def mention(**over: object) -> dict:
    """A stored Mastodon mention (the fields the responder reads): dana's unlisted reply S3."""
    base = {
        "id": f"mastodon:{S3}",
        "platform": "mastodon",
        "native_id": S3,
        "kind": "reply",
        "author": {"handle": "dana@example.social", "name": "Dana Q", "id": "109000000000000042"},
        "text": "@northwind still nothing, this is ridiculous",
    }
    return {**base, **over}


def original(visibility: str) -> dict:
    status = own("status_original.json")
    status["visibility"] = visibility
    return status


def posts(rsps: responses.RequestsMock) -> list:
    return calls_to(rsps, STATUSES, "POST")


def instance_limit(limit: int) -> dict:
    info = own("instance_v2.json")
    info["configuration"]["statuses"]["max_characters"] = limit
    return info


@pytest.mark.parametrize(
    ("visibility", "max_visibility", "kind", "sent"),
    [
        ("unlisted", "public", "reply", "unlisted"),
        ("public", "public", "mention", "public"),
        ("private", "public", "mention", "private"),
        ("direct", "public", "dm", "direct"),
        ("public", "unlisted", "mention", "unlisted"),
        ("public", "public", "dm", "direct"),
    ],
)
def test_public_reply_keeps_the_visibility_and_sends_the_idempotency_key(rsps, visibility, max_visibility, kind, sent):
    add(rsps, "GET", f"{STATUSES}/{S3}", original(visibility))
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, own("status_posted.json"))
    responder = make_responder(max_visibility=max_visibility)

    result = responder.post_public(mention(kind=kind), TEXT, KEY)

    assert result == SendResult(reply_id=REPLY_ID, url=f"{INSTANCE}/@northwind/{REPLY_ID}", confirmed=True)
    [post] = posts(rsps)
    form = form_of(post)
    assert form["status"] == f"@dana@example.social {TEXT}"
    assert form["in_reply_to_id"] == S3 and form["visibility"] == sent
    assert post.request.headers["Idempotency-Key"] == KEY
    assert post.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert len(rsps.calls) == 3  # the original, the instance's limit, the post


def test_private_reply_is_direct_and_mentions_the_author(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, own("status_posted.json"))

    result = make_responder().post_private(mention(), "Hi Dana, please check your DMs for the refund link", KEY)

    assert result.reply_id == REPLY_ID
    [post] = posts(rsps)
    form = form_of(post)
    assert form["visibility"] == "direct" and form["in_reply_to_id"] == S3
    assert form["status"] == "@dana@example.social Hi Dana, please check your DMs for the refund link"
    assert post.request.headers["Idempotency-Key"] == KEY
    assert not calls_to(rsps, f"{STATUSES}/{S3}")  # the author's handle was known: no lookup


def test_a_text_that_already_mentions_the_author_is_not_prefixed(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, own("status_posted.json"))
    make_responder().post_private(mention(), "Thanks @Dana@Example.social. We refunded you.", KEY)
    assert form_of(posts(rsps)[0])["status"] == "Thanks @Dana@Example.social. We refunded you."


def test_mention_helpers() -> None:
    assert mentions("hi @dana.", "dana") and mentions("(@dana)", "dana") and not mentions("hi @danaq", "dana")
    assert not mentions("mail dana@x.example", "dana") and not mentions("@dana@other.example", "dana")
    assert with_mention("hello", "dana@example.social") == "@dana@example.social hello"
    assert status_length("@dana@example.social " + "https://example.com/" + "x" * 200) == len("@dana ") + 23
    assert status_length("🇫🇷 é") == 3
    assert comparable("@dana@example.social  Hi\n https://a.example/x  @ravi@b.example") == "Hi <url> @ravi"


def test_the_character_limit_comes_from_the_instance(rsps) -> None:
    add(rsps, "GET", f"{STATUSES}/{S3}", original("public"))
    add(rsps, "GET", INSTANCE_V2, instance_limit(60))
    responder = make_responder()

    with pytest.raises(ReplyFailed, match=r"16 characters over the instance's limit \(76/60") as info:
        responder.post_public(mention(), TEXT, KEY)  # "@dana " + 47 + 23 for the URL

    assert "not sent" in str(info.value) and not posts(rsps)
    with pytest.raises(ReplyFailed):
        responder.post_private(mention(), TEXT, KEY)
    assert len(calls_to(rsps, INSTANCE_V2)) == 1  # read once per responder


def test_an_instance_without_v2_gives_its_limit_through_v1(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, own("error_404.json"), status=404)
    add(rsps, "GET", INSTANCE_V1, own("instance_v1.json"))
    assert make_responder().max_characters() == 1000


def test_the_limit_defaults_to_500_when_the_instance_does_not_say(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, (OWN / "error_503.html").read_text(), status=503)
    assert make_responder().max_characters() == 500


def test_a_deleted_post_is_not_answered(rsps) -> None:
    add(rsps, "GET", f"{STATUSES}/{S3}", own("error_404.json"), status=404)
    with pytest.raises(ReplyFailed, match="the post was deleted") as info:
        make_responder().post_public(mention(), TEXT, KEY)
    assert "404: Record not found" in str(info.value) and not posts(rsps)


def test_a_post_deleted_before_a_private_reply_is_a_failure(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, own("error_404.json"), status=404)
    with pytest.raises(ReplyFailed, match="the post was deleted"):
        make_responder().post_private(mention(), TEXT, KEY)
    assert len(posts(rsps)) == 1


@pytest.mark.parametrize(
    ("status", "fixture", "needle"),
    [
        (401, "error_401.json", "rejected the access token (401): check `access_token` in responders.toot"),
        (403, "error_403.json", "403: This action is outside the authorized scopes"),
        (422, "error_422.json", "refused the private reply (422: Validation failed: Text character limit"),
        (429, "error_429.json", "rate limit reached (429); the private reply was not sent: retry after 12:05 UTC"),
    ],
)
def test_4xx_is_a_failure_nothing_was_posted(rsps, status, fixture, needle) -> None:
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, own(fixture), status=status, **rate_headers(0))
    responder = make_responder()
    with pytest.raises(ReplyFailed) as info:
        responder.post_private(mention(), TEXT, KEY)
    assert needle in str(info.value) and len(posts(rsps)) == 1 and responder.sleeps == []
    if status == 429:
        assert info.value.retry_after == 300.0
    assert_no_secret(info.value)


def test_503_then_success_is_retried_with_the_same_key(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, (OWN / "error_503.html").read_text(), status=503)
    add(rsps, "POST", STATUSES, own("status_posted.json"))  # the server's answer to a repeated key
    responder = make_responder()

    result = responder.post_private(mention(), TEXT, KEY)

    assert result.reply_id == REPLY_ID and result.confirmed
    assert [p.request.headers["Idempotency-Key"] for p in posts(rsps)] == [KEY, KEY]
    assert form_of(posts(rsps)[0]) == form_of(posts(rsps)[1]) and responder.sleeps == [1.0]


def test_a_refusal_after_a_maybe_posted_attempt_stays_unknown(rsps) -> None:
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, requests.exceptions.ReadTimeout("read timed out"))
    add(rsps, "POST", STATUSES, own("error_422.json"), status=422)
    with pytest.raises(OutcomeUnknown, match="timed out|422"):
        make_responder().post_private(mention(), TEXT, KEY)


def test_a_connection_never_made_is_a_failure_not_an_unknown(rsps) -> None:
    never = requests.exceptions.ConnectionError(
        MaxRetryError(None, "/api/v1/statuses", NewConnectionError(None, "Connection refused"))
    )
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    for _ in range(3):
        add(rsps, "POST", STATUSES, never)
    responder = make_responder()
    with pytest.raises(ReplyFailed, match="could not connect to mastodon.example .*not sent"):
        responder.post_private(mention(), TEXT, KEY)
    assert len(posts(rsps)) == 3 and responder.sleeps == [1.0, 2.0]


def test_unknown_outcome_then_find_reply_finds_it(rsps) -> None:
    add(rsps, "GET", f"{STATUSES}/{S3}", original("unlisted"))
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    for _ in range(3):
        add(rsps, "POST", STATUSES, (OWN / "error_503.html").read_text(), status=503)
    responder = make_responder()

    with pytest.raises(OutcomeUnknown) as info:
        responder.post_public(mention(), TEXT, KEY)

    assert "503" in str(info.value) and "3 attempt(s) with the same Idempotency-Key" in str(info.value)
    assert "reconcile" in str(info.value) and {p.request.headers["Idempotency-Key"] for p in posts(rsps)} == {KEY}

    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    add(rsps, "GET", f"{API}/accounts/{BRAND_ID}/statuses", own("account_statuses.json"))
    record = {"id": "r5f0c8e2d9b", "text": TEXT, "visibility": "public", "created_at": "2026-03-02T12:00:00Z"}
    found = make_responder().find_reply(mention(), record)

    assert found == SendResult(reply_id=REPLY_ID, url=f"{INSTANCE}/@northwind/{REPLY_ID}")
    [lookup] = calls_to(rsps, f"{API}/accounts/{BRAND_ID}/statuses")
    expected = str(int((NOW - timedelta(minutes=1)).timestamp()) * 1000 << 16)
    assert query_of(lookup)["since_id"] == expected and query_of(lookup)["exclude_reblogs"] == "1"


def test_find_reply_returns_none_when_the_account_has_no_such_post(rsps) -> None:
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    timeline = f"{API}/accounts/{BRAND_ID}/statuses"
    add(rsps, "GET", timeline, own("account_statuses.json")[:1])
    add(rsps, "GET", timeline, own("account_statuses_older.json"))  # same thread, other text
    add(rsps, "GET", timeline, [])
    record = {"text": TEXT, "visibility": "public", "created_at": "2026-03-02T11:00:00Z"}

    assert make_responder().find_reply(mention(), record) is None
    assert [query_of(c).get("max_id") for c in calls_to(rsps, timeline)] == [
        None,
        "116159472599041234",
        "116159300000001234",
    ]


def test_a_private_record_only_matches_a_direct_post(rsps) -> None:
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    add(rsps, "GET", f"{API}/accounts/{BRAND_ID}/statuses", own("account_statuses.json"))
    add(rsps, "GET", f"{API}/accounts/{BRAND_ID}/statuses", [])
    record = {"text": TEXT, "visibility": "private", "created_at": "2026-03-02T12:00:00Z"}
    assert make_responder().find_reply(mention(), record) is None  # the listed reply is unlisted, not direct


def test_find_reply_gives_up_after_its_pages(rsps) -> None:
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    add(rsps, "GET", f"{API}/accounts/{BRAND_ID}/statuses", own("account_statuses.json")[:1])
    with pytest.raises(OutcomeUnknown, match=f"looked through {LOOKUP_PAGES} pages"):
        make_responder().find_reply(mention(), {"text": TEXT, "created_at": "2026-03-02T11:00:00Z"})


@pytest.mark.parametrize(
    ("status", "needle"), [(503, "did not answer usefully (503: nope ***)"), (401, "rejected (401)")]
)
def test_find_reply_cannot_tell_when_the_lookup_fails(rsps, status, needle) -> None:
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    add(rsps, "GET", f"{API}/accounts/{BRAND_ID}/statuses", {"error": f"nope {TOKEN}"}, status=status)
    with pytest.raises(OutcomeUnknown, match=re.escape(needle)) as info:
        make_responder().find_reply(mention(), {"text": TEXT, "created_at": "2026-03-02T11:00:00Z"})
    assert_no_secret(info.value)


def test_a_mention_of_another_platform_is_refused_before_any_request(rsps) -> None:
    with pytest.raises(ReplyFailed, match="it is a twitter mention"):
        make_responder().post_public(mention(platform="twitter", id="twitter:1"), TEXT, KEY)
    assert not rsps.calls


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"access_token": ""}, "access_token"),
        ({"instance": "mastodon.example/api"}, "instance"),
        ({"max_visibility": "everyone"}, "max_visibility"),
        ({"retries": 99}, "retries"),
    ],
)
def test_responder_check_config_names_the_key(table: dict, key: str) -> None:
    base = {"type": "mastodon", "instance": INSTANCE, "access_token": TOKEN}
    with pytest.raises(ConfigError, match=f"responders.toot.{key}"):
        MastodonResponder.check_config("toot", {**base, **table})
    with pytest.raises(ConfigError, match="access_token"):
        MastodonResponder.check_config("toot", {"type": "mastodon", "instance": INSTANCE})


# ---- end to end through the outbox ----------------------------------------------------------------------------
E2E_CONFIG = """
[sources.fedi]
type = "mastodon"
instance = "https://mastodon.example"
access_token = "$SW_TEST_MASTODON_TOKEN"
responder = "toot"

[responders.toot]
type = "mastodon"
instance = "https://mastodon.example"
access_token = "$SW_TEST_MASTODON_TOKEN"
retries = 1
"""


@pytest.fixture
def fedi_home(isolated_home: pathlib.Path, tmp_path: pathlib.Path, monkeypatch) -> pathlib.Path:
    assert sw("init")[0] == 0
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text() + E2E_CONFIG)
    monkeypatch.setenv("SW_TEST_MASTODON_TOKEN", TOKEN)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # the responder's backoff between attempts
    line = {
        "id": f"mastodon:{S3}",
        "text": "@northwind still nothing, this is ridiculous",
        "author": {"handle": "dana@example.social", "id": "109000000000000042"},
        "created_at": "2026-03-02T11:40:00Z",
        "kind": "reply",
    }
    code, _, err = sw("import", str(write_jsonl(tmp_path / "in.jsonl", [line])), "--source", "fedi")
    assert code == 0, err
    return isolated_home


def test_end_to_end_unknown_then_reconcile_settles_it_and_nothing_posts_twice(fedi_home, rsps) -> None:
    app = App()
    mention_id = f"mastodon:{S3}"
    add(rsps, "GET", f"{STATUSES}/{S3}", original("unlisted"))
    add(rsps, "GET", INSTANCE_V2, own("instance_v2.json"))
    add(rsps, "POST", STATUSES, requests.exceptions.ReadTimeout("read timed out"))
    add(rsps, "POST", STATUSES, (OWN / "error_503.html").read_text(), status=503)

    with pytest.raises(SocialwatchError, match="reconcile"):
        outbox.send(app, mention_id, TEXT)

    [rec] = outbox.records(app)
    assert rec["state"] == "unknown" and "503" in rec["error"]
    assert [p.request.headers["Idempotency-Key"] for p in posts(rsps)] == [rec["idempotency_key"]] * 2
    assert form_of(posts(rsps)[0])["visibility"] == "unlisted"

    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    add(rsps, "GET", f"{API}/accounts/{BRAND_ID}/statuses", own("account_statuses.json"))
    results = outbox.reconcile(app)

    assert [r for _, r in results] == ["sent"]
    [rec] = outbox.records(app)
    assert rec["state"] == "sent" and rec["reply_id"] == REPLY_ID
    assert rec["url"] == f"{INSTANCE}/@northwind/{REPLY_ID}"
    stored = app.store.get(mention_id)
    assert stored["first_response_at"] and stored["status"] == "pending"
    code, _, err = sw("reply", mention_id, "--text", TEXT)
    assert code == 1 and "already replied" in err
    assert len(posts(rsps)) == 2
    shown = app.store.outbox_path.read_text() + app.store.audit_path.read_text() + err + str(results)
    assert TOKEN not in shown


def test_cli_sources_test(fedi_home, rsps) -> None:
    add(rsps, "GET", VERIFY, own("account_verify_credentials.json"))
    code, out, err = sw("sources", "test", "fedi")
    assert code == 0, err
    assert f"fedi: ok: access token accepted on mastodon.example for @northwind (id {BRAND_ID})" in out
    rsps.reset()
    add(rsps, "GET", VERIFY, {"error": f"The access token {TOKEN} is invalid"}, status=401)
    code, out, err = sw("sources", "test", "fedi")
    assert code == 1 and "rejected the access token (401)" in err
    assert TOKEN not in out + err
