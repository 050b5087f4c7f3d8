"""`socialwatch export`: mentions to CSV (spreadsheet-safe) or JSON lines, streamed.

CSV columns are documented in `COLUMNS` and stable across versions (new columns are only ever
appended). Spreadsheet safety follows the OWASP CSV-injection rule: a cell that starts with
`=`, `+`, `-`, `@`, TAB or CR is prefixed with a single quote so that no spreadsheet runs it as
a formula; plain numbers (such as a compound of -0.54) are data and stay as they are. Text with
commas, quotes, newlines and any Unicode round-trips through Python's csv reader; `--bom` adds a
UTF-8 byte-order mark so that Excel opens the file as UTF-8.

The export streams: the open queue, then the closed history one archive segment at a time, so
memory stays bounded however large the store is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import orjson

from socialwatch.model import effective_priority
from socialwatch.queue import Filters


def _author(key: str) -> Callable[[dict], Any]:
    return lambda m: (m.get("author") or {}).get(key)


def _metric(key: str) -> Callable[[dict], Any]:
    return lambda m: (m.get("metrics") or {}).get(key)


def _score(key: str) -> Callable[[dict], Any]:
    return lambda m: (m.get("score") or {}).get(key)


def sentiment_label(m: dict) -> str:
    """The agent's correction when there is one, else VADER's label (±0.05 thresholds)."""
    if m.get("sentiment_override"):
        return m["sentiment_override"]
    compound = (m.get("score") or {}).get("compound")
    if compound is None:
        return ""
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


#: column name -> (getter, description). The order is the default column order.
COLUMNS: dict[str, tuple[Callable[[dict], Any], str]] = {
    "id": (lambda m: m.get("id"), "PLATFORM:NATIVE_ID"),
    "platform": (lambda m: m.get("platform"), "twitter, reddit, ..."),
    "source": (lambda m: m.get("source"), "configured source name"),
    "kind": (lambda m: m.get("kind"), "mention, reply, dm or search"),
    "created_at": (lambda m: m.get("created_at"), "posted (UTC, ISO 8601)"),
    "author_handle": (_author("handle"), "the customer's handle"),
    "author_name": (_author("name"), "display name"),
    "author_followers": (_author("followers"), "followers where known"),
    "author_verified": (_author("verified"), "verified where known"),
    "text": (lambda m: m.get("text"), "the mention's text"),
    "url": (lambda m: m.get("url"), "link to the post"),
    "lang": (lambda m: m.get("lang"), "language where known"),
    "status": (lambda m: m.get("status"), "new, open, pending, resolved, ignored"),
    "assignee": (lambda m: m.get("assignee"), "agent"),
    "team": (lambda m: m.get("team"), "routed or escalated team"),
    "tags": (lambda m: ",".join(m.get("tags") or []), "comma-separated tags"),
    "priority": (effective_priority, "effective priority 0-100 (agent override or computed)"),
    "computed_priority": (_score("priority"), "priority computed by scoring"),
    "sentiment": (sentiment_label, "positive/neutral/negative (the agent's correction wins)"),
    "compound": (_score("compound"), "VADER compound -1..1"),
    "angry": (_score("angry"), "angry flag"),
    "viral": (_score("viral"), "viral flag"),
    "first_response_at": (lambda m: m.get("first_response_at"), "the brand's first reply (UTC)"),
    "resolved_at": (lambda m: m.get("resolved_at"), "resolved or ignored (UTC)"),
    "replies": (lambda m: len(m.get("replies") or []), "replies sent through socialwatch"),
    "likes": (_metric("likes"), "likes"),
    "reposts": (_metric("reposts"), "reposts/retweets"),
    "reply_count": (_metric("replies"), "replies on the platform"),
    "quotes": (_metric("quotes"), "quotes"),
    "conversation_id": (lambda m: m.get("conversation_id"), "thread id"),
    "in_reply_to": (lambda m: m.get("in_reply_to"), "the post it answers"),
    "fetched_at": (lambda m: m.get("fetched_at"), "stored (UTC)"),
}

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def neutralise(value: Any) -> str:
    """A CSV cell that no spreadsheet will run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else str(value)
    if text.startswith(DANGEROUS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def choose_columns(spec: str | None) -> list[str]:
    if not spec:
        return list(COLUMNS)
    names = [c.strip() for c in spec.split(",") if c.strip()]
    unknown = [c for c in names if c not in COLUMNS]
    if unknown:
        from socialwatch.errors import UsageError

        raise UsageError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    return names


def is_complaint(m: dict) -> bool:
    score = m.get("score") or {}
    return bool(score.get("angry")) or sentiment_label(m) == "negative"


def select(mentions: Iterable[dict], filters: Filters, complaints: bool = False) -> Iterator[dict]:
    for m in mentions:
        if filters.matches(m) and (not complaints or is_complaint(m)):
            yield m


def write_csv(mentions: Iterable[dict], out: IO[str], columns: list[str], bom: bool = False,
              tick: Callable[[], None] | None = None) -> int:
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    getters = [COLUMNS[c][0] for c in columns]
    n = 0
    for m in mentions:
        writer.writerow([neutralise(g(m)) for g in getters])
        n += 1
        if tick is not None:
            tick()
    return n


def write_jsonl(mentions: Iterable[dict], out: IO[str], tick: Callable[[], None] | None = None) -> int:
    n = 0
    for m in mentions:
        data = dict(m)
        data["priority"] = effective_priority(m)
        out.write(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode("utf-8") + "\n")
        n += 1
        if tick is not None:
            tick()
    return n


def write_xlsx(mentions: Iterable[dict], path: str, columns: list[str]) -> int:
    """An Excel workbook (needs the optional xlsxwriter package); text cells are written as text."""
    try:
        import xlsxwriter  # type: ignore[import-not-found]
    except ImportError:
        from socialwatch.errors import UsageError

        raise UsageError("XLSX export needs the xlsxwriter package: pip install xlsxwriter") from None
    workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("mentions")
    sheet.write_row(0, 0, columns)
    getters = [COLUMNS[c][0] for c in columns]
    n = 0
    for n, m in enumerate(mentions, 1):
        for col, g in enumerate(getters):
            value = g(m)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(n, col, value)
            else:
                sheet.write_string(n, col, neutralise(value) if value is not None else "")
    workbook.close()
    return n
