"""Safe terminal rendering for every human-readable output.

Mention texts, author names and handles are written by hostile strangers and end up on a support
agent's terminal.  A raw ESC can clear the screen, retitle the window, write the clipboard (OSC 52),
plant a hyperlink (OSC 8) or fake a prompt; Unicode bidi controls can reorder what the agent reads
("Trojan source"); zero-width characters hide inside look-alike handles ("paypa\\u200bl").

Policy
------
* The store, ``--json`` and CSV output keep the **original** text, byte for byte.  Escaping is a
  presentation concern only: never write ``safe()`` output back to the store.
* Everything human-readable goes through this module: :func:`safe` for free text,
  :func:`table` for tables (it calls :func:`safe` on every cell itself, so callers cannot forget).
* Dangerous or invisible characters are not dropped but made **visible**, so an agent can see that
  something was there:

  - C0 controls, DEL and C1 controls (U+0080-U+009F) become backslash escapes: ESC -> ``\\x1b``,
    BEL -> ``\\x07``, CSI -> ``\\x9b``.  A whole ``ESC ] 52 ; ... BEL`` sequence is thus shown as
    harmless text.  TAB becomes a space; a newline (or CRLF) is kept with ``keep_newlines=True``
    and becomes ``⏎`` otherwise.  A lone CR is escaped (it is how fake prompts overwrite a line).
  - Bidi controls, zero-width/invisible characters, every other format character (category Cf),
    line/paragraph separators, variation selectors, tag characters and lone surrogates become
    ``<U+202E>``-style markers.
  - "Zalgo" text: more than 8 stacked combining marks in a row are cut to 8 plus a
    ``<+N combining marks>`` count, so one mention cannot draw over the lines around it.
  - Exceptions that keep benign text intact: ZWJ (U+200D) and VS16/VS15 (U+FE0F/U+FE0E) inside
    emoji sequences (family, skin tone, keycap "1️⃣"), the three standard subdivision flags
    (England, Scotland, Wales, built from tag characters), and ZWJ/ZWNJ between two letters of
    Arabic-script or Indic text (Persian writes ZWNJ inside ordinary words; there it is visible
    as a change of letter shape).
* Letters of every script, emoji, combining accents, CJK text are left untouched.

Styling is our own (:func:`style`), applied after escaping and only when :func:`color_enabled`.
This module imports only the standard library so every command can use it cheaply.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import unicodedata

TYPE_CHECKING = False  # avoid importing typing at run time: this module must stay cheap to import
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import TextIO

__all__ = [
    "color_enabled",
    "display_width",
    "safe",
    "strip_ansi",
    "style",
    "table",
    "truncate",
]

#: Shown instead of a newline in single-line output.
NEWLINE_MARK = "⏎"
#: Appended by truncate().
ELLIPSIS = "…"

# --------------------------------------------------------------------------- character classes

# Approximation of Unicode's Extended_Pictographic (plus emoji components such as skin tones and
# hair styles, which live in the U+1F000 plane).  Used only to decide whether a ZWJ or VS16 sits
# inside an emoji sequence, so erring on the generous side is harmless.
_PICT = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u2300-\u23ff\u24c2"
    "\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c"
    "\u2b50\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001fffd"
)
# Letters of scripts that legitimately use ZWJ/ZWNJ inside words: Arabic script (Arabic, Persian,
# Urdu...) and the Indic scripts Devanagari..Sinhala.  The Cf characters of these blocks
# (U+0600-0605, U+061C, U+06DD, U+0890-0891, U+08E2) are left out on purpose.
_JOINING_SCRIPT = (
    "\u0606-\u061b\u061d-\u06dc\u06de-\u06ff\u0750-\u077f\u0870-\u088f\u0892-\u08e1\u08e3-\u08ff"
    "\ufb50-\ufdff\ufe70-\ufefc\u0900-\u0dff"
)
# Invisible or deceptive characters escaped wherever they occur: every format character (Cf) of
# Unicode 14 except ZWNJ/ZWJ (contextual, below), line/paragraph separators, combining grapheme
# joiner, Hangul fillers, Khmer invisible vowels, Mongolian free variation selectors, variation
# selectors except VS15/VS16 (contextual), all tag characters and lone surrogates.
_INVISIBLE = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\u2028\u2029\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\uffa0"
    "\ufe00-\ufe0d\U000e0100-\U000e01ef\U000e0000-\U000e007f\ud800-\udfff"
)
_CONTROLS = "\x00-\x1f\x7f-\x9f"
# The combining-mark blocks "Zalgo" generators stack by the hundred to draw over neighbouring lines.
_COMBINING = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
#: Longest run of such marks shown as is; the rest of the run is replaced by a count.
MAX_COMBINING = 8

_UNSAFE_PATTERN = (
    # Kept as is: the RGI subdivision flags (black flag + tag letters "gbeng"/"gbsct"/"gbwls" + cancel tag).
    "(?P<keep>\U0001f3f4\U000e0067\U000e0062"
    "(?:\U000e0065\U000e006e\U000e0067|\U000e0073\U000e0063\U000e0074|\U000e0077\U000e006c\U000e0073)"
    "\U000e007f)"
    f"|[{_CONTROLS}{_INVISIBLE}]"
    f"|(?P<marks>[{_COMBINING}]{{{MAX_COMBINING + 1},}})"
    # ZWJ, unless emoji (optionally + VS16) ZWJ emoji, or joining-script letter ZWJ letter.
    f"|\u200d(?!(?:(?<=[{_PICT}]\u200d)|(?<=[{_PICT}]\ufe0f\u200d))[{_PICT}]"
    f"|(?<=[{_JOINING_SCRIPT}]\u200d)[{_JOINING_SCRIPT}])"
    # ZWNJ, unless between two joining-script letters.
    f"|\u200c(?!(?<=[{_JOINING_SCRIPT}]\u200c)[{_JOINING_SCRIPT}])"
    # VS15/VS16, unless right after a pictographic character, or in a keycap "1 VS16 U+20E3".
    f"|[\ufe0e\ufe0f](?!(?<=[{_PICT}][\ufe0e\ufe0f])|(?<=[0-9#*][\ufe0e\ufe0f])\u20e3)"
)
_IS_PICT_PATTERN = f"[{_PICT}]"
_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(source: str) -> re.Pattern[str]:
    """Compiled on first use: most outputs are plain ASCII and never need these big classes,
    and compiling them costs several milliseconds of every command's start-up."""
    found = _COMPILED.get(source)
    if found is None:
        found = _COMPILED[source] = re.compile(source)
    return found

