"""Hostile and malformed platform payloads through each source's real fetch path (issue 10).

`tests/test_hostile.py` covers import, store, rendering, export, templates and logs; this module
covers "each source's mapping": twitter (tweepy over `responses`), reddit (praw over the betamax
replay), bluesky (the atproto SDK over respx) and mastodon (Mastodon.py over `responses`), each
driven the way its own test module drives it, with that module's helpers.

For every source:
- a page whose text, author name, handle and URL fields carry the HOSTILE corpus, plus a 1 MB
  text: the fetch does not raise, each text comes out exactly as sent (Mastodon: the plain text of
  the HTML sent, i.e. HTML whitespace collapsed), the 1 MB text truncated to `model.MAX_TEXT` with
  `truncated: True`, and `views.mention_detail` of every mention is terminal-safe;
- one page per malformation (wrong types, negative or string counts, null ids, missing text,
  deeply nested objects) between two good items: the fetch does not raise, the good items are
  kept, the final cursor advances to the newest item, and the malformed item is either skipped
  with a reason naming the source and the field, or kept with the bad optional field dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from socialwatch import model, views
from socialwatch.sources import Batch
from tests.test_hostile import HOSTILE, assert_terminal_safe

BIG = "A" * 1_000_000
KEYS = list(HOSTILE)


def deep(depth: int = 400) -> dict:
    """A deeply nested JSON object (`{"a": {"a": ...}}`)."""
    value: dict = {"a": "bottom"}
    for _ in range(depth):
        value = {"a": value}
    return value


@dataclass(frozen=True)
class Bad:
    """One malformation: `mutate` changes the raw item in place; `field` must appear in a skip reason;
    `dropped(mention)` says the bad optional field was dropped when the item is kept (None: the field
    is required, so the item must be skipped)."""

    label: str
    mutate: Callable[[dict], None]
    field: str
    dropped: Callable[[dict], bool] | None = None
    xfail: str | None = None


def cases(bads: list[Bad]) -> list:
    return [
        pytest.param(b, id=b.label, marks=[pytest.mark.xfail(strict=True, reason=b.xfail)] if b.xfail else [])
        for b in bads
    ]


def all_mentions(batches: list[Batch]) -> list[dict]:
    return [m for b in batches for m in b.mentions]


def all_skipped(batches: list[Batch]) -> list[str]:
    return [s for b in batches for s in b.skipped]


def final_cursor(batches: list[Batch]) -> dict | None:
    cursors = [b.cursor for b in batches if b.cursor is not None]
    return cursors[-1] if cursors else None


def assert_rendered_safe(mentions: list[dict]) -> None:
    for m in mentions:
        assert_terminal_safe(views.mention_detail(m, []))


def check_hostile_page(batches: list[Batch], ids: dict[str, str], big_id: str, expected: Callable[[str], str]) -> dict:
    """Every hostile item kept with its text intact, the 1 MB text truncated, all rendered safely."""
    by_id = {m["id"]: m for m in all_mentions(batches)}
    assert all_skipped(batches) == []
    for key, mention_id in ids.items():
        m = by_id[mention_id]
        assert m["text"] == expected(HOSTILE[key]), key
        assert not m.get("truncated"), key
    big = by_id[big_id]
    assert big["truncated"] is True and len(big["text"]) == model.MAX_TEXT and big["text"] == BIG[: model.MAX_TEXT]
    assert_rendered_safe(list(by_id.values()))
    return by_id


def check_malformed_page(batches: list[Batch], bad: Bad, *, source: str, good: list[str], bad_id: str | None) -> None:
    """The good items kept, the bad one skipped with its source and field named or kept without the field."""
    by_id = {m["id"]: m for m in all_mentions(batches)}
    skipped = all_skipped(batches)
    for mention_id in good:
        assert mention_id in by_id, (mention_id, skipped)
        assert by_id[mention_id]["text"].startswith("good"), by_id[mention_id]["text"][:40]
    if bad_id is not None and bad_id in by_id:
        assert bad.dropped is not None, f"{bad.label}: kept although {bad.field} is unusable; skipped={skipped}"
        kept = by_id[bad_id]
        assert bad.dropped(kept), (bad.label, kept["author"], kept["lang"], kept["metrics"], kept["url"])
    else:
        named = [s for s in skipped if s.startswith(f"{source}:") and bad.field in s]
        assert named, f"{bad.label}: no skip reason naming {source!r} and {bad.field!r}: {skipped}"
    assert len(by_id) <= len(good) + 1
    assert_rendered_safe(list(by_id.values()))


# =================================================================================================
# twitter: the real tweepy.Client, answered by `responses` (tests/test_twitter_source.py)
# =================================================================================================
from socialwatch.sources.twitter import TwitterSource  # noqa: E402
from tests.replay_vcr import add_json  # noqa: E402
from tests.test_twitter_source import MENTIONS, NOW, brand_config, make, rsps, snowflake_at  # noqa: E402, F401
from tests.test_twitter_source import run as twitter_run  # noqa: E402


def tweet(i: int, text: Any = None, *, name: Any = None, username: Any = None) -> tuple[dict, dict]:
    tid = snowflake_at(NOW - timedelta(minutes=i + 1))
    uid = str(1600000000000000000 + i)
    item = {
        "id": tid,
        "text": f"good tweet {i}" if text is None else text,
        "author_id": uid,
        "created_at": model.iso(NOW - timedelta(minutes=i + 1)),
        "conversation_id": tid,
        "lang": "en",
        "public_metrics": {"like_count": 1, "retweet_count": 2, "reply_count": 3, "quote_count": 4},
    }
    user = {
        "id": uid,
        "username": username or f"user{i}",
        "name": name or f"User {i}",
        "verified": False,
        "public_metrics": {"followers_count": 10},
    }
    return item, user


def tweet_page(pairs: list[tuple[dict, dict]]) -> dict:
    ids = [t.get("id") for t, _ in pairs if isinstance(t.get("id"), str) and t["id"].isdigit()]
    return {
        "data": [t for t, _ in pairs],
        "includes": {"users": [u for _, u in pairs]},
        "meta": {"newest_id": max(ids, key=int), "oldest_id": min(ids, key=int), "result_count": len(pairs)},
    }


def twitter_fetch(rsps, page: dict) -> list[Batch]:  # noqa: F811
    add_json(rsps, "GET", MENTIONS, page)
    source: TwitterSource = make(brand_config())
    batches, error = twitter_run(source)
    assert error is None, error
    return batches


def test_twitter_hostile_page(rsps) -> None:  # noqa: F811
    pairs = [tweet(i, HOSTILE[k], name=HOSTILE[k], username=HOSTILE[k]) for i, k in enumerate(KEYS)]
    pairs.append(tweet(len(KEYS), BIG))
    batches = twitter_fetch(rsps, tweet_page(pairs))
    ids = {k: f"twitter:{pairs[i][0]['id']}" for i, k in enumerate(KEYS)}
    by_id = check_hostile_page(batches, ids, f"twitter:{pairs[-1][0]['id']}", lambda s: s)
    for key, mention_id in ids.items():
        author = by_id[mention_id]["author"]
        assert author["name"] == HOSTILE[key] and author["handle"] == HOSTILE[key].lstrip("@"), key
        assert by_id[mention_id]["url"].startswith("https://x.com/i/web/status/")  # never the hostile username
    assert final_cursor(batches) == {"mentions": {"since_id": pairs[0][0]["id"]}}


def _tw(path: str, value: Any) -> Callable[[dict], None]:
    """Set (or with `...` delete) a field of the raw {"tweet", "user"} pair: "tweet.public_metrics.like_count"."""

    def mutate(raw: dict) -> None:
        *head, last = path.split(".")
        target = raw
        for part in head:
            target = target[part]
        if value is ...:
            target.pop(last, None)
        else:
            target[last] = value

    return mutate


TWITTER_BAD = [
    Bad("text-int", _tw("tweet.text", 12), "text"),
    Bad("text-list", _tw("tweet.text", ["a", "b"]), "text"),
    Bad("text-dict", _tw("tweet.text", {"x": 1}), "text"),
    Bad("text-deep", _tw("tweet.text", deep()), "text"),
    Bad("text-missing", _tw("tweet.text", ...), "text"),
    Bad("text-null", _tw("tweet.text", None), "text"),
    Bad("id-null", _tw("tweet.id", None), "id"),
    Bad("id-dict", _tw("tweet.id", {"$ne": 1}), "id"),
    Bad("id-path", _tw("tweet.id", "../../etc/passwd"), "id"),
    Bad("likes-negative", _tw("tweet.public_metrics.like_count", -3), "metrics.likes",
        lambda m: m["metrics"]["likes"] is None and m["metrics"]["reposts"] == 2),
    Bad("likes-str", _tw("tweet.public_metrics.like_count", "lots"), "metrics.likes",
        lambda m: m["metrics"]["likes"] is None),
    Bad("likes-deep", _tw("tweet.public_metrics.like_count", deep()), "metrics.likes",
        lambda m: m["metrics"]["likes"] is None),
    Bad("metrics-list", _tw("tweet.public_metrics", [1, 2]), "metrics", lambda m: m["metrics"]["likes"] is None),
    Bad("created-dict", _tw("tweet.created_at", {"x": 1}), "created_at", lambda m: m["created_at"].startswith("2026")),
    Bad("created-garbage", _tw("tweet.created_at", "yesterday-ish"), "created_at",
        lambda m: m["created_at"].startswith("2026")),
    Bad("lang-list", _tw("tweet.lang", ["en"]), "lang", lambda m: m["lang"] is None),
    Bad("conversation-dict", _tw("tweet.conversation_id", {"x": 1}), "conversation_id",
        lambda m: m["conversation_id"] is None),
    Bad("followers-negative", _tw("user.public_metrics.followers_count", -1), "followers",
        lambda m: m["author"]["followers"] is None),
    Bad("followers-str", _tw("user.public_metrics.followers_count", "many"), "followers",
        lambda m: m["author"]["followers"] is None),
    Bad("verified-str", _tw("user.verified", "yes"), "verified", lambda m: m["author"]["verified"] is None),
    Bad("name-list", _tw("user.name", ["x"]), "name", lambda m: not isinstance(m["author"]["name"], list)),
    Bad("name-deep", _tw("user.name", deep()), "name", lambda m: m["author"] is None or m["author"]["name"] is None),
    Bad("username-dict", _tw("user.username", {"x": 1}), "handle",
        lambda m: m["author"] is None or m["author"]["handle"] is None),
]


@pytest.mark.parametrize("bad", cases(TWITTER_BAD))
def test_twitter_malformed_item(rsps, bad: Bad) -> None:  # noqa: F811
    newest, middle, oldest = tweet(0), tweet(1), tweet(2)
    bad_id = middle[0]["id"]
    raw = {"tweet": middle[0], "user": middle[1]}
    bad.mutate(raw)
    page = tweet_page([newest, middle, oldest])
    page["meta"]["newest_id"], page["meta"]["oldest_id"] = newest[0]["id"], oldest[0]["id"]
    batches = twitter_fetch(rsps, page)
    good = [f"twitter:{newest[0]['id']}", f"twitter:{oldest[0]['id']}"]
    check_malformed_page(batches, bad, source="x_brand", good=good, bad_id=f"twitter:{bad_id}")
    assert final_cursor(batches) == {"mentions": {"since_id": newest[0]["id"]}}


# =================================================================================================
# reddit: the real praw client over the betamax replay (tests/test_reddit_source.py)
# =================================================================================================
from tests.test_reddit_source import OAUTH, REFRESH, T0, drain, prawcore_sleeps, replay  # noqa: E402, F401
from tests.test_reddit_source import make_source as reddit_source  # noqa: E402

REDDIT_URL = "https://www.reddit.com"


def comment(i: int, body: Any = None, *, author: Any = None, permalink: Any = None) -> dict:
    cid = f"h{i:03d}"
    return {
        "kind": "t1",
        "data": {
            "id": cid,
            "name": f"t1_{cid}",
            "created_utc": T0 - 10 * (i + 1),
            "body": f"good comment {i}" if body is None else body,
            "author": author or f"user{i}",
            "author_fullname": f"t2_u{i:03d}",
            "subreddit": "BrandSupport",
            "link_id": "t3_q1x2y3",
            "parent_id": "t3_q1x2y3",
            "context": f"/r/BrandSupport/comments/q1x2y3/slug/{cid}/?context=3",
            "permalink": permalink or f"/r/BrandSupport/comments/q1x2y3/slug/{cid}/",
            "score": 1,
            "type": "username_mention",
            "new": True,
        },
    }


def reddit_fetch(replay, children: list[dict]) -> list[Batch]:  # noqa: F811
    replay.add_listing(f"{OAUTH}/message/mentions", children)
    batches, error = drain(reddit_source(REFRESH, inbox=["mentions"]))
    assert error is None, error
    return batches


def test_reddit_hostile_page(replay) -> None:  # noqa: F811
    links = {k: f"/r/BrandSupport/comments/q1x2y3/{HOSTILE[k]}/" for k in KEYS}
    children = [comment(i, HOSTILE[k], author=HOSTILE[k], permalink=links[k]) for i, k in enumerate(KEYS)]
    children.append(comment(len(KEYS), BIG))
    batches = reddit_fetch(replay, children)
    ids = {k: f"reddit:t1_h{i:03d}" for i, k in enumerate(KEYS)}
    by_id = check_hostile_page(batches, ids, f"reddit:t1_h{len(KEYS):03d}", lambda s: s)
    for key, mention_id in ids.items():
        m = by_id[mention_id]
        assert m["author"]["handle"] == HOSTILE[key].lstrip("@"), key
        assert m["url"] == (REDDIT_URL + links[key])[: model.MAX_FIELD], key
    assert final_cursor(batches) == {"mentions": {"newest": "t1_h000", "created_utc": T0 - 10}}


def _rd(field: str, value: Any) -> Callable[[dict], None]:
    def mutate(child: dict) -> None:
        if value is ...:
            child["data"].pop(field, None)
        else:
            child["data"][field] = value

    return mutate


REDDIT_BAD = [
    Bad("body-int", _rd("body", 12), "text"),
    Bad("body-list", _rd("body", ["a"]), "text"),
    Bad("body-deep", _rd("body", deep()), "text"),
    Bad("body-missing", _rd("body", ...), "text"),
    Bad("name-null", _rd("name", None), "name"),
    Bad("name-dict", _rd("name", {"$ne": 1}), "name"),
    Bad("created-str", _rd("created_utc", "yesterday"), "created_utc"),
    Bad("created-deep", _rd("created_utc", deep()), "created_utc"),
    Bad("author-list", _rd("author", ["a"]), "author"),
    Bad("author-int", _rd("author", 42), "author", lambda m: m["author"]["handle"] is None),
    Bad("author-deep", _rd("author", deep()), "author", lambda m: m["author"]["handle"] is None),
    Bad("score-str", _rd("score", "lots"), "metrics.likes", lambda m: m["metrics"]["likes"] is None),
    Bad("score-negative", _rd("score", -3), "metrics.likes", lambda m: m["metrics"]["likes"] in (None, 0)),
    Bad("score-deep", _rd("score", deep()), "metrics.likes", lambda m: m["metrics"]["likes"] is None),
    Bad("permalink-list", _rd("permalink", ["x"]), "url", lambda m: m["url"] is None),
    Bad("permalink-int", _rd("permalink", 7), "url", lambda m: m["url"] is None),
    Bad("parent-dict", _rd("parent_id", {"x": 1}), "in_reply_to", lambda m: m["in_reply_to"] is None),
    Bad("not-an-object", lambda child: child.update(data="just a string"), "record"),
]


@pytest.mark.parametrize("bad", cases(REDDIT_BAD))
def test_reddit_malformed_item(replay, bad: Bad) -> None:  # noqa: F811
    children = [comment(0), comment(1), comment(2)]
    bad.mutate(children[1])
    batches = reddit_fetch(replay, children)
    check_malformed_page(batches, bad, source="r", good=["reddit:t1_h000", "reddit:t1_h002"], bad_id="reddit:t1_h001")
    assert final_cursor(batches) == {"mentions": {"newest": "t1_h000", "created_utc": T0 - 10}}


# =================================================================================================
# bluesky: the real atproto Client, its HTTP layer answered by respx (tests/test_bluesky.py)
# =================================================================================================
from tests.test_bluesky import NOW as BSKY_NOW  # noqa: E402
from tests.test_bluesky import api, fresh_sessions, reply, serve_lookups, tokens  # noqa: E402, F401
from tests.test_bluesky import make_source as bluesky_source  # noqa: E402
from tests.test_bluesky import run as bluesky_run  # noqa: E402

_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def bsky_post(i: int, text: Any = None, *, display: Any = None, handle: Any = None) -> dict:
    did = "did:plc:" + "h" * 20 + "".join(_B32[(i >> s) & 31] for s in (15, 10, 5, 0))
    when = BSKY_NOW - timedelta(minutes=i + 1)
    return {
        "uri": f"at://{did}/app.bsky.feed.post/3mhostile{i:04d}",
        "cid": f"bafyhostile{i:04d}",
        "author": {"did": did, "handle": handle or f"user{i}.bsky.social", "displayName": display or f"User {i}"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": f"good post {i}" if text is None else text,
            "createdAt": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "langs": ["en"],
        },
        "replyCount": 1,
        "repostCount": 2,
        "likeCount": 3,
        "quoteCount": 4,
        "indexedAt": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


def bsky_id(post: dict) -> str:
    from socialwatch.sources.bluesky import mention_id

    return mention_id(post["uri"])


def bluesky_fetch(api, posts: list[dict]) -> list[Batch]:  # noqa: F811
    serve_lookups(api)
    api.get("/app.bsky.feed.searchPosts").mock(return_value=reply(200, {"posts": posts}))
    return bluesky_run(bluesky_source({"notifications": False, "search": "acme"}))


def bsky_cursor_time(batches: list[Batch]) -> Any:
    return model.parse_time(final_cursor(batches)["search"]["indexed_at"])


def test_bluesky_hostile_page(api) -> None:  # noqa: F811
    posts = [bsky_post(i, HOSTILE[k], display=HOSTILE[k], handle=HOSTILE[k]) for i, k in enumerate(KEYS)]
    posts.append(bsky_post(len(KEYS), BIG))
    batches = bluesky_fetch(api, posts)
    ids = {k: bsky_id(posts[i]) for i, k in enumerate(KEYS)}
    by_id = check_hostile_page(batches, ids, bsky_id(posts[-1]), lambda s: s)
    for key, mention_id in ids.items():
        m = by_id[mention_id]
        assert m["author"]["name"] == HOSTILE[key] and m["author"]["handle"] is None, key  # not a valid handle
        assert m["url"].startswith("https://bsky.app/profile/did:plc:"), key
    assert bsky_cursor_time(batches) == BSKY_NOW - timedelta(minutes=1)


def _bs(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(post: dict) -> None:
        *head, last = path.split(".")
        target = post
        for part in head:
            target = target[part]
        if value is ...:
            target.pop(last, None)
        else:
            target[last] = value

    return mutate


#: pydantic_core.from_json (atproto_client.request._parse_response) refuses JSON nested deeper than about
#: 200 levels with ValueError("recursion limit exceeded"): the whole page is then "malformed".

BLUESKY_BAD = [
    Bad("text-int", _bs("record.text", 12), "text"),
    Bad("text-list", _bs("record.text", ["a"]), "text"),
    Bad("text-deep", _bs("record.text", deep()), "text"),
    Bad("text-missing", _bs("record.text", ...), "text"),
    Bad("record-str", _bs("record", "just a string"), "record"),
    Bad("uri-null", _bs("uri", None), "uri"),
    Bad("uri-dict", _bs("uri", {"$ne": 1}), "uri"),
    Bad("indexed-garbage", _bs("indexedAt", "yesterday-ish"), "indexedAt"),
    Bad("likes-negative", _bs("likeCount", -3), "metrics.likes",
        lambda m: m["metrics"]["likes"] is None and m["metrics"]["reposts"] == 2),
    Bad("likes-str", _bs("likeCount", "lots"), "metrics.likes", lambda m: m["metrics"]["likes"] is None),
    Bad("likes-deep", _bs("likeCount", deep()), "metrics.likes", lambda m: m["metrics"]["likes"] is None),
    Bad("created-dict", _bs("record.createdAt", {"x": 1}), "created_at", lambda m: m["created_at"].startswith("2026")),
    Bad("langs-ints", _bs("record.langs", [42]), "lang", lambda m: m["lang"] is None),
    Bad("author-list", _bs("author", ["x"]), "author", lambda m: m["author"]["handle"] is None),
    Bad("display-list", _bs("author.displayName", ["x"]), "name", lambda m: m["author"]["name"] is None),
    Bad("display-deep", _bs("author.displayName", deep()), "name", lambda m: m["author"]["name"] is None),
    Bad("handle-int", _bs("author.handle", 42), "handle", lambda m: m["author"]["handle"] is None),
    Bad("reply-deep", _bs("record.reply", deep()), "reply",
        lambda m: m["in_reply_to"] is None and m["conversation_id"] is None),
]


@pytest.mark.parametrize("bad", cases(BLUESKY_BAD))
def test_bluesky_malformed_item(api, bad: Bad) -> None:  # noqa: F811
    posts = [bsky_post(0), bsky_post(1), bsky_post(2)]
    bad_id = bsky_id(posts[1])
    bad.mutate(posts[1])
    batches = bluesky_fetch(api, posts)
    check_malformed_page(batches, bad, source="bsky", good=[bsky_id(posts[0]), bsky_id(posts[2])], bad_id=bad_id)
    assert bsky_cursor_time(batches) == BSKY_NOW - timedelta(minutes=1)


# =================================================================================================
# mastodon: the real Mastodon.py client, answered by `responses` (tests/test_mastodon.py)
# =================================================================================================
from socialwatch.sources.mastodon import snowflake_at as toot_id  # noqa: E402
from tests.test_mastodon import NOTIFICATIONS, add  # noqa: E402
from tests.test_mastodon import NOW as M_NOW  # noqa: E402
from tests.test_mastodon import drain as mastodon_drain  # noqa: E402
from tests.test_mastodon import make_source as mastodon_source  # noqa: E402

_HTML_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def html_plain(text: str) -> str:
    """What a status' plain text is when `text` is sent as the (escaped) HTML of one paragraph."""
    return _HTML_SPACE.sub(" ", text).strip(" ")


