"""The TinyDB store: mentions, source state and replies, in JSON files, safe across processes.

Layout of the data directory:

    open.json               TinyDB: the open work (status new/open/pending), table "mentions"
    archive/seg-NNNNNN.json TinyDB: closed history (resolved/ignored), appended in segments of
                            at most SEGMENT_SIZE mentions, so one update never rewrites more
                            than one small file however long the history grows
    index/NN.json           where each archived id lives (id -> segment), 64 shards by hash
    authors/NN.json         customer history: lower-cased handle -> mention ids, 64 shards
    conversations/NN.json   threads: conversation id -> lower-cased handle -> ids of the mentions
                            in it whose own id is not the conversation id, 64 shards by
                            conversation (how a customer's later DM finds its case, see cases.py);
                            conversations/built.json marks it complete (a store from before it is
                            indexed once, by the first session that adds mentions)
    state.json              TinyDB: per-source cursor and health ("sources"), alerts, meta
    outbox.json             TinyDB: reply records of the exactly-once outbox ("replies")
    audit.jsonl             append-only audit log (see audit.py)
    store.lock              the inter-process lock taken by every read-modify-write

Rules (see `socialwatch.store.files` for the file format):
- Every read-modify-write runs in a `Session` holding `store.lock`. A session opens fresh
  TinyDB objects, so no cache from before the lock is trusted, and writes each changed file
  once, atomically, when it commits. Files are written in an order that never loses a
  mention: archive before index before open, mentions before cursors.
- Reads of the open queue need no lock: files are only ever replaced whole.
- Mentions are keyed on our own id ("twitter:123"), never on TinyDB's doc_id.
- An id present both in the open file and in the archive (a crash between two writes of a
  move) counts once: the open copy wins, and the next move replaces the archived copy.

Modules: `shards` (constants, the index/author/conversation shard files), `session` (the locked
read-modify-write), `conversations` (the conversation index, a mixin of the session), `store`
(`TinyStore`: paths, sessions, locks), `reads` (its lock-free reads, a mixin), `watcher` (live
queue changes for `triage`).
"""

from socialwatch.store.tiny.session import Session
from socialwatch.store.tiny.shards import KEY_FIELDS, LOCK_TIMEOUT, SEGMENT_SIZE, SHARDS, shard_of
from socialwatch.store.tiny.store import TinyStore
from socialwatch.store.tiny.watcher import FileWatcher

__all__ = ["KEY_FIELDS", "LOCK_TIMEOUT", "SEGMENT_SIZE", "SHARDS", "FileWatcher", "Session", "TinyStore", "shard_of"]