_C0_C1 = [*range(0x20), *range(0x7F, 0xA0)]
_ESCAPES: dict[str, str] = {chr(cp): f"\\x{cp:02x}" for cp in _C0_C1}
_ESCAPES["\t"] = " "
_ESCAPES_ONE_LINE = {**_ESCAPES, "\n": NEWLINE_MARK}
_ESCAPES_MULTI_LINE = {**_ESCAPES, "\n": "\n"}
# str.translate tables for the all-ASCII fast path (only C0 and DEL can occur there).
_ASCII_ONE_LINE = {ord(ch): rep for ch, rep in _ESCAPES_ONE_LINE.items() if ord(ch) < 0x80}
_ASCII_MULTI_LINE = {ord(ch): rep for ch, rep in _ESCAPES_MULTI_LINE.items() if ord(ch) < 0x80}


def _replacer(escapes: dict[str, str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        if match.lastgroup == "keep":
            return match.group()
        if match.lastgroup == "marks":
            marks = match.group()
            return f"{marks[:MAX_COMBINING]}<+{len(marks) - MAX_COMBINING} combining marks>"
        ch = match.group()
        rep = escapes.get(ch)
        return rep if rep is not None else f"<U+{ord(ch):04X}>"

    return replace


_REPLACE_ONE_LINE = _replacer(_ESCAPES_ONE_LINE)
_REPLACE_MULTI_LINE = _replacer(_ESCAPES_MULTI_LINE)


def safe(text: str | None, *, keep_newlines: bool = False) -> str:
    """Return `text` made harmless and honest for a terminal (see the module docstring for the policy).

    No control character survives except ``\\n`` when `keep_newlines` (CRLF counts as one newline);
    without it a newline is shown as ``⏎``.  ``None`` gives ``""``; other non-strings are ``str()``-ed.
    Idempotent: ``safe(safe(s)) == safe(s)``.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        text = str(text)
    if text.isascii():
        if text.isprintable():  # the common case: one C-speed scan, no copy
            return text
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")
        return text.translate(_ASCII_MULTI_LINE if keep_newlines else _ASCII_ONE_LINE)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _pattern(_UNSAFE_PATTERN).sub(_REPLACE_MULTI_LINE if keep_newlines else _REPLACE_ONE_LINE, text)


# --------------------------------------------------------------------------- display width


def _char_width(ch: str) -> int:
    """Terminal columns of one code point on its own: 0, 1 or 2."""
    cp = ord(ch)
    if 0x20 <= cp < 0x7F:
        return 1
    if cp < 0xA0:
        return 0  # controls
    if unicodedata.category(ch) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    if 0x1160 <= cp <= 0x11FF or 0xD7B0 <= cp <= 0xD7FF:
        return 0  # Hangul conjoining vowels and final consonants
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _is_regional_indicator(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _clusters(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(end, width)`` for each approximate grapheme cluster of `text`, in order.

    A cluster is a base character plus what a terminal draws on top of it: combining marks,
    variation selectors, skin-tone modifiers, ZWJ-joined emoji, the second regional indicator of
    a flag.  Good enough for padding and for never cutting an emoji or accent in half.
    """
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        width = _char_width(ch)
        pict = _pattern(_IS_PICT_PATTERN).match(ch) is not None
        keycap_base = ch in "0123456789#*"
        i += 1
        if _is_regional_indicator(ch) and i < n and _is_regional_indicator(text[i]):
            i += 1
            width = 2
        while i < n:
            c = text[i]
            if c == "\u200d" and pict and i + 1 < n and _pattern(_IS_PICT_PATTERN).match(text[i + 1]):
                i += 2  # ZWJ-joined emoji: drawn as one glyph
            elif c == "\ufe0f" and (pict or keycap_base):
                width = 2  # emoji presentation
                i += 1
            elif pict and "\U0001f3fb" <= c <= "\U0001f3ff":
                i += 1  # skin tone
            elif _char_width(c) == 0:
                i += 1  # combining mark, other format character
            else:
                break
        yield i, width


def display_width(text: str) -> int:
    """Terminal columns `text` takes on one line: East Asian wide characters count 2, combining marks 0.

    Emoji sequences (ZWJ families, skin tones, flags, VS16) count as one 2-column glyph, as modern
    terminals draw them.  Meant for text that went through :func:`safe` (controls count 0).
    """
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(width for _, width in _clusters(text))


def _width_upto(text: str, limit: int) -> int:
    """display_width(text), but stop counting once it exceeds `limit` (returns a value > limit then)."""
    if text.isascii() and text.isprintable():
        return len(text)
    total = 0
    for _, width in _clusters(text):
        total += width
        if total > limit:
            break
    return total


def truncate(text: str, width: int) -> str:
    """Shorten `text` to at most `width` display columns, ending with "…" when anything was cut.

    Never splits an emoji sequence or a letter from its accents.  Costs O(width), not O(len(text)).
    The result can be one column narrower than `width` when a wide character did not fit.
    """
    if width <= 0:
        return ""
    if text.isascii() and text.isprintable():
        return text if len(text) <= width else text[: width - 1] + ELLIPSIS
    total = 0
    cut = 0
    for end, w in _clusters(text):
        if total + w > width:
            return text[:cut] + ELLIPSIS
        total += w
        if total <= width - 1:
            cut = end
    return text


# --------------------------------------------------------------------------- tables

_ALIGN = {"l": "l", "left": "l", "<": "l", "r": "r", "right": "r", ">": "r", "c": "c", "center": "c", "^": "c"}
_MIN_COLUMN = 3
_GAP = "  "


#: The width of a table written to a pipe or a file: no limit.
UNLIMITED = 1 << 30


def _output_width() -> int:
    """The terminal's width when stdout is a terminal, else no limit (never cut piped output)."""
    try:
        to_terminal = sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        to_terminal = False
    return shutil.get_terminal_size().columns if to_terminal else UNLIMITED


def _pad(text: str, width: int, how: str) -> str:
    room = width - display_width(text)
    if room <= 0:
        return text
    if how == "r":
        return " " * room + text
    if how == "c":
        left = room // 2
        return " " * left + text + " " * (room - left)
    return text + " " * room


def _safe_cell(cell: str | None, cap: int) -> str:
    """safe(cell) on one line, but only of the part that can be seen in a column of at most `cap` columns.

    A huge cell (a 100k-character mention) is escaped from a prefix only, as long as that prefix is
    already wider than the column plus the widest escape, so the cut cannot show up on screen.
    """
    if cell is None or not isinstance(cell, str):
        return safe(cell)
    limit = 4 * cap + 64
    if len(cell) > limit:
        margin = cap + 16  # wider than any escape, so the cut end is never visible
        head = safe(cell[:limit])
        if _width_upto(head, margin) > margin:
            return head
    return safe(cell)


def table(
    rows: list[list[str]],
    headers: list[str],
    *,
    max_width: int | None = None,
    align: dict[int, str] | None = None,
    styler: Callable[[int, int, str], str] | None = None,
    shrink: list[int] | None = None,
) -> str:
    """Render a plain-text table: header line, a "─" separator line, then one line per row.

    Every cell (and header) goes through :func:`safe` as a single line, so hostile text cannot
    break the layout or the terminal.  Columns are padded by display width and separated by two
    spaces; trailing spaces are stripped.  When the table is wider than `max_width` (default: the
    terminal width from :func:`shutil.get_terminal_size` when stdout is a terminal, and no limit
    when it is a pipe or a file, so that nothing a script reads is cut), the widest column is shrunk with
    :func:`truncate` (left/centre-aligned columns first, right-aligned ones, usually numbers, last),
    never below 3 columns.

    `shrink` lists the columns to shrink before any other (e.g. a free-text column, so that
    ids stay whole and can be copied into the next command).

    `align` maps a column index to "l"/"r"/"c" (or "left"/"right"/"center", "<"/">"/"^").
    `styler(row, column, padded_cell) -> str` may wrap the already safe, padded cell in
    :func:`style` (row is -1 for the header); do not pass styled text as a cell, its ESC would
    be escaped.  Rows shorter than `headers` are padded with empty cells; longer ones are an error.
    Returns the lines joined with "\\n", without a final newline.
    """
    ncols = len(headers)
    hows = ["l"] * ncols
    for col, how in (align or {}).items():
        if not 0 <= col < ncols:
            raise ValueError(f"align: no column {col}")
        if how not in _ALIGN:
            raise ValueError(f"align: unknown alignment {how!r} for column {col}")
        hows[col] = _ALIGN[how]

    if max_width is None:
        max_width = _output_width()
    gaps = len(_GAP) * max(ncols - 1, 0)
    cap = max(max_width, _MIN_COLUMN)  # no column needs to be measured beyond the whole line

    head = [_safe_cell(h, cap) for h in headers]
    body: list[list[str]] = []
    for index, row in enumerate(rows):
        if len(row) > ncols:
            raise ValueError(f"table row {index} has {len(row)} cells for {ncols} headers")
        body.append([_safe_cell(cell, cap) for cell in row] + [""] * (ncols - len(row)))

    widths = [_width_upto(h, cap) for h in head]
    for row in body:
        for col, cell in enumerate(row):
            if widths[col] <= cap:
                widths[col] = max(widths[col], _width_upto(cell, cap))
    widths = [min(w, cap) for w in widths]

    excess = sum(widths) + gaps - max_width
    passes = [[c for c in (shrink or []) if 0 <= c < ncols], [c for c in range(ncols) if hows[c] != "r"], list(range(ncols))]
    for shrinkable in passes:
        while excess > 0:
            candidates = [c for c in shrinkable if widths[c] > _MIN_COLUMN]
            if not candidates:
                break
            widest = max(candidates, key=lambda c: widths[c])
            runner_up = max((widths[c] for c in candidates if c != widest), default=_MIN_COLUMN)
            new = max(widths[widest] - excess, runner_up, _MIN_COLUMN)
            if new >= widths[widest]:  # a tie with the runner-up: take one column, then the other
                new = widths[widest] - 1
            excess -= widths[widest] - new
            widths[widest] = new

    def line(cells: list[str], row_index: int) -> str:
        shown = [truncate(cell, widths[col]) for col, cell in enumerate(cells)]
        last = max((col for col, cell in enumerate(shown) if cell), default=-1)
        out = []
        for col in range(last + 1):
            padded = _pad(shown[col], widths[col], hows[col])
            if col == last:
                padded = padded.rstrip(" ")  # no trailing spaces, even inside a style
            out.append(styler(row_index, col, padded) if styler else padded)
        return _GAP.join(out)

    lines = [line(head, -1), _GAP.join("─" * w for w in widths)]
    lines += [line(row, index) for index, row in enumerate(body)]
    return "\n".join(lines)


# --------------------------------------------------------------------------- colour

_FG = {
    "black": 30, "red": 31, "green": 32, "yellow": 33, "blue": 34, "magenta": 35, "cyan": 36, "white": 37,
    "gray": 90, "grey": 90, "bright_black": 90, "bright_red": 91, "bright_green": 92, "bright_yellow": 93,
    "bright_blue": 94, "bright_magenta": 95, "bright_cyan": 96, "bright_white": 97,
}  # fmt: skip
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def style(text: str, *, fg: str | None = None, bold: bool = False, enabled: bool) -> str:
    """Wrap `text` in our ANSI SGR styling when `enabled` (see :func:`color_enabled`), else return it as is.

    `fg` is one of black, red, green, yellow, blue, magenta, cyan, white, gray/grey or bright_<colour>;
    an unknown name raises ValueError even when disabled, so typos show up in tests.
    `text` must already be :func:`safe`.
    """
    if fg is not None and fg not in _FG:
        raise ValueError(f"unknown colour {fg!r}")
    if not enabled or (fg is None and not bold):
        return text
    codes = (["1"] if bold else []) + ([str(_FG[fg])] if fg is not None else [])
    return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"


def color_enabled(stream: TextIO | None = None) -> bool:
    """Whether to style output written to `stream` (default sys.stdout).

    False when NO_COLOR is set (to anything, even empty), when TERM is "dumb", or when the stream
    is not a terminal (pipe, file, closed, no isatty).
    """
    if "NO_COLOR" in os.environ:
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    stream = sys.stdout if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def strip_ansi(text: str) -> str:
    """Remove the SGR sequences :func:`style` adds (for tests and width computations)."""
    return _SGR.sub("", text)
