"""`socialwatch export`: mentions to CSV, JSON lines or XLSX, streamed.

CSV columns are documented in `COLUMNS` and stable across versions (new columns are only ever
appended). A CSV is written for one of two readers (`--for`):

* `excel` (the default): for opening in a spreadsheet. UTF-8 with a byte-order mark (Excel on
  Windows needs it to read "£" or "é"), dates as `YYYY-MM-DD HH:MM:SS` (which Excel reads as
  dates; in UTC unless `--timezone` says otherwise), and the OWASP CSV-injection rule: a cell
  that starts with `=`, `+`, `-`, `@`, TAB or CR is prefixed with a single quote so that no
  spreadsheet runs it as a formula; plain numbers (such as a compound of -0.54) stay as they are.
* `analysis`: for pandas, R, BI tools and scripts. The texts exactly as stored (no quote added),
  ISO 8601 UTC dates (`2026-12-04T13:13:46Z`), no byte-order mark unless `--bom`. Not for opening
  in a spreadsheet: a text starting with "=" would be run as a formula there.

Text with commas, quotes, newlines and any Unicode round-trips through Python's csv reader in
both. XLSX (`--format xlsx`) types every cell: text cells are strings (never formulas, so no quote
is needed), numbers are numbers, dates are Excel dates (UTC unless `--timezone`), flags booleans.

The export streams: the open queue, then the closed history one archive segment at a time, so
memory stays bounded however large the store is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import IO, Any

import orjson

from socialwatch.model import effective_priority, utcnow
from socialwatch.queue import Filters


def _inner(part: str, key: str) -> Callable[[dict], Any]:
    """A getter of `m[part][key]` (None when either is missing)."""
    return lambda m: (m.get(part) or {}).get(key)


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
    "created_at": (lambda m: m.get("created_at"), "posted"),
    "author_handle": (_inner("author", "handle"), "the customer's handle"),
    "author_name": (_inner("author", "name"), "display name"),
    "author_followers": (_inner("author", "followers"), "followers where known"),
    "author_verified": (lambda m: _bool((m.get("author") or {}).get("verified")), "verified where known"),
    "text": (lambda m: m.get("text"), "the mention's text"),
    "url": (lambda m: m.get("url"), "link to the post"),
    "lang": (lambda m: m.get("lang"), "language where known"),
    "status": (lambda m: m.get("status"), "new, open, pending, resolved, ignored"),
    "assignee": (lambda m: m.get("assignee"), "agent"),
    "team": (lambda m: m.get("team"), "routed or escalated team"),
    "tags": (lambda m: ",".join(m.get("tags") or []), "comma-separated tags"),
    "priority": (lambda m: effective_priority(m, utcnow()), "effective priority 0-100 now (agent override, or computed with the waiting time)"),
    "computed_priority": (_inner("score", "priority"), "priority computed by scoring"),
    "sentiment": (sentiment_label, "positive/neutral/negative (the agent's correction wins)"),
    "compound": (_inner("score", "compound"), "VADER compound -1..1"),
    "angry": (lambda m: _bool((m.get("score") or {}).get("angry")), "angry flag (true/false)"),
    "viral": (lambda m: _bool((m.get("score") or {}).get("viral")), "viral flag (true/false)"),
    "first_response_at": (lambda m: m.get("first_response_at"), "the brand's first reply"),
    "resolved_at": (lambda m: m.get("resolved_at"), "resolved or ignored"),
    "replies": (lambda m: len(m.get("replies") or []), "replies sent through socialwatch"),
    "likes": (_inner("metrics", "likes"), "likes"),
    "reposts": (_inner("metrics", "reposts"), "reposts/retweets"),
    "reply_count": (_inner("metrics", "replies"), "replies on the platform"),
    "quotes": (_inner("metrics", "quotes"), "quotes"),
    "conversation_id": (lambda m: m.get("conversation_id"), "thread id"),
    "in_reply_to": (lambda m: m.get("in_reply_to"), "the post it answers"),
    "fetched_at": (lambda m: m.get("fetched_at"), "stored"),
    # ---- appended for issue #19 (managers' spreadsheets)
    "first_response_seconds": (lambda m, ctx=None: first_response_seconds(m, ctx),
                               "first response time in seconds of business time ([sla]), as the report counts it"),
    "first_replied_by": (lambda m, ctx=None: first_replied_by(m), "agent who sent the first reply"),
    "reply_text": (lambda m, ctx=None: reply_text(m, ctx), "the replies sent through socialwatch, oldest first"),
    "resolved_by": (lambda m, ctx=None: m.get("resolved_by"), "agent who resolved or ignored it"),
    "csat_score": (lambda m, ctx=None: (m.get("csat") or {}).get("score"),
                   "satisfaction survey answer: 1-5, or 1 (yes) / 0 (no) on the yes-no scale"),
    "csat_scale": (lambda m, ctx=None: (m.get("csat") or {}).get("scale"), "1-5 or yes-no"),
    "csat_comment": (lambda m, ctx=None: (m.get("csat") or {}).get("comment"), "the customer's comment with the answer"),
    "notes": (lambda m, ctx=None: notes_text(m), "internal notes, one per line: AGENT: TEXT"),
    # ---- appended for issue #17 (triage intelligence)
    "language": (lambda m, ctx=None: (m.get("score") or {}).get("language"), "language detected by scoring (ISO 639; empty when no words)"),
    "complaint": (lambda m, ctx=None: _bool((m.get("score") or {}).get("complaint")), "complaint flag (true/false)"),
    "needs_response": (lambda m, ctx=None: _bool((m.get("score") or {}).get("needs_response")), "needs-response flag"),
    "intent": (lambda m, ctx=None: (m.get("score") or {}).get("intent"), "complaint, question, request, feedback, praise or other"),
    "intent_confidence": (lambda m, ctx=None: (m.get("score") or {}).get("intent_confidence"), "the intent's confidence 0..1"),
    "risk": (lambda m, ctx=None: ",".join((m.get("score") or {}).get("risk") or []), "comma-separated risk cues"),
    # ---- appended in the report fixes: survey answers are marked (and left out unless asked for)
    "csat_answer_to": (lambda m, ctx=None: survey_answer_to(m),
                       "the case whose satisfaction survey this mention answers: a rating or a satisfied comment "
                       "is no mention (left out unless --survey-answers); a dissatisfied comment or a question "
                       "reopened its case and is exported as the follow-up it is"),
}
#: Columns holding an instant (written as Excel dates, or ISO 8601 UTC for analysis).
DATE_COLUMNS = frozenset({"created_at", "first_response_at", "resolved_at", "fetched_at"})
#: Columns holding a true/false flag (booleans in XLSX).
BOOLEAN_COLUMNS = frozenset({"author_verified", "angry", "viral", "complaint", "needs_response"})
#: Columns appended for issue #19: their getters take the export's context.
CONTEXT_COLUMNS = ("first_response_seconds", "first_replied_by", "reply_text", "resolved_by", "csat_score", "csat_scale",
                   "csat_comment", "notes")
MODES = ("excel", "analysis")
EXCEL_DATE = "%Y-%m-%d %H:%M:%S"
#: Excel's longest cell text.
XLSX_MAX_TEXT = 32_767


@dataclass
class Context:
    """What the appended columns need beyond the mention: the SLA policy (business time), the
    texts of replies recorded before mentions kept them, the time zone of Excel dates."""

    policy: Any = None
    reply_texts: dict[str, str] = field(default_factory=dict)
    tz: Any = UTC

    def elapsed(self, start: str, end: str) -> float | None:
        from socialwatch.model import parse_time
        from socialwatch.sla import Policy

        try:
            a, b = parse_time(start), parse_time(end)
        except ValueError:
            return None
        return (self.policy or Policy()).elapsed(a, b).total_seconds()


def first_response_seconds(m: dict, ctx: Context | None = None) -> int | None:
    created, answered = m.get("created_at"), m.get("first_response_at")
    if not created or not answered:
        return None
    seconds = (ctx or Context()).elapsed(created, answered)
    return None if seconds is None else int(round(seconds))


def first_replied_by(m: dict) -> Any:
    if m.get("first_replied_by"):
        return m["first_replied_by"]
    replies = m.get("replies")
    if isinstance(replies, list) and replies and isinstance(replies[0], dict):
        return replies[0].get("agent")
    return None


def reply_text(m: dict, ctx: Context | None = None) -> str | None:
    texts = []
    known = ctx.reply_texts if ctx is not None else {}
    for r in m.get("replies") or []:
        if not isinstance(r, dict):
            continue
        text = r.get("text") or known.get(str(r.get("record")))
        if text:
            texts.append(str(text))
    return "\n\n".join(texts) or None


def notes_text(m: dict) -> str | None:
    lines = [f"{n.get('agent')}: {n.get('text')}" for n in m.get("notes") or [] if isinstance(n, dict)]
    return "\n".join(lines) or None

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
    """The complaint flag of scoring; for mentions scored before it existed, negative or angry."""
    score = m.get("score") or {}
    if "complaint" in score:
        return bool(score["complaint"])
    return bool(score.get("angry")) or sentiment_label(m) == "negative"


def survey_answer_to(m: dict) -> str | None:
    """The case whose satisfaction survey `m` answers: kept apart as an answer (`csat_answer_to`), or
    joined to the case as a follow-up because it needs an agent (`csat_answer_for`); else None."""
    return m.get("csat_answer_to") or m.get("csat_answer_for") or None


def select(mentions: Iterable[dict], filters: Filters, complaints: bool = False, *, survey_answers: bool = False,
           left_out: dict[str, int] | None = None) -> Iterator[dict]:
    """The mentions to export: those matching `filters` (and complaints only, with `complaints`).

    Answers to a satisfaction survey (`csat_answer_to`) are no mentions, and the report leaves them
    out of its volume: they are left out here too unless `survey_answers`, and counted in
    `left_out["survey_answers"]` when they would otherwise have been exported."""
    everything = not complaints and filters == Filters()  # the common "export everything" case
    for m in mentions:
        if not everything and not (filters.matches(m) and (not complaints or is_complaint(m))):
            continue
        if not survey_answers and m.get("csat_answer_to"):
            if left_out is not None:
                left_out["survey_answers"] = left_out.get("survey_answers", 0) + 1
            continue
        yield m


def column_docs(mode: str = "excel", fmt: str = "csv", zone: str = "UTC") -> dict[str, str]:
    """Each column's meaning for `--list-columns`; the date columns say how this export writes them."""
    if fmt == "jsonl":
        how = "ISO 8601 UTC, e.g. 2026-12-04T13:13:46Z"
    elif fmt == "xlsx":
        how = f"an Excel date and time, in {zone}"
    elif mode == "analysis":
        how = "ISO 8601 UTC, e.g. 2026-12-04T13:13:46Z"
    else:
        how = f"YYYY-MM-DD HH:MM:SS in {zone}, which Excel reads as a date"
    return {name: f"{doc} ({how})" if name in DATE_COLUMNS else doc for name, (_, doc) in COLUMNS.items()}


