"""Fitting the terminal report to the terminal's width without hiding a name or a count.

`render.table` fits a table by cutting its widest cells ("So…", "4…"): right for free text,
wrong for the report, where a group's name and every count must stay readable. The report's
tables go through `fit_table` instead:

* a table that fits is drawn as it is;
* a table with a long text column (`wrap`, e.g. the headline values) has that column wrapped onto
  continuation lines, at word boundaries;
* a wide table of numbers is split into several tables of fewer columns, each repeating the
  first (name) column, in the original order ("column wrapping"): nothing is left out;
* only when even the name and one column cannot fit (a very narrow terminal, or a very long
  name) does `render.table` cut cells, as everywhere else.

`paragraph` wraps the report's sentences to the same width. Widths count terminal columns
(`render.display_width`); a width of `render.UNLIMITED` (a pipe or a file) never wraps or splits.
"""

from __future__ import annotations

import re
import shutil
import sys
import textwrap

from socialwatch.render import UNLIMITED, display_width, safe, table

_GAP = 2
#: The narrowest a wrapped column may become before the table is split or cut instead.
MIN_WRAP = 12


def output_width() -> int:
    """The terminal's width when stdout is a terminal, else no limit (a pipe or a file is never cut)."""
    try:
        to_terminal = sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        to_terminal = False
    return shutil.get_terminal_size().columns if to_terminal else UNLIMITED


def _widths(body: list[list[str]], headers: list[str]) -> list[int]:
    widths = [display_width(safe(h)) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(safe(cell)))
    return widths


#: Stands for the space before a parenthesis while wrapping: "12:00 (2)" and "80% (8" stay on one line.
_GLUE = "\x00"


_SHORT_ASIDE = re.compile(r"\([^()]{1,12}\)")


def _glued(text: str) -> str:
    """`text` with the spaces that must not become line breaks glued: before a parenthesis, and
    inside a short one ("(5 of 8)")."""
    text = _SHORT_ASIDE.sub(lambda m: m.group(0).replace(" ", _GLUE), text)
    return text.replace(" (", _GLUE + "(")


def _wrap_cell(text: str, width: int) -> list[str]:
    lines = textwrap.wrap(_glued(text), width=width, break_long_words=True, break_on_hyphens=False) or [""]
    return [line.replace(_GLUE, " ") for line in lines]


def fit_table(body: list[list[str]], headers: list[str], width: int, *, align: dict[int, str] | None = None,
              wrap: tuple[int, ...] = (), shrink: list[int] | None = None) -> str:
    """`body` as a table at most `width` columns wide, names and counts whole (see the module docstring).

    `wrap`: columns whose text may go onto continuation lines, narrowed in this order (each down to
    its longest word, and no narrower than MIN_WRAP); `shrink`: columns `render.table` may cut
    when nothing else helps (free text)."""
    align = align or {}
    widths = _widths(body, headers)
    total = sum(widths) + _GAP * (len(widths) - 1)
    if total <= width:
        return table(body, headers, max_width=width, align=align, shrink=shrink)
    if shrink and total - sum(widths[i] - min(widths[i], MIN_WRAP) for i in shrink) <= width:
        return table(body, headers, max_width=width, align=align, shrink=shrink)  # only free text is cut
    if wrap:
        target = list(widths)
        excess = total - width
        for col in wrap:
            floor = max([MIN_WRAP, display_width(safe(headers[col]))]
                        + [display_width(word.replace(_GLUE, " ")) for row in body
                           for word in _glued(safe(row[col])).split()])
            cut = min(excess, max(0, widths[col] - floor))
            target[col] -= cut
            excess -= cut
        if excess <= 0:
            wrapped: list[list[str]] = []
            for row in body:
                cells = [_wrap_cell(safe(cell), target[i]) if i in wrap else [cell] for i, cell in enumerate(row)]
                for n in range(max(len(c) for c in cells)):
                    wrapped.append([c[n] if n < len(c) else "" for c in cells])
            return table(wrapped, headers, max_width=width, align=align, shrink=shrink)
    parts = _split(widths, width)
    if parts is None:
        return table(body, headers, max_width=width, align=align, shrink=shrink)
    tables = []
    for cols in parts:
        keep = [0, *cols]
        tables.append(table([[row[i] for i in keep] for row in body], [headers[i] for i in keep], max_width=width,
                            align={n: align[i] for n, i in enumerate(keep) if i in align}))
    return "\n\n".join(tables)


def _split(widths: list[int], width: int) -> list[list[int]] | None:
    """The other columns in the fewest runs that fit beside the first one, as even in width as can
    be (no run of one lonely column when two halves would do); None when a single one cannot fit."""
    first, cols = widths[0], list(range(1, len(widths)))
    if any(first + _GAP + widths[i] > width for i in cols):
        return None

    def run_width(run: list[int]) -> int:
        return first + sum(_GAP + widths[i] for i in run)

    # fewest runs, filling each greedily
    count, used = 1, first
    for i in cols:
        if used + _GAP + widths[i] > width:
            count, used = count + 1, first
        used += _GAP + widths[i]
    # the split into `count` contiguous runs whose widest run is the narrowest (few columns: try them all)
    best: tuple[int, list[list[int]]] | None = None
    for cuts in _cut_points(len(cols), count):
        runs = [cols[a:b] for a, b in zip((0, *cuts), (*cuts, len(cols)), strict=True)]
        widest = max(run_width(r) for r in runs)
        if widest <= width and (best is None or widest < best[0]):
            best = (widest, runs)
    return best[1] if best else None


def _cut_points(n: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to cut n items into `parts` non-empty contiguous runs (as the cut positions)."""
    from itertools import combinations

    return list(combinations(range(1, n), parts - 1))


def paragraph(text: str, width: int, indent: str = "", hang: str = "  ") -> list[str]:
    """`text` (already safe) wrapped to `width` at word boundaries: the first line after `indent`,
    the others after `indent` + `hang`; one line when it fits or the width is unlimited."""
    if width >= UNLIMITED or display_width(indent + text) <= width:
        return [indent + text]
    return textwrap.wrap(text, width=max(width, 20), initial_indent=indent, subsequent_indent=indent + hang,
                         break_long_words=False, break_on_hyphens=False) or [indent]
