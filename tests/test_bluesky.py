"""The Bluesky source and responder against the real atproto `Client`, its HTTP layer mocked with respx.

No recordings of the Bluesky API are shared: the answers in tests/fixtures/bluesky are built from
the documented shapes of the AT Protocol lexicons (com.atproto.server.createSession and
refreshSession, app.bsky.notification.listNotifications, app.bsky.feed.searchPosts / getPosts,
app.bsky.actor.getProfiles, com.atproto.repo.createRecord / getRecord, chat.bsky.convo.*), and
the error bodies from the XRPC error shape `{"error", "message"}` with the names Bluesky's PDS
uses (ExpiredToken, AuthenticationRequired, RateLimitExceeded, RecordNotFound, InvalidToken "Bad
token method" for an app password without chat access). The 403 body is illustrative.

Every request goes through the SDK (session handling, refresh, headers, errors) and httpx; respx
answers at the transport. Sessions use JWT-shaped tokens whose `exp` the SDK reads.
"""

from __future__ import annotations

import base64
import copy
import json
import pathlib
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from socialwatch import model, outbox
from socialwatch.app import App
from socialwatch.errors import ConfigError, Conflict, SocialwatchError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, ResponderContext, SendResult, responder_class
from socialwatch.responders.bluesky import BlueskyResponder, record_key
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
from socialwatch.sources.bluesky import (
    OVERLAP,
    BlueskySource,
    forget_sessions,
    mention_id,
    native_id,
    post_uri,
    post_url,
)
from tests.source_helpers import mentions_of, recording_sleeps
from tests.test_cli import sw, write_jsonl

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "bluesky"
SERVICE = "https://bsky.social"
XRPC = SERVICE + "/xrpc"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PASSWORD = "fake-apppw-q7v2-k9m4"  # distinctive: it must never appear in a message, record or log line
BRAND = "did:plc:cco6psdj5sb3vxafwdevxgpb"
DANA = "did:plc:y6wx36oiyvfvlhf7igd7ilt7"
ELI = "did:plc:eq2bwjxguvcqrx7zp2sd5pfz"
N1 = f"at://{DANA}/app.bsky.feed.post/3mg36rugym22b"  # dana's top-level mention
N2 = f"at://{ELI}/app.bsky.feed.post/3mg36a2ydm22b"  # eli's reply in a thread of the brand's
N3 = "at://did:plc:7fvx4jocfgczm67gmkf7aclh/app.bsky.feed.post/3mg35o5tbk22b"  # fay's quote
N5 = "at://did:plc:ljlye6unvehendfqldycyjnb/app.bsky.feed.post/3mg354bmq222b"  # gus's mention, deleted since
N6 = f"at://{DANA}/app.bsky.feed.post/3mg34kfg6k22b"  # a notification whose record is gone
BRAND_ROOT = f"at://{BRAND}/app.bsky.feed.post/3mfyeszcd222b"
BRAND_REPLY = f"at://{BRAND}/app.bsky.feed.post/3mg35x3wkc22b"
S1 = "at://did:plc:6fezz7u547vb2jbiq7hysz3j/app.bsky.feed.post/3mg372udnc22b"
DAILY = {"ratelimit-limit": "3000", "ratelimit-remaining": "2990", "ratelimit-policy": "3000;w=300"}


# ---- helpers -----------------------------------------------------------------------------------
def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def jwt(sub: str, expires_in: float, *, scope: str = "com.atproto.appPass", jti: str | None = None) -> str:
    """A JWT-shaped token (the SDK reads `exp`; nobody checks the signature here)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    payload = {"scope": scope, "sub": sub, "iat": now, "exp": int(now + expires_in), "aud": "did:web:bsky.social"}
    if jti:
        payload["jti"] = jti
    return f"{part({'typ': 'at+jwt', 'alg': 'ES256K'})}.{part(payload)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


def reply(status: int, body: dict | None = None, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=body if body is not None else {}, headers={**DAILY, **(headers or {})})


def error(status: int, name: str, headers: dict | None = None) -> httpx.Response:
    return reply(status, fixture(name), headers)


class Tokens:
    """The session tokens the mocked PDS hands out (all of them must stay out of messages)."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def session(self, name: str, expires_in: float = 7200) -> dict:
        body = fixture(name)
        body["accessJwt"] = jwt(BRAND, expires_in)
        body["refreshJwt"] = jwt(BRAND, 90 * 86400, scope="com.atproto.refresh", jti=f"r{len(self.issued)}")
        self.issued += [body["accessJwt"], body["refreshJwt"]]
        return body


def bearer(call) -> str:
    return call.request.headers.get("authorization", "").removeprefix("Bearer ")


def calls_to(api: respx.MockRouter, nsid: str) -> list:
    return [c for c in api.calls if c.request.url.path == f"/xrpc/{nsid}"]


def body_of(call) -> dict:
    return json.loads(call.request.content)


@pytest.fixture(autouse=True)
def fresh_sessions():
    forget_sessions()
    yield
    forget_sessions()


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture
def api(tokens: Tokens):
    """respx in front of httpx; createSession and refreshSession answer with fresh tokens."""
    with respx.mock(base_url=XRPC, assert_all_called=False) as mock:
        mock.post("/com.atproto.server.createSession", name="login").mock(
            side_effect=lambda request: reply(200, tokens.session("create_session.json"))
        )
        mock.post("/com.atproto.server.refreshSession", name="refresh").mock(
            side_effect=lambda request: reply(200, tokens.session("refresh_session.json"))
        )
        yield mock


