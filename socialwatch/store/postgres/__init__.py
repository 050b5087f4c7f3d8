"""The PostgreSQL store: the same interface as `socialwatch.store.tiny.TinyStore`, for teams on several machines.

Chosen with `[store] backend = "postgres"` and `url = "$DATABASE_URL"` (a libpq URL read from
the environment). psycopg is imported only when this backend is used.

How it keeps the TinyDB store's promises the database's way:
- A `PgSession` is one transaction. Every mention, outbox record or state document it reads
  for writing is locked (`SELECT … FOR UPDATE`), so two agents changing one mention are
  serialised and no update is lost; the transaction commits when the block ends without error
  and rolls back otherwise, so a failed command changes nothing.
- New mentions are upserted on their id (`INSERT … ON CONFLICT DO NOTHING`; big batches by
  COPY, falling back to that insert when another session stores one of their ids meanwhile):
  polling the same data twice, or from two machines at once, stores each mention once. Rows go
  in by id order, so that two sessions adding overlapping ids (two imports of one file, in any
  order) wait for each other one way only and never deadlock.
- `claim` takes the best unassigned open mention with `FOR UPDATE SKIP LOCKED`: agents racing
  for the queue never wait on each other and never get the same mention.
- Per-source polling holds a session-level advisory lock, so pollers on different machines
  never poll one source at once.
- Each committed change to the queue sends `NOTIFY socialwatch_queue` (payload: action, id,
  agent), which `triage` listens to.
- The password of the URL never appears in errors, logs or `health`: `describe()` masks it.

One-shot commands use one connection; the daemon calls `use_pool()` for a connection pool.
A forked child (the daemon's polls) never touches its parent's connections.

Modules: `store` (`PgStore`: connections, schema check, reads; `upgrade`), `session` (`PgSession`,
one transaction), `codec` (documents and rows), `filters` (queue filters and the live priority
as SQL), `schema` (the migrations), `locks` (advisory locks), `presence`, `watcher` (LISTEN),
`errors` (what reaches people: masked URLs, lock timeouts).
"""

from socialwatch.store.postgres.codec import ROWS, decode, encode, encode_row
from socialwatch.store.postgres.errors import SchemaMismatch, masked_url
from socialwatch.store.postgres.filters import LIVE_PRIORITY
from socialwatch.store.postgres.locks import AdvisoryLock
from socialwatch.store.postgres.presence import PgPresence
from socialwatch.store.postgres.schema import SCHEMA_VERSION, schema_version
from socialwatch.store.postgres.session import BATCH, CHANNEL, COPY_MIN, PgSession
from socialwatch.store.postgres.store import PgStore, upgrade
from socialwatch.store.postgres.watcher import PgWatcher

__all__ = ["BATCH", "CHANNEL", "COPY_MIN", "LIVE_PRIORITY", "ROWS", "SCHEMA_VERSION", "AdvisoryLock", "PgPresence",
           "PgSession", "PgStore", "PgWatcher", "SchemaMismatch", "decode", "encode", "encode_row", "masked_url",
           "schema_version", "upgrade"]
