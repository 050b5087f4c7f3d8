"""PostgreSQL backend benchmarks, as ratios to baselines measured in the same run (run by hand).

    .venv/bin/python bench/bench_postgres.py [--stored 1000000] [--open 5000] [--reps 7]
        [--agents 20] [--seconds 60] [--agent-mode cli|lib|both] [--explain] [--skip ingest|store|agents]

A throwaway PostgreSQL server is started with tests/pg_server.PgTestServer (its settings: fsync,
synchronous_commit and full_page_writes off, so absolute times flatter commits; shared_buffers at
PostgreSQL's default of 128MB, where the tests use 32MB); the ratios compare like with like. The
server runs on the same machine as socialwatch and the baselines, so in the ingest figure it
competes with the import for the same cores. Every home is a temporary SOCIALWATCH_HOME whose
config says `[store] backend = "postgres"`, `url = "$SOCIALWATCH_BENCH_DB"`, with its own
database created by `socialwatch db upgrade`. Every timed command is the real `socialwatch`
console script in a subprocess.

1. Ingest: `socialwatch import` of the ~23,700 VADER ground-truth texts into an empty
   PostgreSQL-backed home, as texts per second, against a plain script running vaderSentiment's
   `polarity_scores` over the same texts (target >= 0.8x). Input built as in bench_foundation.
2. Stored mentions: a "big" database is filled with STORED mentions (default 1,000,000; OPEN of
   them open, the rest resolved/ignored history, ~STORED/4 authors plus a few heavy authors with
   hundreds of mentions each). The documents are copies of mentions that `socialwatch import`
   scored and stored (texts from the VADER set, some with routing keywords), given new ids,
   dates, authors and workflow fields; they go in through `PgSession.add` in batches of 10,000
   (the real code path, so every column is computed by `store.postgres.encode_row`), then VACUUM ANALYZE
   (what autovacuum does to such a table anyway). The fill time is printed.
   Against the same command on an empty database (triage) or a near-empty one holding a handful
   of mentions from the same generator (show, resolve, tag, claim), each within 3x:
   `triage --json --limit 50`, `show ID` (an open mention of a heavy author, so its 20-entry
   author history is read; and an archived one), `resolve ID`, `tag ID TAG`, `claim --json`.
3. Agents: AGENTS concurrent agent processes run claim -> resolve loops for SECONDS on the big
   database ("cli": each step a `socialwatch --as AGENT claim --json` / `resolve ID` subprocess;
   "lib": the same calls to `workflow.claim`/`workflow.resolve` in-process, many more claims per
   second, so many more races). Before each run the open backlog is topped up so that it cannot
   run dry. Target: every claim completed exactly once: no mention id claimed twice (by the
   agents' own records and by the audit log), every claimed mention resolved and assigned to its
   claimer, one claim and one resolve audit entry per claimed mention and no others, no outbox
   record written. Claims per second are reported (not a target).

Every latency figure is the median of interleaved runs (baseline, then target, REPS times), so
machine noise hits both sides alike; nothing here asserts a wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
import bench_foundation as bf  # noqa: E402

from socialwatch import model  # noqa: E402
from socialwatch.store.postgres import PgStore  # noqa: E402
from tests.pg_server import PgTestServer  # noqa: E402

SW, PY = bf.SW, bf.PY
URL_VAR = "SOCIALWATCH_BENCH_DB"
FILL_BATCH = 10_000
AGENT_NAMES = [f"agent{i:02d}" for i in range(100)]
SUPPORT = ["my bill is wrong again, I want a refund", "no signal at home since this morning, outage?",
           "charged twice this month!!!", "thinking of switching to another network", "thanks for the quick help",
           "router keeps dropping, not working", "still waiting on an engineer visit", "roaming charges are a joke",
           "I want to cancel my contract", "app won't let me log in", "great service today, thank you"]

results: list[tuple[str, str, str, bool]] = []  # (what, figure, target, passed)


def record(what: str, figure: str, target: str, passed: bool) -> None:
    results.append((what, figure, target, passed))


# ---- homes ---------------------------------------------------------------------------------------
def pg_home(tmp: pathlib.Path, server: PgTestServer, name: str) -> dict:
    """A fresh SOCIALWATCH_HOME on its own, freshly upgraded, PostgreSQL database."""
    url = server.create_database(name)
    env = bf.fresh_home(tmp, name)
    env[URL_VAR] = url
    config = pathlib.Path(env["SOCIALWATCH_HOME"]) / "socialwatch.toml"
    text = config.read_text(encoding="utf-8")
    assert 'backend = "tinydb"' in text
    config.write_text(text.replace('backend = "tinydb"', f'backend = "postgres"\nurl = "${URL_VAR}"', 1), encoding="utf-8")
    subprocess.run([SW, "db", "upgrade"], env=env, check=True, stderr=subprocess.DEVNULL)
    return env


def sql(env: dict, query: str, params: tuple = ()) -> list:
    import psycopg

    with psycopg.connect(env[URL_VAR], autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


# ---- 1. ingest -----------------------------------------------------------------------------------
def bench_ingest(tmp: pathlib.Path, server: PgTestServer, texts: list[str], reps: int) -> None:
    data, plain = bf.ingest_inputs(tmp, texts)  # the same input and baseline as bench_foundation
    base_t, ours_t = [], []
    for i in range(reps):
        env = pg_home(tmp, server, f"ingest{i}")
        base_t.append(bf.timed([PY, str(plain), str(data)], env))
        ours_t.append(bf.timed([SW, "import", str(data)], env))
        stored = sql(env, "SELECT count(*) FROM mentions")[0][0]
        if stored != len(texts):
            raise SystemExit(f"ingest: {stored} mentions stored, expected {len(texts)}")
    base, ours = statistics.median(base_t), statistics.median(ours_t)
    ratio = base / ours
    print(f"ingest: {len(texts)} texts, socialwatch import (postgres) {len(texts) / ours:.0f}/s vs plain VADER "
          f"{len(texts) / base:.0f}/s = {ratio:.2f}x (target >= 0.8x)")
    record("ingest (texts/s vs plain VADER)", f"{ratio:.2f}x", ">= 0.8x", ratio >= 0.8)


# ---- 2. stored mentions --------------------------------------------------------------------------
def scored_templates(tmp: pathlib.Path, server: PgTestServer, texts: list[str], count: int = 2000) -> list[dict]:
    """Mentions as `socialwatch import` scores, routes and stores them (the fill copies these)."""
    rng = random.Random(3)
    env = pg_home(tmp, server, "templates")
    data = tmp / "templates.jsonl"
    with open(data, "w", encoding="utf-8") as fh:
        for i in range(count):
            text = rng.choice(texts)
            if i % 3 == 0:
                text = f"@NorthwindHelp {rng.choice(SUPPORT)}. {text}"
            fh.write(json.dumps({"id": f"file:t{i}", "text": text, "author": {"handle": f"t{i}"}}) + "\n")
    subprocess.run([SW, "import", str(data)], env=env, check=True, stdout=subprocess.DEVNULL)
    store = PgStore(env[URL_VAR])
    try:
        return list(store.iter_all())
    finally:
        store.close()


class Generator:
    """Realistic stored mentions: copies of scored templates with new ids, dates, authors and workflow."""

    def __init__(self, templates: list[dict], authors: int, seed: int) -> None:
        self.templates = templates
        self.authors = max(1, authors)
        self.heavy = [f"LoudCustomer{k}" for k in range(20)]
        self.rng = random.Random(seed)
        self.now = datetime.now(timezone.utc)

    def mention(self, n: int, is_open: bool, prefix: str = "m") -> dict:
        rng = self.rng
        t = rng.choice(self.templates)
        created = self.now - timedelta(seconds=rng.uniform(60, 2 * 86400 if is_open else 365 * 86400))
        handle = rng.choice(self.heavy) if rng.random() < 0.01 else f"Cust{rng.randrange(self.authors)}"
        doc = {**t, "id": f"file:{prefix}{n}", "native_id": f"{prefix}{n}", "created_at": model.iso(created),
               "fetched_at": model.iso(created + timedelta(seconds=rng.uniform(5, 300))),
               "author": {**t["author"], "handle": handle, "name": handle.lower(), "followers": rng.randrange(5000)},
               "tags": list(t.get("tags") or []), "notes": [], "assignee": None, "first_response_at": None,
               "resolved_at": None}
        if is_open:
            roll = rng.random()
            if roll < 0.1:  # someone is on it already: claim must pass it over
                doc.update(status="open", assignee=rng.choice(AGENT_NAMES[:8]), assigned_at=model.iso(created))
            elif roll < 0.15:
                doc.update(status="pending", first_response_at=model.iso(created + timedelta(minutes=20)))
            else:
                doc["status"] = "new"
        else:
            done = created + timedelta(hours=rng.uniform(0.2, 48))
            doc.update(status="resolved" if rng.random() < 0.9 else "ignored", assignee=rng.choice(AGENT_NAMES[:8]),
                       assigned_at=model.iso(created + timedelta(minutes=5)),
                       first_response_at=model.iso(created + timedelta(minutes=rng.uniform(5, 180))),
                       resolved_at=model.iso(done))
            if rng.random() < 0.2:
                doc["notes"] = [{"at": model.iso(done), "agent": doc["assignee"], "text": "sorted, customer happy"}]
        return doc

    def fill(self, env: dict, stored: int, open_count: int, prefix: str = "m") -> list[str]:
        """Store `stored` mentions through PgSession.add (batches of FILL_BATCH); the open ones' ids."""
        open_at = set(self.rng.sample(range(stored), min(open_count, stored)))
        open_ids = []
        store = PgStore(env[URL_VAR])
        try:
            for start in range(0, stored, FILL_BATCH):
                batch = [self.mention(n, n in open_at, prefix) for n in range(start, min(stored, start + FILL_BATCH))]
                with store.session() as s:
                    added = s.add(batch)
                if len(added.new) != len(batch):
                    raise SystemExit(f"fill: {len(added.new)} of {len(batch)} stored")
                open_ids += [m["id"] for m in batch if m["status"] != "resolved" and m["status"] != "ignored"]
        finally:
            store.close()
        return open_ids


