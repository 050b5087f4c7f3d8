"""Copying a whole store between backends (`socialwatch db migrate`): TinyDB <-> PostgreSQL.

Everything moves: mentions (open work and history), source cursors and health, alert and
hourly state, the outbox and the audit log, in batches. It is safe to run again after an
interruption: mentions already copied are skipped (or brought up to date when the source copy
changed), state and outbox records are upserted by key, and the audit log is copied from
where the target's copy ends (after checking that what is there is the source's beginning).
At the end the counts and the ids of both stores are compared; a difference is an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from socialwatch.errors import StoreError

STATE_NAMESPACES = ("sources", "alerts", "hourly")


@dataclass
class MigrationReport:
    """What a migration copied and what it verified."""

    mentions: int = 0
    copied: int = 0
    updated: int = 0
    state: int = 0
    replies: int = 0
    audit: int = 0
    verified: dict[str, Any] = field(default_factory=dict)


def migrate(source: Any, target: Any, progress: Callable[[int], None] | None = None) -> MigrationReport:
    """Copy everything in `source` into `target` (two stores), then verify; see the module doc."""
    report = MigrationReport()
    for batch in source.iter_batches():
        if not batch:
            continue
        with target.session() as s:
            result = s.add(batch)
            report.copied += len(result.new)
            by_id = {m["id"]: m for m in batch}
            for mid in result.duplicates:
                current = s.get(mid)
                if current != by_id[mid]:
                    s.put(by_id[mid])
                    report.updated += 1
        report.mentions += len(batch)
        if progress is not None:
            progress(len(batch))
    with target.session() as s:
        for namespace in STATE_NAMESPACES:
            for key, doc in source.state_all(namespace).items():
                s.state_put(namespace, key, doc)
                report.state += 1
        for record in source.replies():
            s.save_reply(record)
            report.replies += 1
    report.audit = _copy_audit(source, target)
    report.verified = verify(source, target)
    return report


def _copy_audit(source: Any, target: Any) -> int:
    """Append the source's audit entries the target lacks; the number appended."""
    have = list(target.audit_entries())
    entries = list(source.audit_entries())
    if len(have) > len(entries) or any(_digest(a) != _digest(b) for a, b in zip(have, entries, strict=False)):
        raise StoreError("the target's audit log is not a copy of the beginning of the source's: refusing to mix them "
                         "(migrate into an empty store)")
    rest = entries[len(have):]
    for start in range(0, len(rest), 5000):
        with target.session() as s:
            s.audit(rest[start : start + 5000])
    return len(rest)


def _digest(entry: dict) -> bytes:
    return hashlib.sha256(orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)).digest()


def _ids(store: Any) -> tuple[int, bytes]:
    """How many mentions and an order-independent digest of their ids."""
    count, acc = 0, 0
    for batch in store.iter_batches():
        for m in batch:
            count += 1
            acc ^= int.from_bytes(hashlib.sha256(m["id"].encode("utf-8", "surrogatepass")).digest()[:16], "big")
    return count, acc.to_bytes(16, "big")


def verify(source: Any, target: Any) -> dict[str, Any]:
    """Compare counts and ids (mentions), state keys, outbox ids and audit length; raise on a difference."""
    src_count, src_ids = _ids(source)
    dst_count, dst_ids = _ids(target)
    problems = []
    if src_count != dst_count:
        problems.append(f"{src_count} mentions in the source, {dst_count} in the target")
    elif src_ids != dst_ids:
        problems.append("the mention ids differ")
    if source.count() != target.count():
        problems.append(f"open/archived differ: {source.count()} vs {target.count()}")
    for namespace in STATE_NAMESPACES:
        if set(source.state_all(namespace)) - set(target.state_all(namespace)):
            problems.append(f"{namespace} state is missing in the target")
    if {r["id"] for r in source.replies()} - {r["id"] for r in target.replies()}:
        problems.append("outbox records are missing in the target")
    audit_src = sum(1 for _ in source.audit_entries())
    audit_dst = sum(1 for _ in target.audit_entries())
    if audit_src != audit_dst:
        problems.append(f"{audit_src} audit entries in the source, {audit_dst} in the target")
    if problems:
        raise StoreError("verification failed: " + "; ".join(problems))
    return {"mentions": src_count, **source.count(), "audit": audit_src}