def serve_lookups(api: respx.MockRouter) -> None:
    """getPosts answers with the views it knows (a deleted post is left out); getProfiles likewise."""
    views = {v["uri"]: v for v in fixture("get_posts.json")["posts"] + fixture("search_posts.json")["posts"]}
    profiles = fixture("get_profiles.json")["profiles"]

    def posts(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get_list("uris")
        return reply(200, {"posts": [views[u] for u in wanted if u in views]})

    def actors(request: httpx.Request) -> httpx.Response:
        wanted = request.url.params.get_list("actors")
        return reply(200, {"profiles": [p for p in profiles if p["did"] in wanted]})

    api.get("/app.bsky.feed.getPosts", name="posts").mock(side_effect=posts)
    api.get("/app.bsky.actor.getProfiles", name="profiles").mock(side_effect=actors)


def serve_notifications(api: respx.MockRouter, pages: dict[str | None, dict] | None = None) -> respx.Route:
    """listNotifications by `cursor` (page 1 without one, page 2 after it); unknown cursors: empty."""
    if pages is None:
        pages = {
            None: fixture("list_notifications_page1.json"),
            "2026-03-02T11:30:01.000Z": fixture("list_notifications_page2.json"),
        }

    def handler(request: httpx.Request) -> httpx.Response:
        return reply(200, pages.get(request.url.params.get("cursor"), {"notifications": []}))

    return api.get("/app.bsky.notification.listNotifications", name="notifications").mock(side_effect=handler)


def make_source(
    config: dict | None = None,
    *,
    cursor: dict | None = None,
    now: datetime = NOW,
    lookback: float = 86400,
    since: datetime | None = None,
    one_shot: bool = True,
    extra: dict | None = None,
) -> BlueskySource:
    table = {
        "type": "bluesky",
        "handle": "acme.bsky.social",
        "app_password": PASSWORD,
        "search": None,
        **(config or {}),
    }
    table = {k: v for k, v in table.items() if v is not None}
    BlueskySource.check_config("bsky", table)
    ctx = SourceContext(
        name="bsky",
        brand={"name": "Acme", "exclusions": ["giveaway"]},
        lookback=lookback,
        since=since,
        one_shot=one_shot,
        now=now,
        extra=extra or {},
    )
    source = recording_sleeps(BlueskySource("bsky", table, ctx), cursor)
    source._time = now.timestamp
    return source


def run(source: BlueskySource) -> list[Batch]:
    try:
        return list(source.fetch())
    finally:
        source.close()


def no_secret(text: str, tokens: Tokens) -> None:
    for value in [PASSWORD, *tokens.issued]:
        assert value not in text
    assert "eyJ" not in text  # no JWT fragment either


# ---- ids ----------------------------------------------------------------------------------------
def test_ids_are_model_valid_stable_and_reversible() -> None:
    assert native_id(N1) == "y6wx36oiyvfvlhf7igd7ilt7.3mg36rugym22b"
    assert mention_id(N1) == "bluesky:y6wx36oiyvfvlhf7igd7ilt7.3mg36rugym22b"
    assert post_uri(native_id(N1)) == N1 and post_uri(mention_id(N1)) == N1
    web = "at://did:web:brand.example.com/app.bsky.feed.post/3mg36rugym22b"
    assert native_id(web) == "web-brand.example.com.3mg36rugym22b" and post_uri(native_id(web)) == web
    odd = "at://did:key:zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF/app.bsky.feed.post/3mg36rugym22b"
    hashed = native_id(odd)
    assert hashed.startswith("x-") and hashed == native_id(odd) and post_uri(hashed) is None
    assert native_id(f"at://{DANA}/app.bsky.feed.like/3mg36rugym22b") is None
    for uri in (N1, web, odd):
        m = model.normalize({"id": mention_id(uri), "text": "t"}, platform="bluesky", source="s")
        assert m["id"] == mention_id(uri) and m["platform"] == "bluesky"
    assert post_url(N1, "dana-q.bsky.social") == "https://bsky.app/profile/dana-q.bsky.social/post/3mg36rugym22b"
    assert post_url(N1, "handle.invalid") == f"https://bsky.app/profile/{DANA}/post/3mg36rugym22b"


def test_record_keys_are_deterministic_valid_tids() -> None:
    key = outbox.idempotency_key("bluesky:x.y", "hello", 0)
    rkey = record_key(key)
    assert rkey == record_key(key) and rkey != record_key(outbox.idempotency_key("bluesky:x.y", "hello", 1))
    assert len(rkey) == 13 and rkey[0] in "234567abcdefghij"
    assert set(rkey) <= set("234567abcdefghijklmnopqrstuvwxyz")
    # the timestamp part lies in the past (2023 to early 2025): never a future time
    value = 0
    for ch in rkey:
        value = value * 32 + "234567abcdefghijklmnopqrstuvwxyz".index(ch)
    moment = datetime.fromtimestamp((value >> 10) / 1_000_000, tz=UTC)
    assert datetime(2023, 1, 1, tzinfo=UTC) <= moment < datetime(2025, 4, 1, tzinfo=UTC)


# ---- configuration and import cost ------------------------------------------------------------
def test_modules_and_check_config_do_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "from socialwatch.sources import source_class\n"
        "from socialwatch.responders import responder_class\n"
        "cls = source_class('bluesky')\n"
        "cls.check_config('b', {'type': 'bluesky', 'handle': 'acme.bsky.social', 'app_password': '$P'})\n"
        "responder_class('bluesky').check_config('b', {'type': 'bluesky', 'handle': 'acme.bsky.social'})\n"
        "leaked = [m for m in ('atproto', 'atproto_client', 'httpx', 'pydantic') if m in sys.modules]\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=HERE.parent)


def test_registered_and_config_checked() -> None:
    assert source_class("bluesky") is BlueskySource
    assert responder_class("bluesky") is BlueskyResponder
    good = {"type": "bluesky", "handle": "acme.bsky.social", "app_password": "$BSKY"}
    BlueskySource.check_config("b", good)
    bad = [
        ({"handle": "not a handle"}, "handle"),
        ({"service": "bsky.social"}, "service"),
        ({"max_pages": 0}, "max_pages"),
        ({"limit": 101}, "limit"),
        ({"search": "  "}, "search"),
        ({"notifications": False}, "notifications"),
        ({"notifications": "yes"}, "notifications"),
    ]
    for change, key in bad:
        with pytest.raises(ConfigError, match=f"sources.b.{key}"):
            BlueskySource.check_config("b", {**good, **change})
    with pytest.raises(ConfigError, match="app_password"):
        BlueskySource.check_config("b", {"type": "bluesky", "handle": "acme.bsky.social"})
    with pytest.raises(ConfigError, match="responders.r.langs"):
        BlueskyResponder.check_config("r", {"type": "bluesky", "langs": [""]})


# ---- session -------------------------------------------------------------------------------------
def test_session_is_created_with_the_handle_and_app_password(api, tokens) -> None:
    serve_notifications(api)
    serve_lookups(api)
    run(make_source())
    [login] = calls_to(api, "com.atproto.server.createSession")
    assert body_of(login) == {"identifier": "acme.bsky.social", "password": PASSWORD}
    later = [c for c in api.calls if c is not login]
    assert later and all(bearer(c) == tokens.issued[0] for c in later)
    assert all(PASSWORD not in str(c.request.url) + c.request.content.decode() for c in later)


def test_session_is_reused_by_the_next_poll_and_kept_private_on_disk(api, tokens, tmp_path) -> None:
    serve_notifications(api)
    serve_lookups(api)
    data = tmp_path / "data"
    run(make_source(extra={"data_dir": str(data)}))
    [cache] = list((data / "sessions").iterdir())
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600 and stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    run(make_source(extra={"data_dir": str(data)}))  # same process: the in-memory cache
    forget_sessions()
    run(make_source(extra={"data_dir": str(data)}))  # another process: the file
    assert len(calls_to(api, "com.atproto.server.createSession")) == 1


def test_requests_follow_the_pds_named_in_the_session(api, tokens) -> None:
    pds = "https://morel.us-east.host.bsky.network"
    with_doc = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": BRAND,
        "alsoKnownAs": ["at://acme.bsky.social"],
        "verificationMethod": [],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": pds}],
    }
    api.routes["login"].mock(
        side_effect=lambda request: reply(200, {**tokens.session("create_session.json"), "didDoc": with_doc})
    )
    on_pds = api.get(f"{pds}/xrpc/app.bsky.notification.listNotifications").mock(
        return_value=reply(200, {"notifications": []})
    )
    run(make_source())
    assert len(on_pds.calls) == 1 and bearer(on_pds.calls[0]) == tokens.issued[0]


