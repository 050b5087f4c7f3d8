"""The `outbox` responder: writes each reply as a JSON line to a file instead of posting.

Every workflow (drafts, templates, exactly-once, reconciliation) can be tried with no
account. Lines are appended with O_APPEND and fsynced; each carries the idempotency key, so
`find_reply` can tell whether an attempt was written, and a second write of the same key is
refused, which makes the file exactly-once by itself.
"""

from __future__ import annotations

import fcntl
import os
import pathlib

import orjson

from socialwatch import model
from socialwatch.responders import Responder, SendResult


class OutboxResponder(Responder):
    type_name = "outbox"
    settings = {"path": str}

    @property
    def path(self) -> pathlib.Path:
        p = pathlib.Path(os.path.expanduser(self.config.get("path", "outbox/replies.jsonl")))
        return p if p.is_absolute() else pathlib.Path(self.context.config_dir) / p

    def post_public(self, mention: dict, text: str, key: str) -> SendResult:
        return self._write(mention, text, key, "public")

    def post_private(self, mention: dict, text: str, key: str) -> SendResult:
        return self._write(mention, text, key, "private")

    def _write(self, mention: dict, text: str, key: str, visibility: str) -> SendResult:
        path = self.path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            earlier = self._lookup(key)
            if earlier is not None:
                return earlier
            reply_id = f"outbox-{key[:16]}"
            line = {
                "reply_id": reply_id,
                "idempotency_key": key,
                "posted_at": model.iso(model.utcnow()),
                "visibility": visibility,
                "in_reply_to": mention["id"],
                "to": (mention.get("author") or {}).get("handle"),
                "platform": mention.get("platform"),
                "text": text,
            }
            os.write(fd, orjson.dumps(line) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        return SendResult(reply_id=reply_id, url=None, confirmed=True)

    def _lookup(self, key: str) -> SendResult | None:
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            return None
        with fh:
            for raw in fh:
                try:
                    line = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(line, dict) and line.get("idempotency_key") == key:
                    return SendResult(reply_id=line.get("reply_id"), url=None, confirmed=True)
        return None

    def find_reply(self, mention: dict, record: dict) -> SendResult | None:
        return self._lookup(record["idempotency_key"])