def _full_row(m: dict, ctx: Context | None = None, now: Any = None) -> list[Any]:
    """Every column of `COLUMNS`, in order, in one pass (the hot loop of a large export);
    the priority is the effective one at `now` (with the live waiting factor)."""
    a = m.get("author") or {}
    sc = m.get("score") or {}
    x = m.get("metrics") or {}
    override = m.get("priority_override")
    if isinstance(override, int) and not isinstance(override, bool):
        prio = override
    elif "waiting" in sc and now is not None:
        prio = effective_priority(m, now)
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
        *_appended(m, ctx),
        sc.get("language"), _bool(sc.get("complaint")), _bool(sc.get("needs_response")),
        sc.get("intent"), sc.get("intent_confidence"), ",".join(sc.get("risk") or []),
        survey_answer_to(m),
    ]


def _appended(m: dict, ctx: Context | None) -> list[Any]:
    """The columns appended for issue #19, in COLUMNS order."""
    answer = m.get("csat") or {}
    return [first_response_seconds(m, ctx), first_replied_by(m), reply_text(m, ctx), m.get("resolved_by"),
            answer.get("score"), answer.get("scale"), answer.get("comment"), notes_text(m)]


def _bool(value: Any) -> Any:
    return value if value is None else ("true" if value else "false")