def test_expired_session_is_refreshed_once_and_the_request_repeated(api, tokens) -> None:
    serve_lookups(api)
    page = fixture("list_notifications_page1.json")
    page.pop("cursor")
    answers = iter([error(400, "error_expired_token.json"), reply(200, page)])
    api.get("/app.bsky.notification.listNotifications").mock(side_effect=lambda request: next(answers))
    batches = run(make_source())
    assert len(mentions_of(batches)) == 3
    assert len(calls_to(api, "com.atproto.server.refreshSession")) == 1
    [refresh] = calls_to(api, "com.atproto.server.refreshSession")
    assert bearer(refresh) == tokens.issued[1]  # the refresh token
    first, second = calls_to(api, "app.bsky.notification.listNotifications")
    assert bearer(first) == tokens.issued[0] and bearer(second) == tokens.issued[2]  # the new access token
    assert sum(b.calls for b in batches) == len(api.calls)


def test_access_token_about_to_expire_is_refreshed_before_the_request(api, tokens) -> None:
    api.routes["login"].mock(side_effect=lambda request: reply(200, tokens.session("create_session.json", 60)))
    serve_notifications(api)
    serve_lookups(api)
    run(make_source())
    assert len(calls_to(api, "com.atproto.server.refreshSession")) == 1  # the SDK's own refresh (exp within 15 min)


def test_refused_session_after_renewal_is_auth_error(api, tokens) -> None:
    api.get("/app.bsky.notification.listNotifications").mock(return_value=error(401, "error_login_refused.json"))
    api.routes["refresh"].mock(return_value=error(400, "error_revoked_token.json"))
    source = make_source()
    with pytest.raises(AuthError) as caught:
        run(source)
    # refresh refused -> a new login -> the request again -> refused again: stop
    assert len(calls_to(api, "com.atproto.server.createSession")) == 2
    assert len(calls_to(api, "app.bsky.notification.listNotifications")) == 2
    assert "app_password" in str(caught.value) and "401" in str(caught.value)
    no_secret(str(caught.value), tokens)


def test_login_refused_is_auth_error_without_the_password(api, tokens) -> None:
    api.routes["login"].mock(return_value=error(401, "error_login_refused.json"))
    with pytest.raises(AuthError) as caught:
        run(make_source())
    message = str(caught.value)
    assert "@acme.bsky.social" in message and "AuthenticationRequired" in message and "app_password" in message
    no_secret(message, tokens)
    assert not calls_to(api, "app.bsky.notification.listNotifications")


def test_missing_password_is_reported_before_any_request(api) -> None:
    source = make_source()
    source._password = "$BSKY_APP_PASSWORD"
    with pytest.raises(AuthError, match="app_password"):
        run(source)
    assert not api.calls


# ---- notifications -------------------------------------------------------------------------------
def test_notifications_are_mapped_and_paged(api, tokens) -> None:
    route = serve_notifications(api)
    serve_lookups(api)
    batches = run(make_source())
    first, second = route.calls
    assert first.request.url.params.get_list("reasons") == ["mention", "reply", "quote"]
    assert first.request.url.params["limit"] == "50" and "cursor" not in first.request.url.params
    assert second.request.url.params["cursor"] == "2026-03-02T11:30:01.000Z"
    assert len(route.calls) == 2  # page 2 reaches items older than the look-back: no page 3
    assert [b.cursor is None for b in batches] == [True, False]
    by_id = {m["id"]: m for m in mentions_of(batches)}
    assert list(by_id) == [mention_id(N1), mention_id(N2), mention_id(N3)]  # the like is not a mention

    dana = by_id[mention_id(N1)]
    assert dana["kind"] == "mention" and dana["platform"] == "bluesky" and dana["source"] == "bsky"
    assert dana["native_id"] == "y6wx36oiyvfvlhf7igd7ilt7.3mg36rugym22b"
    assert dana["author"] == {
        "handle": "dana-q.bsky.social",
        "name": "Dana Quinn",
        "id": DANA,
        "followers": 312,
        "verified": None,
    }
    assert dana["text"].startswith("@acme.bsky.social my order #4411")
    assert dana["url"] == "https://bsky.app/profile/dana-q.bsky.social/post/3mg36rugym22b"
    assert dana["created_at"] == "2026-03-02T11:49:58Z" and dana["lang"] == "en"
    assert dana["conversation_id"] == dana["id"] and dana["in_reply_to"] is None
    assert dana["metrics"] == {"likes": 3, "reposts": 1, "replies": 2, "quotes": 0}

    eli = by_id[mention_id(N2)]
    assert eli["kind"] == "reply" and eli["author"]["followers"] == 15400
    assert eli["conversation_id"] == mention_id(BRAND_ROOT) and eli["in_reply_to"] == mention_id(BRAND_REPLY)
    assert eli["metrics"] == {"likes": 12, "reposts": 4, "replies": 1, "quotes": 1}
    fay = by_id[mention_id(N3)]
    assert fay["kind"] == "mention" and fay["lang"] is None and fay["author"]["name"] == "Fay ✨"

    # the deleted post and the notification without a record are skipped with a reason
    skipped = [s for b in batches for s in b.skipped]
    assert len(skipped) == 2
    assert any(native_id(N5) in s and "deleted or not visible" in s for s in skipped)
    assert any(native_id(N6) in s and "record is gone" in s for s in skipped)
    entry = batches[-1].cursor["notifications"]
    assert entry["indexed_at"] == "2026-03-02T11:50:00.512000Z"
    assert [u for _, u in entry["recent"]] == [N1]  # the posts within OVERLAP of the newest
    assert sum(b.calls for b in batches) == len(api.calls) and batches[-1].rate_limit_remaining == 2990