def vacuum(env: dict) -> None:
    sql(env, "VACUUM ANALYZE mentions")
    sql(env, "VACUUM ANALYZE audit")


def unassigned_open(env: dict, ids: list[str]) -> list[str]:
    """Of `ids`, the open unassigned ones, lowest priority first (so they are not the next claims)."""
    rows = sql(env, "SELECT id FROM mentions WHERE id = ANY(%s) AND is_open AND assignee IS NULL "
                    "ORDER BY priority, created_at DESC", (ids,))
    return [r[0] for r in rows]


def heavy_open(env: dict) -> str:
    """An open mention of the author with the most history (show reads 20 earlier mentions)."""
    rows = sql(env, "SELECT m.id FROM mentions m WHERE m.is_open AND m.author_key = (SELECT author_key FROM mentions "
                    "WHERE author_key LIKE 'loudcustomer%%' GROUP BY author_key ORDER BY count(*) DESC LIMIT 1) LIMIT 1")
    if not rows:  # tiny fills: any open mention
        rows = sql(env, "SELECT id FROM mentions WHERE is_open LIMIT 1")
    return rows[0][0]


def compare(label: str, small_env: dict, big_env: dict, make_cmd, reps: int, small_name: str) -> None:
    """Median of interleaved runs: the command on the small database, then on the big one."""
    small_t, big_t = [], []
    for i in range(reps):
        small_t.append(bf.timed(make_cmd(small_env, i), small_env))
        big_t.append(bf.timed(make_cmd(big_env, i), big_env))
    small, big = statistics.median(small_t), statistics.median(big_t)
    ratio = big / small
    print(f"{label}: {big * 1000:.0f} ms (big) vs {small * 1000:.0f} ms ({small_name}) = {ratio:.2f}x (target <= 3x)")
    record(label, f"{ratio:.2f}x", "<= 3x", ratio <= 3)


