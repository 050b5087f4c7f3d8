"""Length checks, the status_post call retried with its idempotency key, and failures mapped to outcomes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from socialwatch.responders import OutcomeUnknown, ReplyFailed, SendResult
from socialwatch.responders.mastodon.records import DEFAULT_LIMIT, URL_WEIGHT, _max_characters, status_length
from socialwatch.sources.mastodon import (
    MAX_BACKOFF,
    Failure,
    as_dict,
    classify,
    hhmm,
    https_url,
    str_id,
)

log = logging.getLogger(__package__)


class CallsMixin:
    """`MastodonResponder`'s length checks, its calls and messages, and its mapping of failures to outcomes."""

    # ---- length checks ---------------------------------------------------------------------------
    def _check_length(self, body: str) -> None:
        limit = self.max_characters()
        length = status_length(body)
        if length > limit:
            raise ReplyFailed(
                self._head() + f"the reply is {length - limit} characters over the instance's limit "
                f"({length}/{limit}, links counted as {URL_WEIGHT}); it was not sent"
            )

    def length_problem(self, mention: dict, text: str) -> str | None:
        """Counted as Mastodon counts (URLs 23, remote mentions by user name) against the
        instance's own limit."""
        length, cap = status_length(text), self.max_characters()
        if length <= cap:
            return None
        return f"the reply is {length - cap} characters over this Mastodon instance's limit ({length}/{cap})"

    def max_characters(self) -> int:
        """The instance's status length limit, read once per responder (500 when it does not say)."""
        if self._limit is None:
            self._limit = self._read_limit()
        return self._limit

    def _read_limit(self) -> int:
        client = self._client_()
        for call in (client.instance_v2, client.instance_v1):
            try:
                info = call()
            except Exception as exc:  # classified; a server without v2 (before 4.0) answers 404
                if self._classify(exc).kind == "not_found":
                    continue
                log.warning("%s: could not read the instance's character limit; assuming %d", self.name, DEFAULT_LIMIT)
                return DEFAULT_LIMIT
            limit = _max_characters(info)
            if limit is not None:
                return limit
        return DEFAULT_LIMIT

    def _post(self, what: str, body: str, native: str, visibility: str, key: str) -> dict:
        """`status_post` with the idempotency key, retried with the same key on 5xx/time-outs/bad answers."""
        client = self._client_()
        maybe_posted = False
        failure = Failure("network")
        attempts = self.retries + 1
        for attempt in range(attempts):
            if attempt:
                self._sleep(min(MAX_BACKOFF, 2.0 ** (attempt - 1)))
            before = self._meter.calls
            try:
                status = as_dict(
                    client.status_post(body, in_reply_to_id=native, visibility=visibility, idempotency_key=key)
                )
            except Exception as exc:  # classified; nothing of its text is kept
                failure = self._classify(exc, before)
            else:
                if str_id(status.get("id")) is not None:
                    return status
                failure = Failure("malformed", self._meter.status, cause="an answer without a status id")
            if not failure.retryable:
                if maybe_posted:
                    raise OutcomeUnknown(self._unclear(what, failure, attempt + 1))
                raise self._refused(what, failure)
            maybe_posted = maybe_posted or not failure.never_sent
        if not maybe_posted:
            raise ReplyFailed(
                self._head() + f"could not connect to {self._host()} ({failure.tag}): the {what} was not sent"
            )
        raise OutcomeUnknown(self._unclear(what, failure, attempts))

    def _result(self, status: dict) -> SendResult:
        return SendResult(
            reply_id=str_id(status.get("id")), url=https_url(status.get("url")) or https_url(status.get("uri"))
        )

    # ---- messages ----------------------------------------------------------------------------------
    def _head(self) -> str:
        return f"Mastodon responder {self.name}: "

    def _host(self) -> str:
        return self.instance.split("://", 1)[-1] or "the instance"

    def _classify(self, exc: BaseException, calls_before: int | None = None) -> Failure:
        return classify(exc, self._meter, self._now(), (self.token,), calls_before)

    def _unclear(self, what: str, failure: Failure, attempts: int) -> str:
        return (
            self._head() + f"{what} sent, but its outcome is unknown ({failure.tag}, after {attempts} attempt(s) "
            "with the same Idempotency-Key): it may or may not be posted. The instance answers a repeated key "
            "with the first post for about an hour, so a retry in that hour cannot post twice; "
            "`outbox reconcile` looks for it among the account's posts"
        )

    def _refused(self, what: str, failure: Failure) -> ReplyFailed:
        """A 4xx answer (or a request never made): nothing was posted."""
        head = self._head()
        kind = failure.kind
        if kind == "rate":
            if failure.reset_at is None:
                return ReplyFailed(head + f"rate limit reached (429); the {what} was not sent")
            return ReplyFailed(
                head + f"rate limit reached (429); the {what} was not sent: retry after {hhmm(failure.reset_at)} "
                f"(in {int((failure.wait or 0) + 0.999)} s)",
                retry_after=failure.wait,
            )
        if kind == "auth":
            return ReplyFailed(
                head + f"the instance rejected the access token (401): check `access_token` in responders.{self.name} "
                "and the environment variable it references (expired, revoked or mistyped)"
            )
        if kind == "not_found":
            return ReplyFailed(head + f"the post was deleted (or is not visible to the account) ({failure.tag})")
        if kind == "forbidden":
            return ReplyFailed(
                head + f"the instance refused the {what} ({failure.tag}): the token may lack the write:statuses "
                "scope, or the account is limited or suspended"
            )
        if kind == "invalid":
            return ReplyFailed(
                head + f"the {what} was not sent: the request was refused before it left ({failure.cause})"
            )
        return ReplyFailed(head + f"the instance refused the {what} ({failure.tag})")

    # ---- lookups ---------------------------------------------------------------------------------------
    def _lookup(self, what: str, call: Callable[[], Any]) -> Any:
        """One lookup request; OutcomeUnknown saying why the instance cannot tell now."""
        try:
            return call()
        except Exception as exc:  # classified; nothing of its text is kept
            failure = self._classify(exc)
        head = self._head() + f"cannot look up {what} on {self._host()}: "
        if failure.kind == "auth":
            reason = f"the access token was rejected (401): check `access_token` in responders.{self.name}"
        elif failure.kind == "rate":
            when = f"; retry after {hhmm(failure.reset_at)}" if failure.reset_at else ""
            reason = f"rate limit reached (429){when}"
        elif failure.kind == "forbidden":
            reason = f"not allowed ({failure.tag}): the token may lack the read:statuses scope"
        else:
            reason = f"the instance did not answer usefully ({failure.tag})"
        raise OutcomeUnknown(head + reason)
