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
    "author_verified": (lambda m: _bool((m.get("author") or {}).get("verified")), "verified where known"),
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
    "angry": (lambda m: _bool((m.get("score") or {}).get("angry")), "angry flag (true/false)"),
    "viral": (lambda m: _bool((m.get("score") or {}).get("viral")), "viral flag (true/false)"),
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
    if not complaints and filters == Filters():
        yield from mentions  # nothing to filter: the common "export everything" case
        return
    for m in mentions:
        if filters.matches(m) and (not complaints or is_complaint(m)):
            yield m


def _full_row(m: dict) -> list[Any]:
    """Every column of `COLUMNS`, in order, in one pass (the hot loop of a large export)."""
    a = m.get("author") or {}
    sc = m.get("score") or {}
    x = m.get("metrics") or {}
    override = m.get("priority_override")
    if isinstance(override, int) and not isinstance(override, bool):
        prio = override
    else:
        prio = m.get("priority")
        prio = int(prio) if isinstance(prio, (int, float)) and not isinstance(prio, bool) else int(sc.get("priority", 0) or 0)
    sentiment = m.get("sentiment_override")
    if not sentiment:
        c = sc.get("compound")
        sentiment = "" if c is None else "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"
    return [
        m.get("id"), m.get("platform"), m.get("source"), m.get("kind"), m.get("created_at"),
        a.get("handle"), a.get("name"), a.get("followers"), _bool(a.get("verified")), m.get("text"), m.get("url"),
        m.get("lang"), m.get("status"), m.get("assignee"), m.get("team"), ",".join(m.get("tags") or []), prio,
        sc.get("priority"), sentiment, sc.get("compound"), _bool(sc.get("angry")), _bool(sc.get("viral")),
        m.get("first_response_at"), m.get("resolved_at"), len(m.get("replies") or []), x.get("likes"),
        x.get("reposts"), x.get("replies"), x.get("quotes"), m.get("conversation_id"), m.get("in_reply_to"),
        m.get("fetched_at"),
    ]


def _bool(value: Any) -> Any:
    return value if value is None else ("true" if value else "false")


_FIRST = frozenset(DANGEROUS)


def _quote(text: str) -> str:
    return text if _NUMBER.fullmatch(text) else "'" + text


def write_csv(mentions: Iterable[dict], out: IO[str], columns: list[str], bom: bool = False,
              tick: Callable[[], None] | None = None) -> int:
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    names = list(COLUMNS)
    every = columns == names
    positions = [names.index(c) for c in columns]
    n = 0
    for m in mentions:
        row = _full_row(m)
        if not every:
            row = [row[i] for i in positions]
        # `neutralise`, inlined for the hot loop: None is empty, strings that a spreadsheet would run
        # get a quote, numbers go to the csv module as they are (bools are already words)
        writer.writerow(["" if v is None else _quote(v) if v.__class__ is str and v and v[0] in _FIRST else v
                         for v in row])
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
    """An Excel workbook (xlsxwriter, a dependency imported only here); text cells are written as text."""
    try:
        import xlsxwriter  # type: ignore[import-not-found]
    except ImportError:
        from socialwatch.errors import UsageError

        raise UsageError("XLSX export needs the xlsxwriter package, which installing socialwatch brings along and "
                         "is missing here: run `pip install xlsxwriter` in socialwatch's environment (or reinstall "
                         "socialwatch); --format csv works without it") from None
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
