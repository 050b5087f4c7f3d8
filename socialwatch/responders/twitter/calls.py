"""Checks before a send and the HTTP calls: X's errors and rate limits mapped to `ReplyFailed` / `OutcomeUnknown`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from socialwatch import secrets
from socialwatch.responders import OutcomeUnknown, ReplyFailed
from socialwatch.sources.twitter import (
    _dict,
    _hhmm,
    _json_body,
    _list,
    _Malformed,
    _problem,
    _requests,
    _tweepy,
)

_DETAIL_LIMIT = 200
_GONE = re.compile(r"deleted|not visible|could not find|resource-not-found|no status found", re.I)
_DUPLICATE = re.compile(r"duplicate", re.I)
_PROTECTED = re.compile(r"protected|not authorized to see", re.I)
_REPLY_RESTRICTED = re.compile(r"reply to this conversation is not allowed|restricted who can reply", re.I)


def _error_texts(response: Any) -> list[str]:
    """The human texts of an error body (detail, message, title), unsanitised: for matching only."""
    try:
        body = _dict(json.loads(getattr(response, "content", b"") or b""))
    except (ValueError, TypeError):
        return []
    texts = [body.get("detail"), body.get("title"), body.get("type")]
    for error in map(_dict, _list(body.get("errors"))):
        texts += [error.get("message"), error.get("detail"), error.get("title"), error.get("type")]
    return [t for t in texts if isinstance(t, str) and t]


class CallsMixin:
    """`TwitterResponder`'s checks, its POST and GET calls, and its mapping of failures to outcomes."""

    # ---- checks ----------------------------------------------------------------------------------
    def _check_platform(self, mention: dict) -> None:
        platform = mention.get("platform")
        if platform not in (None, "twitter"):
            raise ReplyFailed(
                f"X responder {self.name} cannot answer {mention.get('id')}: it is a {platform} mention; "
                "map its source to another responder"
            )

    # ---- the HTTP calls and their outcomes -----------------------------------------------------
    def _post(self, what: str, call: Callable[[], Any]) -> dict:
        """One POST, never retried; its JSON body, ReplyFailed (not posted) or OutcomeUnknown."""
        tweepy, requests = _tweepy(), _requests()
        try:
            response = call()
        except tweepy.TooManyRequests as exc:
            raise self._rate_limited(what, exc.response) from None
        except tweepy.TwitterServerError as exc:
            status = f"{exc.response.status_code} {_problem(exc.response)['tag']}"
            raise OutcomeUnknown(self._unclear(what, f"X answered {status}")) from None
        except tweepy.HTTPException as exc:
            raise self._rejected(what, exc.response) from None
        except requests.exceptions.RequestException as exc:
            if _never_sent(exc):
                raise ReplyFailed(
                    f"X responder {self.name}: could not connect to X ({type(exc).__name__}); the {what} was "
                    "not sent: check the network and retry"
                ) from None
            raise OutcomeUnknown(self._unclear(what, f"the connection failed ({type(exc).__name__})")) from None
        except Exception as exc:  # tweepy trips over some odd answers: the request may have been served
            raise OutcomeUnknown(self._unclear(what, f"unexpected answer ({type(exc).__name__})")) from None
        try:
            return _json_body(response)
        except _Malformed:
            raise OutcomeUnknown(
                self._unclear(what, f"X answered {response.status_code} with a malformed body")
            ) from None

    def _unclear(self, what: str, why: str) -> str:
        return (
            f"X responder {self.name}: {why} after the {what} was sent: it may or may not be posted "
            "(X has no idempotency key, so it is not retried)"
        )

    def _rate_limited(self, what: str, response: Any) -> ReplyFailed:
        info = _problem(response)
        if info["type"].endswith("usage-capped") or info["title"] == "UsageCapExceeded":
            return ReplyFailed(
                f"X responder {self.name}: the X plan's usage cap is spent (429 UsageCapExceeded); the {what} "
                "was not sent: add credits or raise the cap in the X developer console"
            )
        reset = _reset_time(response)
        if reset is None:
            return ReplyFailed(f"X responder {self.name}: X rate limit reached (429); the {what} was not sent")
        wait = max(0.0, reset.timestamp() - self._time())
        return ReplyFailed(
            f"X responder {self.name}: X rate limit reached (429); the {what} was not sent: retry after "
            f"{_hhmm(reset)} (in {int(wait + 0.999)} s)",
            retry_after=wait,
        )

    def _rejected(self, what: str, response: Any) -> ReplyFailed:
        """A 4xx answer (other than 429) to a POST: nothing was posted."""
        info = _problem(response)
        status = info["status"]
        texts = _error_texts(response)
        detail = self._detail(texts)
        head = f"X responder {self.name}: "
        if status == 401:
            return ReplyFailed(
                head + f"X rejected the credentials (401): check {self.creds.keys_for('user')} in "
                f"responders.{self.name} and the environment variables they reference (expired, revoked or "
                "mistyped token)"
            )
        if status == 404 or any(_GONE.search(t) for t in texts):
            if what == "reply":
                return ReplyFailed(
                    head + "the post you are replying to was deleted or is not visible" + _paren(status, detail)
                )
            return ReplyFailed(
                head + "the recipient was not found (deleted or suspended account?)" + _paren(status, detail)
            )
        if status == 403:
            return ReplyFailed(head + self._forbidden(what, info, texts) + _paren(status, detail))
        if status == 402:
            return ReplyFailed(
                head + f"X refused the {what} for lack of credits (402): add credits in the X developer console"
            )
        tag = info["tag"] + (f", parameter {info['params']}" if info["params"] else "")
        return ReplyFailed(head + f"X refused the {what} ({status} {tag})" + (f": {detail}" if detail else ""))

    def _forbidden(self, what: str, info: dict, texts: list[str]) -> str:
        """Why a 403 refused the post: plan, app permissions, duplicate, protected, restricted."""
        if (
            info["reason"] == "client-not-enrolled"
            or "453" in info["codes"].split(", ")
            or info["type_tail"] == "client-forbidden"
        ):
            return f"not entitled: the X plan or project has no access to posting a {what}"
        if info["type_tail"] == "oauth1-permissions":
            return (
                f"the X app's permissions do not allow a {what}: give it Read and Write"
                + (" and Direct Messages" if what != "reply" else "")
                + " access in the developer portal and regenerate the access token"
            )
        if any(_DUPLICATE.search(t) for t in texts):
            return (
                "X refused it as a duplicate of a recent post by the account: personalise the text (if an earlier "
                "attempt of this reply was unknown, it was probably posted: reconcile first)"
            )
        if what != "reply":
            return "X refused the direct message: the user may not accept messages from the account"
        if any(_PROTECTED.search(t) for t in texts):
            return "the author's posts are protected: the account cannot reply to them"
        if any(_REPLY_RESTRICTED.search(t) for t in texts):
            return "X does not let the account reply in this conversation (replies are limited by the author)"
        return "X refused the reply (not permitted)"

    def _detail(self, texts: list[str]) -> str:
        """The API's first human error text, printable, bounded and scrubbed of any credential."""
        human = [t for t in texts if " " in t.strip()]
        if not human:
            return ""
        text = "".join(ch if ch.isprintable() else " " for ch in human[0])
        text = " ".join(text.split())[:_DETAIL_LIMIT]
        for value in (self.creds.oauth1 or ()) + ((self.creds.user_token,) if self.creds.user_token else ()):
            if value and value in text:
                text = text.replace(value, "***")
        return secrets.mask(text)

    def _get(self, label: str, call: Callable[..., Any], **params: Any) -> dict:
        """One lookup request, `call(**params)`; its JSON body, or OutcomeUnknown saying why X cannot tell now."""
        tweepy, requests = _tweepy(), _requests()
        head = f"X responder {self.name}: cannot look up {label}"
        try:
            return _json_body(call(**params))
        except tweepy.TooManyRequests as exc:
            reset = _reset_time(exc.response)
            when = f"; retry after {_hhmm(reset)}" if reset else ""
            raise OutcomeUnknown(f"{head}: X rate limit reached (429){when}") from None
        except tweepy.HTTPException as exc:
            raise OutcomeUnknown(f"{head}: {self._lookup_refused(exc.response)}") from None
        except requests.exceptions.RequestException as exc:
            raise OutcomeUnknown(f"{head}: X did not answer ({type(exc).__name__})") from None
        except _Malformed:
            raise OutcomeUnknown(f"{head}: X sent a malformed answer") from None
        except Exception as exc:  # tweepy trips over some odd error bodies
            raise OutcomeUnknown(f"{head}: unexpected answer ({type(exc).__name__})") from None

    def _lookup_refused(self, response: Any) -> str:
        info = _problem(response)
        status = info["status"]
        if status == 401:
            return f"X rejected the credentials (401): check {self.creds.keys_for('user')} in responders.{self.name}"
        if status == 403:
            tag = (
                info["reason"] or (f"code {info['codes']}" if info["codes"] else "") or info["type_tail"] or info["tag"]
            )
            return f"not entitled to read (403 {tag}): the X plan may be write-only; check the thread by hand"
        if status >= 500:
            return f"X is unavailable ({status} {info['tag']})"
        return f"X refused the lookup ({status} {info['tag']}): check `user_id` in responders.{self.name}"


def _reset_time(response: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(response.headers["x-rate-limit-reset"]), tz=UTC)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError):
        return None


def _paren(status: int, detail: str) -> str:
    return f" ({status}{': ' + detail if detail else ''})"


def _never_sent(exc: Exception) -> bool:
    """The request certainly did not leave: the connection was never made (DNS, refused, connect time-out)."""
    requests = _requests()
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))