def test_first_poll_reaches_back_the_lookback_only(api) -> None:
    route = serve_notifications(api)
    serve_lookups(api)
    batches = run(make_source(lookback=25 * 60))  # 11:35: only n1 and n2 are inside
    assert len(route.calls) == 1
    assert [m["id"] for m in mentions_of(batches)] == [mention_id(N1), mention_id(N2)]
    assert batches[-1].cursor["notifications"]["indexed_at"] == "2026-03-02T11:50:00.512000Z"


def test_quiet_first_poll_keeps_the_lookback_edge(api) -> None:
    serve_notifications(api, {None: {"notifications": []}})
    batches = run(make_source())
    assert mentions_of(batches) == []
    assert batches[-1].cursor["notifications"]["indexed_at"] == "2026-03-01T12:00:00.000000Z"


def test_second_poll_resumes_from_the_stored_position(api) -> None:
    serve_notifications(api)
    serve_lookups(api)
    first = run(make_source())
    cursor = first[-1].cursor
    newer = copy.deepcopy(fixture("list_notifications_page1.json")["notifications"][0])
    newer["uri"] = f"at://{DANA}/app.bsky.feed.post/3mg37dwdek22b"
    newer["record"]["text"] = "@acme.bsky.social hello again?"
    newer["record"]["createdAt"] = "2026-03-02T12:04:00.000Z"
    newer["indexedAt"] = "2026-03-02T12:04:00.300Z"
    late = copy.deepcopy(newer)  # indexed late, within OVERLAP before the stored position: still new
    late["uri"] = f"at://{DANA}/app.bsky.feed.post/3mg36pcmmc22b"
    late["indexedAt"] = "2026-03-02T11:48:00.000Z"
    page = fixture("list_notifications_page1.json")
    page["notifications"] = [newer, page["notifications"][0], late, *page["notifications"][1:]]
    api.routes["notifications"].mock(side_effect=lambda request: reply(200, page))
    api.routes["posts"].mock(
        side_effect=lambda request: reply(
            200,
            {
                "posts": [
                    {**fixture("get_posts.json")["posts"][0], "uri": u} for u in request.url.params.get_list("uris")
                ]
            },
        )
    )
    before = len(api.calls)
    second = run(make_source(cursor=cursor, now=NOW + timedelta(minutes=5)))
    assert [m["id"] for m in mentions_of(second)] == [mention_id(newer["uri"]), mention_id(late["uri"])]
    listing = [c for c in api.calls[before:] if c.request.url.path.endswith("listNotifications")]
    assert len(listing) == 1  # n2 (11:40) is older than the position minus OVERLAP: the walk stops there
    entry = second[-1].cursor["notifications"]
    assert entry["indexed_at"] == "2026-03-02T12:04:00.300000Z"
    assert not [c for c in api.calls[before:] if c.request.url.path.endswith("createSession")]  # session reused


def test_backfill_after_downtime_pages_until_the_stored_position(api) -> None:
    serve_lookups(api)
    stored = {"notifications": {"indexed_at": "2026-03-02T11:00:00.000000Z", "recent": []}}
    pages = {
        None: fixture("list_notifications_page1.json"),
        "2026-03-02T11:30:01.000Z": fixture("list_notifications_page2.json"),
    }
    route = serve_notifications(api, pages)
    batches = run(make_source(cursor=stored, now=NOW + timedelta(days=3)))  # three days down
    assert len(route.calls) == 2
    assert len(mentions_of(batches)) == 3 and batches[-1].gap is None


def test_page_limit_leaves_a_hole_that_the_next_poll_reads(api) -> None:
    serve_lookups(api)
    route = serve_notifications(api)
    batches = run(make_source({"max_pages": 1}, lookback=7 * 86400))
    assert len(route.calls) == 1 and len(mentions_of(batches)) == 3
    entry = batches[-1].cursor["notifications"]
    assert entry["holes"] == [
        {"cursor": "2026-03-02T11:30:01.000Z", "indexed_at": "2026-02-23T12:00:00.000000Z", "recent": []}
    ]
    assert "max_pages" in batches[-1].gap and "next polls" in batches[-1].gap
    # next poll: nothing new on top, then the hole from its cursor: page 2 (n5 deleted, n6 gone, n7 old but in range)
    again = run(make_source({"max_pages": 1}, cursor=batches[-1].cursor, now=NOW + timedelta(minutes=5)))
    cursors = [c.request.url.params.get("cursor") for c in route.calls[1:]]
    assert cursors == [None, "2026-03-02T11:30:01.000Z"]
    assert [m["id"] for m in mentions_of(again)] == [mention_id("at://" + ELI + "/app.bsky.feed.post/3mfvue3tl222b")]
    assert again[-1].cursor["notifications"]["holes"][0]["cursor"] == "2026-02-28T09:00:00.300Z"  # moved on
    third = run(make_source({"max_pages": 1}, cursor=again[-1].cursor, now=NOW + timedelta(minutes=10)))
    assert mentions_of(third) == [] and third[-1].gap is None
    assert "holes" not in third[-1].cursor["notifications"]  # the stretch is read to its end


def test_since_forces_a_backfill_over_a_stored_position(api) -> None:
    serve_lookups(api)
    route = serve_notifications(api)
    stored = {
        "notifications": {"indexed_at": "2026-03-02T11:50:00.512000Z", "recent": [["2026-03-02T11:50:00.512000Z", N1]]}
    }
    batches = run(make_source(cursor=stored, since=NOW - timedelta(minutes=45)))  # back to 11:15
    assert len(route.calls) == 2  # page 2 reaches 11:10
    assert [m["id"] for m in mentions_of(batches)] == [mention_id(N2), mention_id(N3)]  # N1 was seen; N5 deleted
    assert batches[-1].cursor["notifications"]["indexed_at"] == "2026-03-02T11:50:00.512000Z"


# ---- search --------------------------------------------------------------------------------------
def test_search_latest_leaves_out_own_excluded_and_blocked_posts(api) -> None:
    serve_lookups(api)
    route = api.get("/app.bsky.feed.searchPosts").mock(return_value=reply(200, fixture("search_posts.json")))
    batches = run(make_source({"notifications": False, "search": "acme"}))
    params = route.calls[0].request.url.params
    assert params["q"] == "acme" and params["sort"] == "latest" and params["since"] == "2026-03-01T12:00:00.000000Z"
    [hal] = mentions_of(batches)
    assert hal["id"] == mention_id(S1) and hal["kind"] == "search"
    assert hal["metrics"] == {"likes": 5, "reposts": 0, "replies": 3, "quotes": 0}
    assert hal["author"]["handle"] == "hal.bsky.social" and hal["author"]["followers"] is None  # not in getProfiles
    [skipped] = [s for b in batches for s in b.skipped]
    assert "blocked" in skipped
    assert not calls_to(api, "app.bsky.feed.getPosts")  # search results carry their counts
    assert batches[-1].cursor["search"]["query"] == "acme"
    # another query starts afresh (the look-back), not from the old position
    run(make_source({"notifications": False, "search": "acme OR northwind"}, cursor=batches[-1].cursor))
    assert route.calls[1].request.url.params["since"] == "2026-03-01T12:00:00.000000Z"
    run(make_source({"notifications": False, "search": "acme"}, cursor=batches[-1].cursor))
    since = datetime.fromisoformat(route.calls[2].request.url.params["since"].replace("Z", "+00:00"))
    assert since == datetime(2026, 3, 2, 11, 55, 0, 700000, tzinfo=UTC) - OVERLAP


