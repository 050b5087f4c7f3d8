"""Exactly-once replies: every reply goes through an outbox record with a state.

    pending -> sending -> sent | failed | unknown

1. Under the store lock, the record is created in state `sending` (after checking that no
   other reply to this mention is sent or in flight: two agents replying at once, one wins,
   the other is told who and since when). Its idempotency key is derived from the mention,
   the text and the number of earlier sent replies.
2. The responder is called outside the lock.
3. Under the lock again, the record becomes `sent`, `failed` (the platform certainly did not
   post: safe to retry) or `unknown` (the request may have gone through). The mention gets
   first_response_at, its new status and the reply; everything is audited.

A crash between 1 and 3 leaves the record `sending`; nothing is ever retried automatically.
`reconcile` asks the responder whether such a reply exists and settles the record; `retry`
re-sends a `failed` one.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from socialwatch import audit, model
from socialwatch.app import App
from socialwatch.errors import ConfigError, Conflict, NotFound, SocialwatchError, UsageError
from socialwatch.responders import OutcomeUnknown, ReplyFailed, Responder, ResponderContext, responder_class

IN_FLIGHT = ("pending", "sending", "unknown")
STATES = ("pending", "sending", "sent", "failed", "unknown")


@dataclass
class Outcome:
    record: dict
    mention: dict | None = None


def idempotency_key(mention_id: str, text: str, attempt: int) -> str:
    return hashlib.sha256(f"{mention_id}\n{attempt}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def responder_name(app: App, mention: dict) -> str:
    """Which responder answers this mention: its source's, else one for its platform, else the default."""
    cfg = app.config
    source = cfg.sources.get(mention.get("source") or "") or {}
    if source.get("responder"):
        return source["responder"]
    platform = mention.get("platform")
    for name, table in cfg.responders.items():
        if platform in (table.get("platforms") or []):
            return name
    for name, table in cfg.responders.items():
        if table.get("type") == platform:
            return name
    for name, table in cfg.responders.items():
        if table.get("default"):
            return name
    raise ConfigError(
        f"no responder for {mention['id']} (platform {platform}, source {mention.get('source')}): "
        "set `responder` on the source, `platforms` on a responder, or `default = true`",
        path=str(cfg.path),
    )


def build_responder(app: App, name: str) -> Responder:
    cfg = app.config
    table = cfg.responders.get(name)
    if table is None:
        raise ConfigError(f"no responder named {name!r}", path=str(cfg.path))
    resolved = cfg.resolve(table, f"responders.{name}")
    try:
        cls = responder_class(resolved["type"])
    except KeyError:
        raise ConfigError(f"unknown responder type {resolved['type']!r}", path=str(cfg.path), key=f"responders.{name}.type") from None
    cls.check_config(name, resolved, str(cfg.path))
    ctx = ResponderContext(name=name, brand=cfg.brand, config_dir=str(cfg.config_dir), data_dir=str(cfg.data_dir))
    return cls(name, resolved, ctx)


def default_visibility(mention: dict) -> str:
    """The channel the mention came in on: private for a direct message, else public."""
    return "private" if mention.get("kind") == "dm" else "public"


@dataclass(frozen=True)
class Visibility:
    """How a reply goes out (`choose_visibility`): `value` "public" or "private"; `note` tells the
    agent when a template or draft was written for the other channel; `public_dm`: a public
    reply to a direct message, which only an explicit, confirmed request may send."""

    value: str
    note: str | None = None
    public_dm: bool = False


def choose_visibility(mention: dict, requested: str | None = None, suggested: str | None = None,
                      suggested_by: str = "the template") -> Visibility:
    """The visibility of a reply to `mention`.

    `requested`: what the agent asked for explicitly (`--public`/`--private`), which wins.
    `suggested`: what a template or a saved draft was written for. A direct message is
    answered privately unless the agent explicitly asks for public (then `public_dm` is set and
    the caller must confirm); a template's visibility never moves a reply to a DM into public.
    A public mention follows a template written for a private reply (it moves to a private
    message), and the agent is told so.
    """
    if requested not in (None, "public", "private"):
        raise UsageError(f"visibility must be public or private, not {requested!r}")
    dm = mention.get("kind") == "dm"
    mid = mention.get("id")
    if requested is not None:
        return Visibility(requested, public_dm=dm and requested == "public")
    if dm:
        note = None
        if suggested == "public":
            note = (f"{suggested_by} is written for a public reply; sending it privately, as {mid} is a direct message "
                    "(--public to reply in public)")
        return Visibility("private", note)
    if suggested == "private":
        return Visibility("private", f"{suggested_by} is a private reply; sending it by private message "
                                     "(--public to reply in public)")
    return Visibility("public")


def _records_for(s: Any, mention_id: str) -> list[dict]:
    """The mention's reply records (satisfaction surveys are not replies)."""
    return [r for r in s.replies_for(mention_id) if r.get("kind") != "csat"]


