#!/usr/bin/env bash
# Render `socialwatch report --html` for twelve generated weeks of mentions (hostile texts included),
# with agents' work in the audit log and satisfaction surveys answered, and screenshot it in headless
# Chromium with the network cut off, so a person can look at the PNG.
#
#   bench/check_html_report.sh [OUT_DIR]        (default: /tmp/socialwatch-report-check)
#
# Needs Chromium (Debian: apt-get install -y chromium). Writes OUT_DIR/report.html and
# OUT_DIR/report.png, fails if the page loads anything from the network or lets markup through,
# then prints the paths: open the PNG and check the charts, tables and escaped texts by eye.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
OUT=${1:-/tmp/socialwatch-report-check}
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$CHROME" ] || { echo "chromium not found (apt-get install -y chromium)" >&2; exit 2; }

mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export SOCIALWATCH_HOME="$WORK/home" NO_COLOR=1
mkdir -p "$SOCIALWATCH_HOME"

sw() {  # the CLI, with `report` attached if cli.py does not attach it yet
    (cd "$ROOT" && "$PY" -c 'import sys
from socialwatch.cli import cli, main
from socialwatch.commands.report import report
if "report" not in cli.commands:
    cli.add_command(report)
main(sys.argv[1:])' "$@")
}

"$PY" - "$WORK/weeks.jsonl" <<'PY'
"""Twelve deterministic weeks of mentions: office-hours traffic growing week by week, an outage spike
two days ago, answers, hostile texts."""
import json, random, sys
from datetime import datetime, timedelta, timezone

rng = random.Random(7)
now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
texts = [
    ("@NorthwindHelp charged twice on my bill again, I want a refund", True),
    ("No signal at all in Leeds since this morning, useless network", True),
    ("Still waiting for my refund, 3 weeks now. Terrible service!!", True),
    ("thinking of switching to another provider, the bill keeps going up", True),
    ("mobile data not working again after the update", True),
    ("@NorthwindMobile thanks, the new plan is great", False),
    ("how do I change my tariff? https://example.com/help", False),
    ("great support from your team today, cheers", False),
]
agents = ["alice", "bob", "carol", "dmitri"]
rows = []
for i in range(1500):
    age = timedelta(minutes=rng.randint(30, 12 * 7 * 24 * 60 - 30))
    if rng.random() < 0.4:  # more traffic in recent weeks
        age = age / 3
    created = now - age
    if created.weekday() < 5 and rng.random() < 0.6:  # more traffic in office hours
        created = created.replace(hour=rng.randint(8, 18))
    text, complaint = rng.choice(texts)
    row = {"id": f"wk{i}", "text": text, "created_at": created.isoformat(),
           "author": {"handle": rng.choice(["ann", "bo", "cyd", "dee"]) if complaint and rng.random() < 0.1 else f"user{i}"}}
    if rng.random() < 0.75 and created < now - timedelta(hours=30):
        row["first_response_at"] = (created + timedelta(minutes=rng.choice([5, 20, 45, 90, 200, 600, 1500]))).isoformat()
        row["assignee"] = rng.choice(agents)
        if rng.random() < 0.6:
            row["status"], row["resolved_at"] = "resolved", (created + timedelta(hours=rng.randint(1, 30))).isoformat()
    rows.append(row)
spike = now - timedelta(days=2, hours=3)
for i in range(25):
    rows.append({"id": f"sp{i}", "text": "network down, no signal, nothing works #outage", "author": {"handle": f"spike{i}"},
                 "created_at": (spike + timedelta(minutes=2 * i)).isoformat()})
for i in range(30):  # open work for today's agents, answered below through the CLI's library
    rows.append({"id": f"today{i}", "text": rng.choice(texts)[0], "author": {"handle": f"today{i}"},
                 "created_at": (now - timedelta(hours=rng.randint(2, 20))).isoformat()})
hostile = [
    {"id": "x1", "text": "<script>alert(1)</script> awful awful terrible <img src=x onerror=alert(1)>",
     "author": {"handle": "<img src=x onerror=alert(1)>"}, "tags": ["<script>alert(1)</script>"],
     "created_at": (now - timedelta(days=1)).isoformat()},
    {"id": "x2", "text": "I hate this \x1b]0;pwned\x07 \x1b[2J terrible \u202egnp.exe", "author": {"handle": "<img src=x onerror=alert(1)>"},
     "assignee": "\x1b[31mmallory", "first_response_at": (now - timedelta(hours=20)).isoformat(),
     "created_at": (now - timedelta(days=1, hours=1)).isoformat(), "tags": ["$\\frac{1}{0}$"]},
]
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    for row in rows + hostile:
        fh.write(json.dumps(row) + "\n")
PY

sw init >/dev/null 2>&1
printf '\n[csat]\nsources = ["import"]\nwhen = "on_resolve"\n' >>"$SOCIALWATCH_HOME/socialwatch.toml"
sw import "$WORK/weeks.jsonl" >/dev/null
(cd "$ROOT" && "$PY" - "$WORK/answers.jsonl" <<'PY'
"""Today's work through the library the CLI uses (so it lands in the audit log), surveys sent and answered."""
import json, random, sys
from socialwatch import csat, outbox, workflow
from socialwatch.app import App
from socialwatch.importer import import_file

rng = random.Random(11)
for i in range(30):
    mid, agent = f"file:today{i}", ["alice", "bob", "carol", "dmitri"][i % 4]
    app = App(agent=agent)
    if i % 5 == 4:
        workflow.resolve(app, mid)  # resolved without a reply and unassigned: still the agent's work
        continue
    workflow.assign(app, mid, agent)
    if i % 3 == 0:
        workflow.note(app, mid, "called the customer back")
        workflow.tag(app, mid, ["callback"])
    if i % 7 == 0:
        workflow.escalate(app, mid, "billing", "refund over the limit")
    outbox.send(app, mid, "Sorry about that, it is sorted now.", resolve=i % 2 == 0)
csat.send_due(App())
answers = ["5", "4/5 quick and friendly", "★★★★★", "2/5 took three days", "👍", "no, the bill is still wrong", "😀"]
rows = []
for m in App().store.iter_all():
    ref = (m.get("csat_survey") or {}).get("ref")
    if ref and rng.random() < 0.8:
        rows.append({"id": f"ans-{m['native_id']}", "text": rng.choice(answers), "author": m["author"], "in_reply_to": ref})
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    fh.writelines(json.dumps(r) + "\n" for r in rows)
import_file(App(), sys.argv[1])
PY
)
sw report --since 12w --html "$OUT/report.html"

"$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$WORK/chrome" --screenshot="$OUT/report.png" \
    --window-size=1200,2400 "file://$OUT/report.html" >"$WORK/chrome.log" 2>&1 || { cat "$WORK/chrome.log" >&2; exit 1; }

"$PY" - "$OUT/report.html" "$OUT/report.png" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
png = open(sys.argv[2], "rb").read()
problems = []
if re.search(r"""(src|href|action|srcset|poster)\s*=\s*["']?\s*(https?:)?//""", page, re.I) or "url(" in page:
    problems.append("a resource is loaded from the network")
if "<script" in page.lower() or "<img src=x" in page or "\x1b" in page:
    problems.append("hostile text was not escaped")
if page.count("data:image/png;base64,") < 7:
    problems.append("charts missing")
for part in ("Service levels in force", "Weekly trend", "Agent activity", "Satisfaction survey comments",
             "How these numbers are counted", "vs previous"):
    if part not in page:
        problems.append(f"section missing: {part}")
if not png.startswith(b"\x89PNG") or len(png) < 50_000:
    problems.append("the screenshot looks empty")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("ok: no network loads, hostile text escaped, 7 charts inlined, every section present")
PY
echo "HTML:       $OUT/report.html"
echo "Screenshot: $OUT/report.png   <- look at it"