def test_both_streams_each_end_with_the_whole_cursor(api) -> None:
    serve_lookups(api)
    serve_notifications(api)
    api.get("/app.bsky.feed.searchPosts").mock(return_value=reply(200, fixture("search_posts.json")))
    batches = run(make_source({"search": "acme"}))
    with_cursor = [b.cursor for b in batches if b.cursor is not None]
    assert len(with_cursor) == 2
    assert set(with_cursor[0]) == {"notifications"} and set(with_cursor[1]) == {"notifications", "search"}


# ---- errors --------------------------------------------------------------------------------------
def test_rate_limit_429_with_reset_header(api, tokens) -> None:
    reset = int(NOW.timestamp()) + 240
    api.get("/app.bsky.notification.listNotifications").mock(
        return_value=error(429, "error_rate_limit.json", {"ratelimit-remaining": "0", "ratelimit-reset": str(reset)})
    )
    source = make_source()
    with pytest.raises(RateLimited) as caught:
        run(source)
    assert caught.value.reset_at == datetime.fromtimestamp(reset, tz=UTC)
    assert "12:04 UTC" in str(caught.value) and source.sleeps == []
    no_secret(str(caught.value), tokens)


def test_daemon_waits_out_a_short_rate_limit(api) -> None:
    serve_lookups(api)
    reset = int(NOW.timestamp()) + 20
    answers = iter(
        [
            error(429, "error_rate_limit.json", {"ratelimit-remaining": "0", "ratelimit-reset": str(reset)}),
            reply(200, {"notifications": []}),
        ]
    )
    api.get("/app.bsky.notification.listNotifications").mock(side_effect=lambda request: next(answers))
    source = make_source(one_shot=False)
    run(source)
    assert source.sleeps == [21.0]


def test_login_rate_limit_names_the_login_limits(api) -> None:
    api.routes["login"].mock(return_value=error(429, "error_rate_limit.json", {"ratelimit-reset": "1772452800"}))
    with pytest.raises(RateLimited, match="logins are limited"):
        run(make_source())


def test_5xx_is_retried_with_backoff_then_transient(api, tokens) -> None:
    api.get("/app.bsky.notification.listNotifications").mock(return_value=error(503, "error_internal.json"))
    source = make_source({"retries": 2})
    with pytest.raises(TransientError) as caught:
        batches = []
        try:
            for batch in source.fetch():
                batches.append(batch)
        finally:
            source.close()
    assert len(calls_to(api, "app.bsky.notification.listNotifications")) == 3
    assert source.sleeps == [1.0, 2.0]
    assert "503 InternalServerError" in str(caught.value) and "gave up after 3 attempts" in str(caught.value)
    assert sum(b.calls for b in batches) == 4  # the login and three attempts are accounted for
    no_secret(str(caught.value), tokens)


def test_timeouts_and_502_recover_on_retry(api) -> None:
    serve_lookups(api)
    answers = iter([httpx.ReadTimeout("slow"), error(502, "error_upstream.json"), reply(200, {"notifications": []})])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    api.get("/app.bsky.notification.listNotifications").mock(side_effect=handler)
    source = make_source()
    batches = run(source)
    assert source.sleeps == [1.0, 2.0] and batches[-1].cursor is not None


def test_403_is_not_entitled(api, tokens) -> None:
    api.get("/app.bsky.notification.listNotifications").mock(return_value=error(403, "error_forbidden.json"))
    with pytest.raises(NotEntitled) as caught:
        run(make_source())
    assert "403 AccountTakedown" in str(caught.value)
    assert len(calls_to(api, "app.bsky.notification.listNotifications")) == 1  # not retried


def test_one_stream_failing_does_not_stop_the_other(api) -> None:
    serve_lookups(api)
    serve_notifications(api)
    api.get("/app.bsky.feed.searchPosts").mock(return_value=error(400, "error_invalid_request.json"))
    source = make_source({"search": "acme"})
    batches = []
    with pytest.raises(SourceError, match="rejected post search") as caught:
        for batch in source.fetch():
            batches.append(batch)
    assert not isinstance(caught.value, TransientError | AuthError)
    assert len(mentions_of(batches)) == 3
    assert [set(b.cursor) for b in batches if b.cursor is not None] == [{"notifications"}]  # search's stays unmoved


def test_malformed_items_are_skipped_not_fatal(api) -> None:
    serve_lookups(api)
    page = fixture("list_notifications_page1.json")
    page.pop("cursor")
    page["notifications"][0]["record"]["createdAt"] = "not a time"
    page["notifications"].insert(1, {"uri": "at://nope", "reason": "mention", "indexedAt": "2026-03-02T11:49:00Z"})
    page["notifications"].insert(1, "garbage")
    serve_notifications(api, {None: page})
    batches = run(make_source())
    dana = mentions_of(batches)[0]
    assert dana["created_at"] == "2026-03-02T11:50:00Z"  # fell back to indexedAt
    assert len(mentions_of(batches)) == 3
    assert any("usable uri" in s for b in batches for s in b.skipped)


# ---- test() ---------------------------------------------------------------------------------------
def test_source_test_logs_in_and_reads_one_item(api, tokens) -> None:
    route = serve_notifications(api)
    source = make_source({"search": "acme"})
    lines = source.test()
    source.close()
    assert route.calls[0].request.url.params["limit"] == "1" and len(api.calls) == 2
    assert lines[0] == f"credentials accepted: logged in as @acme.bsky.social ({BRAND}) on {SERVICE}"
    assert lines[1].startswith("notifications: ok") and lines[2] == "will read: notifications, search"


def test_source_test_reports_refused_credentials(api, tokens) -> None:
    api.routes["login"].mock(return_value=error(401, "error_login_refused.json"))
    with pytest.raises(AuthError) as caught:
        make_source().test()
    no_secret(str(caught.value), tokens)