def send(app: App, mention_id: str, text: str, *, visibility: str | None = None, again: bool = False,
         resolve: bool = False, template: str | None = None, mention: dict | None = None,
         suggested: str | None = None, public_dm_confirmed: bool = False) -> Outcome:
    """Post a reply exactly once (see the module docstring); raises on refusal or failure.

    `visibility`: what the agent explicitly asked for; `suggested`: what the template or draft
    was written for (see `choose_visibility`: a direct message gets a private reply unless the
    agent explicitly asks for public, and such a public reply is refused unless
    `public_dm_confirmed`).
    `mention`: the mention as the caller already read it (it is read again under the lock).
    """
    if not text.strip():
        raise UsageError("the reply is empty")
    store = app.store
    now = model.iso(model.utcnow())
    # The responder is built (config and credentials checked) before any record exists, so a
    # configuration problem never leaves a record stuck in `sending`.
    target = mention if mention is not None and mention.get("id") == mention_id else store.get(mention_id)
    responder = build_responder(app, responder_name(app, target))
    # (counted for the channel it will go through: an X DM takes 10,000 characters, a post 280)
    problem = responder.length_problem_for(target, text, choose_visibility(target, visibility, suggested).value)
    if problem:
        responder.close()
        raise UsageError(problem)
    with store.session() as s:
        mention = s.require(mention_id)
        choice = choose_visibility(mention, visibility, suggested)
        if choice.public_dm and not public_dm_confirmed:
            raise UsageError(f"{mention_id} is a direct message: a public reply to it needs an explicit request "
                             "and a confirmation (--public, then confirm or --yes)")
        visibility = choice.value
        earlier = _records_for(s, mention_id)
        busy = [r for r in earlier if r["state"] in IN_FLIGHT]
        if busy:
            r = busy[0]
            raise Conflict(f"{r['agent']} is already replying to {mention_id} (since {r['created_at']}, state "
                           f"{r['state']}); see `socialwatch outbox`")
        sent = [r for r in earlier if r["state"] == "sent"]
        if sent and not again:
            r = sent[-1]
            raise Conflict(f"{r['agent']} already replied to {mention_id} at {r['updated_at']}; "
                           "use --again to send another reply")
        key = idempotency_key(mention_id, text, len(sent))
        record = {
            "id": "r" + key[:10],
            "mention_id": mention_id,
            "idempotency_key": key,
            "text": text,
            "visibility": visibility,
            "responder": responder.name,
            "agent": app.agent,
            "template": template,
            "resolve": resolve,
            "state": "sending",
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "error": None,
            "reply_id": None,
            "url": None,
        }
        same = s.reply_by_key(key)
        if same is not None:  # the same text failed before: this is its retry, same key
            record.update(id=same["id"], attempts=int(same.get("attempts", 1)) + 1, created_at=same["created_at"])
        s.save_reply(record)
        s.audit([audit.entry(app.agent, "reply-sending", mention_id, None, None, record=record["id"], visibility=visibility,
                             text=text, template=template)])
    return _deliver(app, record, mention, responder)


def _deliver(app: App, record: dict, mention: dict, responder: Responder) -> Outcome:
    try:
        post = responder.post_private if record["visibility"] == "private" else responder.post_public
        result = post(mention, record["text"], record["idempotency_key"])
    except ReplyFailed as exc:
        _settle(app, record, "failed", error=str(exc))
        raise
    except OutcomeUnknown as exc:
        _settle(app, record, "unknown", error=str(exc))
        raise SocialwatchError(f"the reply's outcome is unknown ({exc}); run `socialwatch outbox reconcile`") from None
    except SocialwatchError as exc:
        _settle(app, record, "failed", error=str(exc))
        raise
    except Exception as exc:  # an unexpected error after the call may have left: never assume failure
        _settle(app, record, "unknown", error=f"{type(exc).__name__}: {exc}")
        raise SocialwatchError(f"the reply's outcome is unknown ({type(exc).__name__}); run `socialwatch outbox reconcile`") from None
    finally:
        responder.close()
    state = "sent" if result.confirmed else "unknown"
    return _settle(app, record, state, reply_id=result.reply_id, url=result.url,
                   error=None if result.confirmed else "the platform did not confirm the reply; reconcile")