def notification(i: int, text: Any = None, *, display: Any = None, acct: Any = None, url: Any = None) -> dict:
    when = model.iso(M_NOW - timedelta(minutes=i + 1))
    sid = toot_id(M_NOW - timedelta(minutes=i + 1))
    account = {
        "id": str(109000000000000100 + i),
        "username": f"user{i}",
        "acct": acct or f"user{i}@example.social",
        "display_name": display or f"User {i}",
        "bot": False,
        "followers_count": 10,
    }
    return {
        "id": str(35000000 - i),
        "type": "mention",
        "created_at": when,
        "account": account,
        "status": {
            "id": sid,
            "created_at": when,
            "in_reply_to_id": None,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": f"https://example.social/users/user{i}/statuses/{sid}",
            "url": url or f"https://example.social/@user{i}/{sid}",
            "replies_count": 1,
            "reblogs_count": 2,
            "favourites_count": 3,
            "quotes_count": 4,
            "content": f"<p>good toot {i}</p>" if text is None else text,
            "reblog": None,
            "account": account,
        },
    }


def mastodon_fetch(rsps, items: list[dict]) -> list[Batch]:  # noqa: F811
    add(rsps, "GET", NOTIFICATIONS, items)
    batches, error = mastodon_drain(mastodon_source())
    assert error is None, error
    return batches


