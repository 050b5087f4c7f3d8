"""The records a reply writes: record keys (TIDs), reply references, facets; reading back what was posted."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.sources.bluesky import (
    Problem,
    _dict,
    is_did,
    split_at_uri,
)

#: Bluesky post text limits (app.bsky.feed.post): 300 graphemes, 3000 bytes.
POST_MAX_BYTES = 3000
#: TIDs (base32-sortable, 13 characters): the alphabet, and the window record keys are placed in.
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
TID_BASE_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z in microseconds
TID_SPAN_US = 2**46  # about 2.2 years
#: A chat message is looked for from this long before the attempt (clock skew).
LOOKUP_MARGIN = timedelta(minutes=1)
LOOKUP_PAGES = 5
_NOT_SERVED = ("MethodNotImplemented", "XRPCNotSupported")


def record_key(idempotency_key: str) -> str:
    """A valid, deterministic TID for an outbox idempotency key (the reply's rkey)."""
    digest = hashlib.sha256(("socialwatch bluesky reply\n" + str(idempotency_key)).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    micros = TID_BASE_US + (number >> 10) % TID_SPAN_US
    value = (micros << 10) | (number & 0x3FF)
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _strong_ref(value: Any) -> dict | None:
    """{"uri", "cid"} of a post reference, None unless both are there."""
    ref = _dict(value)
    uri, cid = ref.get("uri"), ref.get("cid")
    if split_at_uri(uri) and isinstance(cid, str) and cid:
        return {"uri": uri, "cid": cid}
    return None


def reply_refs(view: dict) -> dict:
    """The `reply` field of an answer to the post `view`: root = the thread's root, parent = the post."""
    parent = _strong_ref(view)
    if parent is None:
        raise ValueError("the post view has no uri and cid")
    record_reply = _dict(_dict(view.get("record")).get("reply"))
    root = _strong_ref(record_reply.get("root")) or parent
    return {"root": root, "parent": parent}


def _now_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _same_text(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and " ".join(a.split()) == " ".join(b.split())


# ---- module-level helpers --------------------------------------------------------------------------
def _usable(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not value.strip().startswith("$")


def _not_served(problem: Problem) -> bool:
    return problem.status in (404, 501) or problem.error in _NOT_SERVED


def _parse(value: Any) -> datetime | None:
    try:
        return model.parse_time(value) if value else None
    except ValueError:
        return None


def _facets(text: str, author: dict) -> list[dict]:
    """Link and #tag facets (detected offline), and a mention facet for @AUTHOR (whose DID is known)."""
    try:
        from atproto_client import models
        from atproto_client.models.utils import get_model_as_dict
        from atproto_client.utils import facet_detection

        facets = [get_model_as_dict(f) for f in facet_detection.detect_facets(text)]
        handle, did = str(author.get("handle") or "").lower(), author.get("did")
        if handle and is_did(did):
            for found in facet_detection.detect_mentions(text):
                if found.handle.lower() == handle:
                    facet = models.AppBskyRichtextFacet.Main(
                        features=[models.AppBskyRichtextFacet.Mention(did=did)],
                        index=models.AppBskyRichtextFacet.ByteSlice(
                            byte_start=found.byte_start, byte_end=found.byte_end
                        ),
                    )
                    facets.append(get_model_as_dict(facet))
        return sorted(facets, key=lambda f: f["index"]["byteStart"])
    except Exception:  # rich text is a nicety: never fail a reply over it
        return []