# ---- poller ----------------------------------------------------------------------------------------
SOURCE_CONFIG = """
[sources.bsky]
type = "bluesky"
handle = "acme.bsky.social"
app_password = "$BSKY_APP_PASSWORD"
responder = "bsky_reply"

[responders.bsky_reply]
type = "bluesky"
handle = "acme.bsky.social"
app_password = "$BSKY_APP_PASSWORD"
"""


@pytest.fixture
def bsky_home(isolated_home: pathlib.Path, monkeypatch) -> pathlib.Path:
    assert sw("init")[0] == 0
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text() + SOURCE_CONFIG)
    monkeypatch.setenv("BSKY_APP_PASSWORD", PASSWORD)
    monkeypatch.setattr(model, "utcnow", lambda: NOW)
    return isolated_home


def test_poller_stores_mentions_then_the_cursor(bsky_home: pathlib.Path, api, tokens) -> None:
    from socialwatch.poller import poll_source

    serve_notifications(api)
    serve_lookups(api)
    app = App()
    report = poll_source(app, "bsky")
    assert report.error is None and report.new == 3 and len(report.skipped) == 2
    assert report.calls == len(api.calls)
    state = app.store.source_states()["bsky"]
    assert state["cursor"]["notifications"]["indexed_at"] == "2026-03-02T11:50:00.512000Z"
    again = poll_source(App(), "bsky")
    assert again.error is None and again.new == 0
    stored = App().store.get(mention_id(N2))
    assert stored["conversation_id"] == mention_id(BRAND_ROOT)
    shown = json.dumps(state) + json.dumps(report.as_dict())
    no_secret(shown, tokens)


# ---- responder: public replies -----------------------------------------------------------------------
def make_responder(tmp_path: pathlib.Path, config: dict | None = None) -> BlueskyResponder:
    table = {"type": "bluesky", "handle": "acme.bsky.social", "app_password": PASSWORD, **(config or {})}
    BlueskyResponder.check_config("bsky_reply", table)
    ctx = ResponderContext(name="bsky_reply", brand={}, config_dir=str(tmp_path), data_dir=str(tmp_path / "data"))
    responder = BlueskyResponder("bsky_reply", table, ctx)
    responder._now = lambda: NOW
    responder._time = NOW.timestamp
    return responder


def stored_mention(uri: str = N1, **over: object) -> dict:
    record = {"id": mention_id(uri), "text": "help", "author": {"handle": "dana-q.bsky.social", "id": DANA}}
    return {**model.normalize(record, platform="bluesky", source="bsky", now=NOW), **over}


def serve_create(api: respx.MockRouter, *answers: httpx.Response | Exception) -> respx.Route:
    """createRecord: the given answers in turn (default: created, with the rkey the client chose)."""
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        if queue:
            answer = queue.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        created = fixture("create_record.json")
        created["uri"] = created["uri"].replace("RKEY", json.loads(request.content)["rkey"])
        return reply(200, created)

    return api.post("/com.atproto.repo.createRecord", name="create").mock(side_effect=handler)


def serve_get_record(api: respx.MockRouter, found: bool, text: str = "hello", parent: str = N1) -> respx.Route:
    def handler(request: httpx.Request) -> httpx.Response:
        if not found:
            return error(400, "error_record_not_found.json")
        body = fixture("get_record.json")
        body["uri"] = body["uri"].replace("RKEY", request.url.params["rkey"])
        body["value"]["text"] = text
        body["value"]["reply"]["parent"]["uri"] = parent
        return reply(200, body)

    return api.get("/com.atproto.repo.getRecord", name="get_record").mock(side_effect=handler)


KEY = "0123456789abcdef0123456789abcdef"


def test_public_reply_to_a_top_level_post(api, tmp_path) -> None:
    serve_lookups(api)
    create = serve_create(api)
    responder = make_responder(tmp_path, {"langs": ["en"]})
    text = "@dana-q.bsky.social sorry! Tracking: https://status.acme.example/o/4411 #support"
    result = responder.post_public(stored_mention(), text, KEY)
    responder.close()
    sent = body_of(create.calls[0])
    assert sent["repo"] == BRAND and sent["collection"] == "app.bsky.feed.post" and sent["validate"] is True
    assert sent["rkey"] == record_key(KEY)
    record = sent["record"]
    assert record["$type"] == "app.bsky.feed.post" and record["text"] == text and record["langs"] == ["en"]
    assert record["createdAt"] == "2026-03-02T12:00:00.000Z"
    n1_cid = fixture("get_posts.json")["posts"][0]["cid"]
    ref = {"uri": N1, "cid": n1_cid}
    assert {k: record["reply"][k]["uri"] for k in ("root", "parent")} == {"root": N1, "parent": N1}
    assert record["reply"]["root"]["cid"] == ref["cid"] == record["reply"]["parent"]["cid"]
    kinds = sorted(f["features"][0]["$type"].rsplit("#", 1)[1] for f in record["facets"])
    assert kinds == ["link", "mention", "tag"]
    mention_facet = next(f for f in record["facets"] if f["features"][0]["$type"].endswith("#mention"))
    assert mention_facet["features"][0]["did"] == DANA and mention_facet["index"] == {
        "byteStart": 0,
        "byteEnd": 19,
        "$type": "app.bsky.richtext.facet#byteSlice",
    }
    uri = f"at://{BRAND}/app.bsky.feed.post/{record_key(KEY)}"
    assert result == SendResult(reply_id=uri, url=f"https://bsky.app/profile/acme.bsky.social/post/{record_key(KEY)}")


def test_public_reply_in_a_thread_keeps_its_root(api, tmp_path) -> None:
    serve_lookups(api)
    create = serve_create(api)
    responder = make_responder(tmp_path)
    responder.post_public(stored_mention(N2), "We are on it, Eli", KEY)
    refs = body_of(create.calls[0])["record"]["reply"]
    eli = next(v for v in fixture("get_posts.json")["posts"] if v["uri"] == N2)
    assert refs["root"]["uri"] == BRAND_ROOT and refs["root"]["cid"] == eli["record"]["reply"]["root"]["cid"]
    assert refs["parent"]["uri"] == N2 and refs["parent"]["cid"] == eli["cid"]
    assert "facets" not in body_of(create.calls[0])["record"]


def test_reply_over_300_graphemes_is_refused_before_any_request(api, tmp_path) -> None:
    responder = make_responder(tmp_path)
    fits = "é" * 300  # 300 graphemes (600 bytes) fit
    serve_lookups(api)
    serve_create(api)
    responder.post_public(stored_mention(), fits, KEY)
    before = len(api.calls)
    with pytest.raises(ReplyFailed, match=r"1 graphemes over the bluesky limit \(301/300\)"):
        responder.post_public(stored_mention(), "a" * 301, KEY)
    with pytest.raises(ReplyFailed, match="graphemes over"):
        responder.post_public(stored_mention(), "👍🏽" * 301, KEY)
    assert len(api.calls) == before