def toot(item: dict) -> str:
    return f"mastodon:{item['status']['id']}"


def test_mastodon_hostile_page(rsps) -> None:  # noqa: F811
    urls = {k: f"https://example.social/@user/{k}{HOSTILE[k]}" for k in KEYS}
    items = [
        notification(i, f"<p>{html.escape(HOSTILE[k])}</p>", display=HOSTILE[k], acct=HOSTILE[k], url=urls[k])
        for i, k in enumerate(KEYS)
    ]
    items.append(notification(len(KEYS), f"<p>{BIG}</p>"))
    batches = mastodon_fetch(rsps, items)
    ids = {k: toot(items[i]) for i, k in enumerate(KEYS)}
    by_id = check_hostile_page(batches, ids, toot(items[-1]), html_plain)
    for key, mention_id in ids.items():
        m = by_id[mention_id]
        assert m["author"]["name"] == HOSTILE[key] and m["author"]["handle"] == HOSTILE[key].lstrip("@"), key
        assert m["url"] == urls[key], key
    assert final_cursor(batches) == {"notifications": {"newest": "35000000"}}


def test_mastodon_expectation_is_exact_for_strings_without_html_whitespace() -> None:
    """Strings without HTML whitespace (everything but `\\r`, `\\t`) come out of the HTML exactly."""
    for key in KEYS:
        if not _HTML_SPACE.search(HOSTILE[key].replace(" ", "")):
            assert html_plain(HOSTILE[key]) == HOSTILE[key].strip(" "), key


