"""The logged-in account: an atproto client with session reuse (in memory and on disk) and renewal,
and the XRPC requests it runs."""

from __future__ import annotations

import hashlib
import logging
import pathlib
from collections.abc import Callable
from typing import Any

from socialwatch import secrets as secret_mask
from socialwatch.sources.bluesky.ids import DEFAULT_SERVICE
from socialwatch.sources.bluesky.problems import BlueskyError, Problem, _Malformed, describe

log = logging.getLogger(__package__)
_SESSIONS: dict[str, str] = {}  # in-process session cache: cache key -> SDK session string


# ---- the account: a logged-in client with session reuse and renewal -------------------------------
class Account:
    """A logged-in atproto `Client` for one handle: session reuse, one renewal per request, counting.

    Every request goes through `call(what, request)`, where `request(client)` returns the SDK's
    `Response`; the answer is the JSON body (a dict). Failures raise `BlueskyError`.
    """

    def __init__(
        self,
        handle: str,
        password: str,
        *,
        service: str = DEFAULT_SERVICE,
        timeout: float = 30.0,
        cache_dir: str | pathlib.Path | None = None,
        use_cache: bool = True,
    ) -> None:
        self.handle = handle.strip().lstrip("@")
        self._password = password
        self.service = (service or DEFAULT_SERVICE).rstrip("/")
        self.timeout = timeout
        self.use_cache = use_cache
        self._cache_file = _cache_file(cache_dir, self.cache_key) if use_cache and cache_dir else None
        self.calls = 0
        self.remaining: int | None = None
        self.did: str | None = None
        self.session_handle: str | None = None
        self._tokens: tuple[str, ...] = ()
        self._client: Any = None
        self._chat: Any = None

    @property
    def cache_key(self) -> str:
        return f"{self.service}|{self.handle.lower()}"

    # ---- requests ------------------------------------------------------------------------------
    def call(self, what: str, request: Callable[[Any], Any], *, chat: bool = False) -> dict:
        """`request(client)`'s JSON body; an expired or refused session is renewed once, then retried."""
        try:
            return self._run(request, chat)
        except BlueskyError:
            raise  # the login failed: nothing to renew
        except Exception as exc:
            problem = self._describe(exc)
        if problem.kind not in ("expired", "auth"):
            raise BlueskyError(what, problem) from None
        self.renew()
        try:
            return self._run(request, chat)
        except BlueskyError:
            raise
        except Exception as exc:
            raise BlueskyError(what, self._describe(exc)) from None

    def _run(self, request: Callable[[Any], Any], chat: bool) -> dict:
        client = self.chat_client() if chat else self.client()
        response = request(client)
        body = getattr(response, "content", None)
        if not isinstance(body, dict):
            raise _Malformed()
        return body

    def _describe(self, exc: Exception) -> Problem:
        if isinstance(exc, BlueskyError):
            return exc.problem
        problem = describe(exc, self.scrub)
        if problem is None:
            raise exc
        return problem

    def scrub(self, text: str) -> str:
        """`text` without the app password, the session tokens or any registered secret."""
        for value in (self._password, *self._tokens):
            if value and len(value) >= 4 and value in text:
                text = text.replace(value, "***")
        return secret_mask.mask(text)

    # ---- the client and its session ----------------------------------------------------------
    def client(self) -> Any:
        """The logged-in client (built, and the session restored or created, on first use)."""
        if self._client is None:
            client = self._build()
            self._client = client
            try:
                self._login()
            except BaseException:
                self._client = None
                client.request.close()
                raise
        return self._client

    def chat_client(self) -> Any:
        """A clone of the client that sends the Bluesky chat proxy header (same session)."""
        if self._chat is None:
            self._chat = self.client().with_bsky_chat_proxy()
        return self._chat

    def _build(self) -> Any:
        from atproto_client import Client

        request = _tolerant_request_class()(timeout=self.timeout,
                                            event_hooks={"request": [self._count], "response": [self._note]})
        client = Client(base_url=self.service, request=request)
        client.on_session_change(self._session_changed)
        return client

    def _count(self, request: Any) -> None:
        self.calls += 1

    def _note(self, response: Any) -> None:
        try:
            value = response.headers.get("ratelimit-remaining")
            if value is not None:
                self.remaining = int(value)
        except (TypeError, ValueError, AttributeError):
            pass

    def _login(self) -> None:
        cached = self._cached() if self.use_cache else None
        if cached:
            try:
                self._client.login(session_string=cached, fetch_bsky_profile=False)
                return
            except Exception:  # an unreadable cached session: forget it and log in afresh
                self._forget()
        self._create_session()

    def _create_session(self) -> None:
        what = "the login (com.atproto.server.createSession)"
        try:
            self._client.login(self.handle, self._password, fetch_bsky_profile=False)
        except Exception as exc:
            raise BlueskyError(what, self._describe(exc), login=True) from None

    def renew(self) -> None:
        """Refresh the session once (the SDK's refresh); if refused, log in again with the app password."""
        client = self.client()
        refresh = getattr(client, "_refresh_and_set_session", None)
        if refresh is not None:
            try:
                refresh()
                return
            except Exception as exc:
                problem = self._describe(exc)
                if problem.kind not in ("expired", "auth", "rejected", "not_found"):
                    raise BlueskyError("the session refresh (com.atproto.server.refreshSession)", problem) from None
        self._forget()
        self._create_session()

    def _session_changed(self, event: Any, session: Any) -> None:
        self.did = getattr(session, "did", None)
        self.session_handle = getattr(session, "handle", None)
        self._tokens = tuple(t for t in (getattr(session, "access_jwt", ""), getattr(session, "refresh_jwt", "")) if t)
        if getattr(event, "value", "") in ("create", "refresh") and self.use_cache:
            self._remember(session.encode())

    # ---- the session cache -------------------------------------------------------------------
    def _cached(self) -> str | None:
        if self.cache_key in _SESSIONS:
            return _SESSIONS[self.cache_key]
        if self._cache_file is None:
            return None
        try:
            text = self._cache_file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return text or None

    def _remember(self, session_string: str) -> None:
        _SESSIONS[self.cache_key] = session_string
        if self._cache_file is None:
            return
        try:
            from socialwatch.paths import ensure_private_dir
            from socialwatch.store.files import atomic_write

            ensure_private_dir(self._cache_file.parent)
            atomic_write(self._cache_file, session_string.encode("utf-8"))
        except OSError as exc:
            log.warning("bluesky: could not keep the session for @%s (%s)", self.handle, type(exc).__name__)

    def _forget(self) -> None:
        _SESSIONS.pop(self.cache_key, None)
        if self._cache_file is not None:
            try:
                self._cache_file.unlink()
            except OSError:
                pass

    def close(self) -> None:
        """Close the HTTP connections (the session stays cached)."""
        for client in (self._chat, self._client):
            if client is not None:
                try:
                    client.request.close()
                except Exception:  # closing must never fail a poll or a reply
                    pass
        self._chat = self._client = None