_FIRST = frozenset(DANGEROUS)


def _quote(text: str) -> str:
    return text if _NUMBER.fullmatch(text) else "'" + text


def excel_date(value: Any, tz: Any = UTC) -> Any:
    """'2026-12-04T13:13:46Z' -> '2026-12-04 13:13:46' (in `tz`); other values unchanged."""
    if value.__class__ is not str or not value:
        return value
    if tz is UTC and len(value) == 20 and value[10] == "T" and value[19] == "Z":
        return value[:10] + " " + value[11:19]
    from socialwatch.model import parse_time

    try:
        return parse_time(value).astimezone(tz).strftime(EXCEL_DATE)
    except ValueError:
        return value


def write_csv(mentions: Iterable[dict], out: IO[str], columns: list[str], bom: bool = False,
              tick: Callable[[], None] | None = None, mode: str = "excel", ctx: Context | None = None) -> int:
    """Write the CSV for `mode` (excel or analysis, see the module docstring); the number of rows."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    excel = mode == "excel"
    ctx = ctx or Context()
    if bom or excel:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    names = list(COLUMNS)
    every = columns == names
    positions = [names.index(c) for c in columns]
    dates = [i for i, c in enumerate(columns) if c in DATE_COLUMNS]
    tz = ctx.tz
    n = 0
    now = utcnow()
    for m in mentions:
        row = _full_row(m, ctx, now)
        if not every:
            row = [row[i] for i in positions]
        if excel:
            for i in dates:
                row[i] = excel_date(row[i], tz)
            # `neutralise`, inlined for the hot loop: None is empty, strings that a spreadsheet would run
            # get a quote, numbers go to the csv module as they are (bools are already words)
            writer.writerow(["" if v is None else _quote(v) if v.__class__ is str and v and v[0] in _FIRST else v
                             for v in row])
        else:
            writer.writerow(["" if v is None else v for v in row])
        n += 1
        if tick is not None:
            tick()
    return n


def write_jsonl(mentions: Iterable[dict], out: IO[str], tick: Callable[[], None] | None = None) -> int:
    n = 0
    now = utcnow()
    for m in mentions:
        data = dict(m)
        data["priority"] = effective_priority(m, now)
        out.write(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode("utf-8") + "\n")
        n += 1
        if tick is not None:
            tick()
    return n


def write_xlsx(mentions: Iterable[dict], path: str, columns: list[str], ctx: Context | None = None) -> int:
    """An Excel workbook (xlsxwriter, a dependency imported only here) whose cells are typed: text as
    strings (never formulas: no quote needed), numbers as numbers, instants as dates, flags as booleans."""
    try:
        import xlsxwriter  # type: ignore[import-not-found]
    except ImportError:
        from socialwatch.errors import UsageError

        raise UsageError("XLSX export needs the xlsxwriter package, which installing socialwatch brings along and "
                         "is missing here: run `pip install xlsxwriter` in socialwatch's environment (or reinstall "
                         "socialwatch); --format csv works without it") from None
    from socialwatch.model import parse_time

    ctx = ctx or Context()
    workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False,
                                          "strings_to_numbers": False, "constant_memory": True})
    sheet = workbook.add_worksheet("mentions")
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, columns, bold)
    sheet.freeze_panes(1, 0)
    for col, name in enumerate(columns):
        sheet.set_column(col, col, 20 if name in DATE_COLUMNS else 40 if name in ("text", "reply_text", "notes") else 14)
    names = list(COLUMNS)
    positions = [names.index(c) for c in columns]
    is_date = [c in DATE_COLUMNS for c in columns]
    n = 0
    now = utcnow()
    for n, m in enumerate(mentions, 1):
        full = _full_row(m, ctx, now)
        for col, i in enumerate(positions):
            value = full[i]
            if value is None or value == "":
                continue
            if is_date[col]:
                try:
                    when = parse_time(value).astimezone(ctx.tz).replace(tzinfo=None)
                except ValueError:
                    sheet.write_string(n, col, str(value))
                    continue
                sheet.write_datetime(n, col, when, date_format)
            elif value in ("true", "false") and columns[col] in BOOLEAN_COLUMNS:
                sheet.write_boolean(n, col, value == "true")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(n, col, value)
            else:
                sheet.write_string(n, col, str(value)[:XLSX_MAX_TEXT])
    workbook.close()
    return n