def test_unknown_outcome_is_found_by_get_record_and_a_retry_posts_nothing_new(api, tmp_path, tokens) -> None:
    serve_lookups(api)
    create = serve_create(api, error(503, "error_internal.json"), error(500, "error_internal.json"))
    lookup = serve_get_record(api, found=False)
    responder = make_responder(tmp_path)
    with pytest.raises(OutcomeUnknown) as caught:
        responder.post_public(stored_mention(), "hello", KEY)
    assert "503" in str(caught.value) and "reconcile" in str(caught.value)
    no_secret(str(caught.value), tokens)
    # the PDS wrote it after all: reconcile finds it by its record key
    serve_get_record(api, found=True)
    record = {"idempotency_key": KEY, "visibility": "public", "text": "hello", "created_at": "2026-03-02T11:58:00Z"}
    found = responder.find_reply(stored_mention(), record)
    uri = f"at://{BRAND}/app.bsky.feed.post/{record_key(KEY)}"
    assert found is not None and found.reply_id == uri
    assert lookup.calls[-1].request.url.params["rkey"] == record_key(KEY)
    # a retry with the same key: the PDS refuses a second record with that key (500 today), the existing one is returned
    again = responder.post_public(stored_mention(), "hello", KEY)
    assert again.reply_id == uri and again.confirmed
    assert [body_of(c)["rkey"] for c in create.calls] == [record_key(KEY)] * 2
    responder.close()


def test_unknown_outcome_of_a_timeout_and_not_found(api, tmp_path) -> None:
    serve_lookups(api)
    serve_create(api, httpx.ReadTimeout("slow"))
    serve_get_record(api, found=False)
    responder = make_responder(tmp_path)
    with pytest.raises(OutcomeUnknown, match="time-out"):
        responder.post_public(stored_mention(), "hello", KEY)
    record = {"idempotency_key": KEY, "visibility": "public", "text": "hello"}
    assert responder.find_reply(stored_mention(), record) is None


def test_refusals_are_reply_failed(api, tmp_path, tokens) -> None:
    serve_lookups(api)
    serve_get_record(api, found=False)
    responder = make_responder(tmp_path)
    serve_create(api, error(400, "error_invalid_request.json"))
    with pytest.raises(ReplyFailed, match="400 InvalidRequest"):
        responder.post_public(stored_mention(), "hello", KEY)
    reset = int(NOW.timestamp()) + 90
    serve_create(api, error(429, "error_rate_limit.json", {"ratelimit-reset": str(reset)}))
    with pytest.raises(ReplyFailed) as caught:
        responder.post_public(stored_mention(), "hello", KEY)
    assert caught.value.retry_after == 90 and "12:01 UTC" in str(caught.value)
    # the post was deleted: getPosts leaves it out
    with pytest.raises(ReplyFailed, match="deleted or is not visible"):
        responder.post_public(stored_mention(N5), "hello", KEY)
    # a connection that never opened: certainly not sent
    serve_create(api, httpx.ConnectError("refused"))
    with pytest.raises(ReplyFailed, match="connection failed"):
        responder.post_public(stored_mention(), "hello", KEY)
    # replies limited by the author (threadgate)
    gated = copy.deepcopy(fixture("get_posts.json")["posts"][0])
    gated["viewer"]["replyDisabled"] = True
    api.routes["posts"].mock(return_value=reply(200, {"posts": [gated]}))
    with pytest.raises(ReplyFailed, match="limits who can reply"):
        responder.post_public(stored_mention(), "hello", KEY)


def test_responder_login_refused_and_missing_password(api, tmp_path, tokens) -> None:
    api.routes["login"].mock(return_value=error(401, "error_login_refused.json"))
    responder = make_responder(tmp_path)
    with pytest.raises(ReplyFailed) as caught:
        responder.post_public(stored_mention(), "hello", KEY)
    assert "app_password" in str(caught.value)
    no_secret(str(caught.value), tokens)
    bare = make_responder(tmp_path, {"app_password": "$BSKY_APP_PASSWORD"})
    with pytest.raises(ReplyFailed, match="set `app_password`"):
        bare.post_public(stored_mention(), "hello", KEY)
    with pytest.raises(ReplyFailed, match="twitter mention"):
        make_responder(tmp_path).post_public({**stored_mention(), "platform": "twitter"}, "hi", KEY)


# ---- responder: chat ---------------------------------------------------------------------------------
def serve_chat(api: respx.MockRouter, availability: str = "chat_get_convo_availability.json") -> respx.Route:
    api.get("/chat.bsky.convo.getConvoAvailability", name="availability").mock(
        return_value=reply(200, fixture(availability))
    )
    api.get("/chat.bsky.convo.getConvoForMembers", name="convo").mock(
        return_value=reply(200, fixture("chat_get_convo_for_members.json"))
    )

    def send(request: httpx.Request) -> httpx.Response:
        body = fixture("chat_send_message.json")
        body["text"] = json.loads(request.content)["message"]["text"]
        return reply(200, body)

    return api.post("/chat.bsky.convo.sendMessage", name="send").mock(side_effect=send)


def test_private_reply_through_bluesky_chat(api, tmp_path) -> None:
    send = serve_chat(api)
    responder = make_responder(tmp_path)
    result = responder.post_private(stored_mention(), "Hi Dana, can you send me your order number?", KEY)
    [availability] = calls_to(api, "chat.bsky.convo.getConvoAvailability")
    assert availability.request.url.params.get_list("members") == [DANA]
    assert availability.request.headers["atproto-proxy"] == "did:web:api.bsky.chat#bsky_chat"
    assert send.calls[0].request.headers["atproto-proxy"] == "did:web:api.bsky.chat#bsky_chat"
    assert body_of(send.calls[0]) == {
        "convoId": "3ksrqt7eebs2b",
        "message": {
            "text": "Hi Dana, can you send me your order number?",
            "$type": "chat.bsky.convo.defs#messageInput",
        },
    }
    assert result == SendResult(reply_id="3ksrqv4m5sh2c", url="https://bsky.app/messages/3ksrqt7eebs2b")
    assert not calls_to(api, "chat.bsky.convo.getConvoForMembers")  # the availability answer carried the convo