def _cache_file(cache_dir: str | pathlib.Path, key: str) -> pathlib.Path:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return pathlib.Path(cache_dir) / "sessions" / f"bluesky-{digest}.session"


def forget_sessions() -> None:
    """Drop the in-process session cache (tests, or after credentials changed)."""
    _SESSIONS.clear()


def _tolerant_request_class() -> type:
    """The SDK's Request, falling back to orjson when pydantic's JSON parser gives up.

    pydantic_core stops at about 200 levels of nesting, so one hostile post nested deeper would
    fail the whole page, poll after poll, and hold the cursor back. orjson parses it (up to 1024
    levels), and our mapping then skips or repairs that one item.
    """
    import orjson
    from atproto_client import request as rq

    def parse(response: Any) -> Any:
        try:
            return rq._parse_response(response)
        except ValueError:
            content_type = (response.headers.get("content-type") or "").lower()
            if "application/json" not in content_type:
                raise
            return rq.Response(success=True, status_code=response.status_code, content=orjson.loads(response.content),
                               headers=rq._convert_headers_to_dict(response.headers))

    class TolerantRequest(rq.Request):
        def get(self, *args: Any, **kwargs: Any) -> Any:
            return parse(self._send_request("GET", *args, **kwargs))

        def post(self, *args: Any, **kwargs: Any) -> Any:
            return parse(self._send_request("POST", *args, **kwargs))

    return TolerantRequest


def xrpc_query(nsid: str, params_model: str, **params: Any) -> Callable[[Any], Any]:
    """A request for `Account.call`: the query `nsid`, its params validated now by the SDK's model.

    `params_model` names the SDK's model class ("AppBskyFeedGetPosts"); invalid params raise
    ValueError here, before anything is sent. The raw JSON body is mapped by the caller, so one
    malformed item never fails a whole page.
    """
    from atproto_client import models

    built = getattr(models, params_model).Params(**params)

    def request(client: Any) -> Any:
        return client.invoke_query(nsid, params=built, output_encoding="application/json")

    return request


def xrpc_procedure(nsid: str, data_model: str, **data: Any) -> Callable[[Any], Any]:
    """A request for `Account.call`: the procedure `nsid`, its body validated now by the SDK's model."""
    from atproto_client import models

    built = getattr(models, data_model).Data(**data)

    def request(client: Any) -> Any:
        return client.invoke_procedure(
            nsid, data=built, input_encoding="application/json", output_encoding="application/json"
        )

    return request