def bench_store(tmp: pathlib.Path, server: PgTestServer, templates: list[dict], stored: int, open_count: int,
                reps: int, explain: bool) -> dict:
    handful = 3 * reps + 10
    empty = pg_home(tmp, server, "empty")
    small = pg_home(tmp, server, "small")
    small_open = Generator(templates, 5, seed=11).fill(small, handful + 10, handful, prefix="s")
    big = pg_home(tmp, server, "big")
    t0 = time.perf_counter()
    big_open = Generator(templates, stored // 4, seed=7).fill(big, stored, open_count)
    fill = time.perf_counter() - t0
    t0 = time.perf_counter()
    vacuum(big)
    vacuum(small)
    vac = time.perf_counter() - t0
    size = sql(big, "SELECT pg_size_pretty(pg_total_relation_size('mentions'))")[0][0]
    print(f"store: filled {stored} mentions ({open_count} open) through PgSession.add in {fill:.1f} s "
          f"({stored / fill:.0f}/s), VACUUM ANALYZE {vac:.1f} s; mentions table + indexes {size}")
    if explain:
        explain_queries(big)

    compare("triage --json --limit 50", empty, big, lambda e, i: [SW, "triage", "--json", "--limit", "50"], reps,
            "empty")
    def key(e: dict) -> str:
        return e[URL_VAR]

    shows = {key(small): heavy_open(small), key(big): heavy_open(big)}
    history = sql(big, "SELECT count(*) FROM mentions WHERE author_key = (SELECT author_key FROM mentions WHERE id = %s)",
                  (shows[key(big)],))[0][0]
    near_empty = f"{handful + 10} stored"
    compare(f"show ID (open, author with {history - 1} earlier)", small, big, lambda e, i: [SW, "show", shows[key(e)]],
            reps, near_empty)
    archived = {key(e): sql(e, "SELECT id FROM mentions WHERE NOT is_open ORDER BY seq OFFSET %s LIMIT 1",
                            (n // 2,))[0][0] for e, n in ((small, 10), (big, stored - open_count))}
    compare("show ID (archived)", small, big, lambda e, i: [SW, "show", archived[key(e)]], reps, near_empty)
    compare("tag ID TAG", small, big, lambda e, i: [SW, "tag", shows[key(e)], f"bench{i}"], reps, near_empty)
    victims = {key(small): unassigned_open(small, small_open), key(big): unassigned_open(big, big_open)}
    compare("resolve ID", small, big, lambda e, i: [SW, "resolve", victims[key(e)].pop(0)], reps, near_empty)
    compare("claim --json", small, big, lambda e, i: [SW, "--as", f"bench{i}", "claim", "--json"], reps, near_empty)
    return big


def explain_queries(env: dict) -> None:
    """EXPLAIN ANALYZE of the queries behind the timed commands, at the big database's size."""
    some = sql(env, "SELECT id, author_key FROM mentions WHERE id = %s", (heavy_open(env),))[0]
    queries = {
        "triage (select_open, limit 50)": ("SELECT doc, raw FROM mentions WHERE is_open ORDER BY priority DESC, "
                                           "created_at, id LIMIT 250", ()),
        "claim (next_unassigned)": ("SELECT doc, raw FROM mentions WHERE is_open AND assignee IS NULL ORDER BY "
                                    "priority DESC, created_at, id LIMIT 50 OFFSET 0 FOR UPDATE SKIP LOCKED", ()),
        "show (get)": ("SELECT doc, raw FROM mentions WHERE id = %s", (some[0],)),
        "show (author_history, heaviest author)": ("SELECT doc, raw FROM mentions WHERE author_key = %s AND id <> %s "
                                  "ORDER BY created_at DESC LIMIT 20", (some[1], some[0])),
        "count (health, db status, export; no timed command)": ("SELECT count(*) FILTER (WHERE is_open), count(*) FILTER (WHERE NOT is_open) FROM mentions", ()),
    }
    import psycopg

    with psycopg.connect(env[URL_VAR]) as conn:
        for label, (query, params) in queries.items():
            plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, params).fetchall()
            print(f"  EXPLAIN ANALYZE {label}:")
            for (line,) in plan:
                print(f"    {line}")
            conn.rollback()


# ---- 3. concurrent agents ------------------------------------------------------------------------
DRIVER = r'''
import json, subprocess, sys, time
mode, agent, seconds, out, sw, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6])
claims, resolved, errors, claim_s = [], [], [], []
if mode == "lib":
    from socialwatch import workflow
    from socialwatch.app import App
    app = App(agent=agent)
while time.time() < start_at:
    time.sleep(0.002)
deadline = start_at + seconds
empty = False
while time.time() < deadline:
    t0 = time.perf_counter()
    if mode == "cli":
        p = subprocess.run([sw, "--as", agent, "claim", "--json"], capture_output=True, text=True)
        if p.returncode == 1 and "Nothing to claim" in p.stderr:
            empty = True
            break
        if p.returncode:
            errors.append("claim: " + p.stderr.strip()[-300:])
            continue
        mid = json.loads(p.stdout)["id"]
    else:
        try:
            m = workflow.claim(app)
        except Exception as exc:
            errors.append(f"claim: {type(exc).__name__}: {exc}")
            continue
        if m is None:
            empty = True
            break
        mid = m["id"]
    claim_s.append(time.perf_counter() - t0)
    claims.append(mid)
    if mode == "cli":
        p = subprocess.run([sw, "--as", agent, "resolve", mid], capture_output=True, text=True)
        ok, why = p.returncode == 0, p.stderr.strip()[-300:]
    else:
        try:
            workflow.resolve(app, mid)
            ok, why = True, ""
        except Exception as exc:
            ok, why = False, f"{type(exc).__name__}: {exc}"
    if ok:
        resolved.append(mid)
    else:
        errors.append(f"resolve {mid}: {why}")
with open(out, "w") as fh:
    json.dump({"agent": agent, "claims": claims, "resolved": resolved, "errors": errors, "empty": empty,
               "claim_s": claim_s, "ended": time.time()}, fh)
'''


def bench_agents(tmp: pathlib.Path, env: dict, templates: list[dict], agents: int, seconds: float, mode: str) -> None:
    need = {"cli": 400, "lib": 1500}[mode] * agents * max(1.0, seconds / 60)
    have = sql(env, "SELECT count(*) FROM mentions WHERE is_open AND assignee IS NULL")[0][0]
    if have < need:
        Generator(templates, 50_000, seed=int(time.time())).fill(env, int(need - have), int(need - have),
                                                                 prefix=f"q{mode}{int(time.time())}x")
        sql(env, "ANALYZE mentions")
    backlog = sql(env, "SELECT count(*) FROM mentions WHERE is_open AND assignee IS NULL")[0][0]
    audit_mark = sql(env, "SELECT coalesce(max(seq), 0) FROM audit")[0][0]
    outbox_before = sql(env, "SELECT count(*) FROM outbox")[0][0]
    driver = tmp / "agent_driver.py"
    driver.write_text(DRIVER)
    names = [f"{mode}-agent{k:02d}" for k in range(agents)]
    start_at = time.time() + 3.0  # every agent starts its loop at once (after its own imports)
    procs = [subprocess.Popen([PY, str(driver), mode, name, str(seconds), str(tmp / f"{name}.json"), SW, str(start_at)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for name in names]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise SystemExit(f"agent driver failed: {err.strip()[-500:]}")
    reports = [json.loads((tmp / f"{name}.json").read_text()) for name in names]
    wall = max(r["ended"] for r in reports) - start_at

    problems: list[str] = []
    claimed: dict[str, str] = {}
    for r in reports:
        problems += [f"{r['agent']}: {e}" for e in r["errors"]]
        for mid in r["claims"]:
            if mid in claimed:
                problems.append(f"{mid} claimed by {claimed[mid]} and {r['agent']}")
            claimed[mid] = r["agent"]
        problems += [f"{mid} claimed by {r['agent']} but not resolved" for mid in set(r["claims"]) - set(r["resolved"])]
    total = sum(len(r["claims"]) for r in reports)
    rows = sql(env, "SELECT mention_id, entry->>'action', entry->>'agent' FROM audit WHERE seq > %s ORDER BY seq",
               (audit_mark,))
    per_id: dict[str, list[tuple[str, str]]] = {}
    for mid, action, agent in rows:
        per_id.setdefault(mid, []).append((action, agent))
    for mid, agent in claimed.items():
        if per_id.get(mid) != [("claim", agent), ("resolve", agent)]:
            problems.append(f"{mid}: audit {per_id.get(mid)}, expected claim then resolve by {agent}")
    problems += [f"{mid}: audit entries {entries} for a mention no agent reports claiming"
                 for mid, entries in per_id.items() if mid not in claimed]
    state = sql(env, "SELECT id, status, is_open, assignee, doc->>'status', doc->>'assignee' FROM mentions "
                     "WHERE id = ANY(%s)", (list(claimed),))
    problems += [f"{mid}: stored status {st}/{dst}, open {op}, assignee {asg}/{dasg}, claimed by {claimed[mid]}"
                 for mid, st, op, asg, dst, dasg in state
                 if (st, op, asg, dst, dasg) != ("resolved", False, claimed[mid], "resolved", claimed[mid])]
    if len(state) != len(claimed):
        problems.append(f"{len(claimed) - len(state)} claimed mentions missing from the store")
    outbox_after = sql(env, "SELECT count(*) FROM outbox")[0][0]
    if outbox_after != outbox_before:
        problems.append(f"outbox went from {outbox_before} to {outbox_after} records (claim/resolve write none)")
    dry = sum(r["empty"] for r in reports)
    claim_ms = statistics.median([s for r in reports for s in r["claim_s"]] or [0]) * 1000
    ok = not problems and total > 0
    print(f"agents ({mode}): {agents} agents x {seconds:.0f} s on {backlog} unassigned open mentions: {total} claims "
          f"({len(claimed)} distinct), {total / wall:.1f} claims/s, median claim {claim_ms:.0f} ms, "
          f"{len(rows)} audit entries, outbox {outbox_before}->{outbox_after}"
          + (f", {dry} agents found the queue empty" if dry else "") + f": {'consistent' if ok else 'PROBLEMS'}")
    for p in problems[:20]:
        print(f"  problem: {p}")
    if len(problems) > 20:
        print(f"  ... {len(problems) - 20} more problems")
    record(f"{agents} agents claim->resolve {seconds:.0f}s ({mode})", f"{total / wall:.1f} claims/s, {total} claims",
           "each claim exactly once", ok)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=str(ROOT.parent / "shared" / "fixtures"))
    ap.add_argument("--stored", type=int, default=1_000_000)
    ap.add_argument("--open", type=int, default=5_000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--agents", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--agent-mode", default="both", choices=["cli", "lib", "both"])
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the store's queries at full size")
    ap.add_argument("--skip", action="append", default=[], choices=["ingest", "store", "agents"])
    args = ap.parse_args()
    bf.precompile()
    began = time.perf_counter()
    texts = bf.vader_texts(pathlib.Path(args.fixtures) / "vader")
    if not texts:
        raise SystemExit(f"no VADER ground-truth texts under {args.fixtures}/vader")
    server = PgTestServer(settings={"shared_buffers": "128MB"})  # PostgreSQL's default (the tests use 32MB)
    server.start()
    version = sql({URL_VAR: server.url}, "SHOW server_version")[0][0]
    buffers = sql({URL_VAR: server.url}, "SHOW shared_buffers")[0][0]
    print(f"PostgreSQL {version} (throwaway server: fsync=off, synchronous_commit=off, full_page_writes=off, "
          f"shared_buffers={buffers}); {os.cpu_count()} CPUs")
    try:
        with tempfile.TemporaryDirectory() as d:
            tmp = pathlib.Path(d)
            if "ingest" not in args.skip:
                bench_ingest(tmp, server, texts, max(3, args.reps // 2))
            big = None
            templates = scored_templates(tmp, server, texts) if {"store", "agents"} - set(args.skip) else []
            if "store" not in args.skip:
                big = bench_store(tmp, server, templates, args.stored, args.open, args.reps, args.explain)
            if "agents" not in args.skip:
                if big is None:
                    big = pg_home(tmp, server, "agents")
                    Generator(templates, args.stored // 4, seed=7).fill(big, args.stored, args.open)
                    vacuum(big)
                for mode in (["cli", "lib"] if args.agent_mode == "both" else [args.agent_mode]):
                    bench_agents(tmp, big, templates, args.agents, args.seconds, mode)
    finally:
        server.stop()
    print(f"\n{'measure':<48} {'figure':<28} {'target':<24} result")
    for what, figure, target, passed in results:
        print(f"{what:<48} {figure:<28} {target:<24} {'PASS' if passed else 'FAIL'}")
    print(f"(whole run {time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