def _md(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(item: dict) -> None:
        *head, last = path.split(".")
        target = item
        for part in head:
            target = target[part]
        if value is ...:
            target.pop(last, None)
        else:
            target[last] = value

    return mutate



MASTODON_BAD = [
    Bad("content-int", _md("status.content", 12), "text"),
    Bad("content-list", _md("status.content", ["a"]), "text"),
    Bad("content-deep", _md("status.content", deep()), "text"),
    Bad("content-missing", _md("status.content", ...), "text"),
    Bad("status-null", _md("status", None), "deleted"),
    Bad("status-id-null", _md("status.id", None), "id"),
    Bad("status-id-dict", _md("status.id", {"$ne": 1}), "id"),
    Bad("notification-id-null", _md("id", None), "id"),
    Bad("likes-negative", _md("status.favourites_count", -3), "metrics.likes",
        lambda m: m["metrics"]["likes"] is None and m["metrics"]["reposts"] == 2),
    Bad("likes-str", _md("status.favourites_count", "lots"), "metrics.likes", lambda m: m["metrics"]["likes"] is None),
    Bad("likes-deep", _md("status.favourites_count", deep()), "metrics.likes",
        lambda m: m["metrics"]["likes"] is None),
    Bad("created-dict", _md("status.created_at", {"x": 1}), "created_at", lambda m: m["created_at"].startswith("2026")),
    Bad("language-list", _md("status.language", ["en"]), "lang", lambda m: m["lang"] is None),
    Bad("url-dict", _md("status.url", {"x": 1}), "url", lambda m: m["url"].startswith("https://example.social/users/")),
    Bad("account-list", _md("status.account", ["x"]), "author", lambda m: m["author"]["handle"] is None),
    Bad("display-list", _md("status.account.display_name", ["x"]), "name", lambda m: m["author"]["name"] is None),
    Bad("acct-deep", _md("status.account.acct", deep()), "handle",
        lambda m: m["author"]["handle"] in (None, "user1")),
    Bad("followers-str", _md("status.account.followers_count", "many"), "followers",
        lambda m: m["author"]["followers"] is None),
    Bad("spoiler-deep", _md("status.spoiler_text", deep()), "spoiler", lambda m: m["text"] == "good toot 1"),
]


@pytest.mark.parametrize("bad", cases(MASTODON_BAD))
def test_mastodon_malformed_item(rsps, bad: Bad) -> None:  # noqa: F811
    items = [notification(0), notification(1), notification(2)]
    bad_id = toot(items[1]) if isinstance(items[1]["status"]["id"], str) else None
    bad.mutate(items[1])
    batches = mastodon_fetch(rsps, items)
    check_malformed_page(batches, bad, source="m", good=[toot(items[0]), toot(items[2])], bad_id=bad_id)
    assert final_cursor(batches) == {"notifications": {"newest": "35000000"}}