def test_private_reply_not_allowed_by_the_authors_settings(api, tmp_path, tokens) -> None:
    send = serve_chat(api, "chat_get_convo_availability_denied.json")
    responder = make_responder(tmp_path)
    with pytest.raises(ReplyFailed, match="@dana-q.bsky.social does not accept chat messages"):
        responder.post_private(stored_mention(), "Hi Dana", KEY)
    assert not send.calls
    # an older chat service without getConvoAvailability: getConvoForMembers refuses
    api.routes["availability"].mock(
        return_value=reply(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})
    )
    api.routes["convo"].mock(return_value=error(400, "error_chat_not_allowed.json"))
    with pytest.raises(ReplyFailed, match="cannot be messaged by the account.*someone they follow"):
        responder.post_private(stored_mention(), "Hi Dana", KEY)
    assert not send.calls


def test_private_reply_with_an_app_password_without_chat_access(api, tmp_path, tokens) -> None:
    serve_chat(api)
    api.routes["availability"].mock(return_value=error(400, "error_bad_token_scope.json"))
    responder = make_responder(tmp_path)
    with pytest.raises(ReplyFailed) as caught:
        responder.post_private(stored_mention(), "Hi Dana", KEY)
    assert "Allow access to your direct messages" in str(caught.value)
    assert not calls_to(api, "com.atproto.server.refreshSession")  # not an expired session
    no_secret(str(caught.value), tokens)


def test_chat_message_with_unknown_outcome_is_found_among_the_messages(api, tmp_path) -> None:
    send = serve_chat(api)
    send.mock(return_value=error(502, "error_upstream.json"))
    text = "Hi Dana, can you send me your order number?"
    messages = fixture("chat_get_messages.json")
    messages["messages"][0]["text"] = text
    api.get("/chat.bsky.convo.getMessages").mock(return_value=reply(200, messages))
    responder = make_responder(tmp_path)
    with pytest.raises(OutcomeUnknown, match="502"):
        responder.post_private(stored_mention(), text, KEY)
    record = {"idempotency_key": KEY, "visibility": "private", "text": text, "created_at": "2026-03-02T11:58:00Z"}
    found = responder.find_reply(stored_mention(), record)
    assert found == SendResult(reply_id="3ksrqv4m5sh2c", url="https://bsky.app/messages/3ksrqt7eebs2b")
    assert responder.find_reply(stored_mention(), {**record, "text": "something else"}) is None


# ---- end to end through the outbox -------------------------------------------------------------------
def test_outbox_unknown_then_reconciled_and_never_posted_twice(bsky_home: pathlib.Path, api, tokens, tmp_path) -> None:
    line = {
        "id": mention_id(N1),
        "text": "@acme.bsky.social my order never arrived",
        "author": {"handle": "dana-q.bsky.social", "id": DANA},
        "created_at": "2026-03-02T11:49:58Z",
    }
    code, _, err = sw("import", str(write_jsonl(tmp_path / "in.jsonl", [line])), "--source", "bsky")
    assert code == 0, err
    serve_lookups(api)
    create = serve_create(api, error(503, "error_internal.json"), error(500, "error_internal.json"))
    serve_get_record(api, found=False)
    app = App()
    text = "@dana-q.bsky.social sorry for the wait, a replacement ships today"
    with pytest.raises(SocialwatchError, match="reconcile"):
        outbox.send(app, mention_id(N1), text)
    [rec] = outbox.records(app)
    assert rec["state"] == "unknown" and "503" in rec["error"]
    with pytest.raises(Conflict, match="already replying"):
        outbox.send(app, mention_id(N1), text)

    serve_get_record(api, found=True, text=text)
    results = outbox.reconcile(app)
    assert [r for _, r in results] == ["sent"]
    [rec] = outbox.records(app)
    assert rec["state"] == "sent" and rec["reply_id"].endswith("/" + record_key(rec["idempotency_key"]))
    assert rec["url"] == f"https://bsky.app/profile/acme.bsky.social/post/{record_key(rec['idempotency_key'])}"
    assert App().store.get(mention_id(N1))["status"] == "pending"
    assert len(create.calls) == 1
    code, _, err = sw("reply", mention_id(N1), "--text", text)
    assert code == 1 and "already replied" in err
    assert len(create.calls) == 1

    shown = app.store.outbox_path.read_text() + app.store.audit_path.read_text() + err + json.dumps(results)
    no_secret(shown, tokens)


def test_outbox_failed_then_retry_returns_the_post_the_pds_already_has(
    bsky_home: pathlib.Path, api, tokens, tmp_path
) -> None:
    line = {"id": mention_id(N1), "text": "where is my order", "author": {"handle": "dana-q.bsky.social", "id": DANA}}
    assert sw("import", str(write_jsonl(tmp_path / "in.jsonl", [line])), "--source", "bsky")[0] == 0
    serve_lookups(api)
    serve_get_record(api, found=False)
    create = serve_create(api, error(400, "error_invalid_request.json"), error(500, "error_internal.json"))
    app = App()
    with pytest.raises(ReplyFailed):
        outbox.send(app, mention_id(N1), "On it!")
    [rec] = outbox.records(app)
    assert rec["state"] == "failed"
    serve_get_record(api, found=True, text="On it!")  # say an earlier attempt with this key had been written
    result = outbox.retry(app, rec["id"])
    assert result.record["state"] == "sent" and result.record["attempts"] == 2
    assert [body_of(c)["rkey"] for c in create.calls] == [record_key(rec["idempotency_key"])] * 2


def test_no_secret_in_logs(api, tokens, caplog, tmp_path) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    serve_notifications(api)
    serve_lookups(api)
    run(make_source())
    serve_create(api)
    make_responder(tmp_path).post_public(stored_mention(), "hello", KEY)
    no_secret(caplog.text, tokens)


def test_a_hashed_id_is_answered_through_its_author_and_url(tmp_path) -> None:
    odd = "at://did:web:localhost%3A2583/app.bsky.feed.post/3mg36rugym22b"
    mention = stored_mention(odd)
    assert mention["native_id"].startswith("x-")
    responder = make_responder(tmp_path)
    with pytest.raises(ReplyFailed, match="no Bluesky post"):
        responder._post_uri(mention)
    mention["author"]["id"] = "did:web:localhost%3A2583"
    mention["url"] = post_url(odd)
    assert responder._post_uri(mention) == odd


def test_cli_sources_test(bsky_home: pathlib.Path, api, tokens) -> None:
    serve_notifications(api)
    code, out, err = sw("sources", "test", "bsky")
    assert code == 0, err
    assert "bsky: credentials accepted: logged in as @acme.bsky.social" in out and "notifications: ok" in out
    api.routes["login"].mock(return_value=error(401, "error_login_refused.json"))
    forget_sessions()
    for cached in (bsky_home / "data" / "sessions").glob("*"):
        cached.unlink()  # the poll kept its session on disk: forget it too, so a login is needed
    code, out, err = sw("sources", "test", "bsky")
    assert code == 1 and "login as @acme.bsky.social was refused" in err
    no_secret(out + err, tokens)