def _settle(app: App, record: dict, state: str, **fields: Any) -> Outcome:
    """Record the outcome; on `sent`, update the mention (first response, status, replies)."""
    store = app.store
    now = model.iso(model.utcnow())
    with store.session() as s:
        stored = s.reply(record["id"])
        if stored is None:
            raise NotFound(f"outbox record {record['id']} vanished")
        updated = {**stored, **fields, "state": state, "updated_at": now}
        s.save_reply(updated)
        mention = s.get_in_case(record["mention_id"])
        entries = [audit.entry(record["agent"], f"reply-{state}", record["mention_id"], None, None, record=record["id"],
                               error=updated.get("error"))]
        if mention is not None and record.get("kind") == "csat":  # a satisfaction survey, not a reply
            from socialwatch import csat

            st = _csat_settings(app)
            entries = csat.settled(s, mention, updated, state, now, st.expires if st else None)
        elif state == "sent" and mention is not None:
            from socialwatch.cases import sync

            before = copy.deepcopy(mention)
            _apply_sent(mention, updated, now)
            if mention.get("status") != before.get("status"):
                from socialwatch.workflow import status_changed

                status_changed(s, _AsAgent(app, record["agent"]), before, mention)
            s.put(mention)
            case_entries = sync(s, record["agent"], "replied", before, mention)  # assignee, closing: the whole case
            entries.append(audit.entry(record["agent"], "replied", mention["id"], before, mention, record=record["id"]))
            entries += case_entries
        s.audit(entries)
    return Outcome(record=updated, mention=mention)


class _AsAgent:
    """The app seen as the agent who sent a reply (whoever settles it, e.g. `outbox reconcile`)."""

    def __init__(self, app: App, agent: str) -> None:
        self.config = app.config
        self.agent = agent


def _csat_settings(app: App) -> Any:
    from socialwatch import csat

    try:
        return csat.settings(app.config)
    except ConfigError:
        return None


def _apply_sent(mention: dict, record: dict, now: str) -> None:
    if not mention.get("first_response_at"):
        mention["first_response_at"] = now
        mention["first_replied_by"] = record["agent"]
    replies = list(mention.get("replies") or [])
    replies.append({"record": record["id"], "at": now, "agent": record["agent"], "visibility": record["visibility"],
                    "reply_id": record.get("reply_id"), "url": record.get("url"), "text": record.get("text")})
    mention["replies"] = replies
    mention["replied_by"] = record["agent"]
    draft = mention.get("draft") or {}
    if draft.get("text") == record["text"]:
        mention["draft"] = None
    if record.get("resolve"):
        mention["status"] = "resolved"
        mention["resolved_at"] = mention.get("resolved_at") or now
    elif mention.get("status") in ("new", "open"):
        mention["status"] = "pending"
    if not mention.get("assignee"):
        mention["assignee"] = record["agent"]


def records(app: App, states: tuple[str, ...] | None = None) -> list[dict]:
    """Outbox records, oldest first, optionally only in some states."""
    return app.store.replies(states)


def _record(app: App, record_id: str) -> dict:
    for r in records(app):
        if r["id"] == record_id:
            return r
    raise NotFound(f"no outbox record {record_id!r}")


def reconcile(app: App) -> list[tuple[dict, str]]:
    """Settle every `sending`/`unknown` record by asking its responder; returns (record, result)."""
    results = []
    for r in records(app, ("sending", "unknown", "pending")):
        try:
            mention = app.store.get(r["mention_id"])
            responder = build_responder(app, r["responder"])
        except SocialwatchError as exc:
            results.append((r, f"still unknown: {exc}"))
            continue
        try:
            found = responder.find_reply(mention, r)
        except OutcomeUnknown as exc:
            results.append((r, f"still unknown: {exc}"))
            continue
        except SocialwatchError as exc:
            results.append((r, f"still unknown: {exc}"))
            continue
        finally:
            responder.close()
        if found is not None:
            out = _settle(app, r, "sent", reply_id=found.reply_id, url=found.url, error=None)
            results.append((out.record, "sent"))
        else:
            out = _settle(app, r, "failed", error="not found on the platform: it was not posted")
            results.append((out.record, "failed"))
    return results


def retry(app: App, record_id: str) -> Outcome:
    """Send a `failed` record again (same idempotency key)."""
    store = app.store
    responder = build_responder(app, _record(app, record_id)["responder"])
    with store.session() as s:
        stored = s.reply(record_id)
        if stored is None:
            raise NotFound(f"no outbox record {record_id!r}")
        record = dict(stored)
        if record["state"] != "failed":
            raise Conflict(f"outbox record {record_id} is {record['state']}: only failed replies can be retried"
                           + (" (reconcile it first)" if record["state"] in IN_FLIGHT else ""))
        others = [r for r in _records_for(s, record["mention_id"]) if r["id"] != record_id and r["state"] in IN_FLIGHT]
        if others:
            raise Conflict(f"another reply to {record['mention_id']} is in flight ({others[0]['id']})")
        record.update(state="sending", attempts=int(record.get("attempts", 1)) + 1, updated_at=model.iso(model.utcnow()),
                      agent=app.agent)
        s.save_reply(record)
        mention = s.require(record["mention_id"])
    return _deliver(app, record, mention, responder)
