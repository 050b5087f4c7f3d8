"""Status HTML to plain text: paragraphs and line breaks kept, markup and scripts dropped."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

#: HTML longer than this is cut before it is converted (a status is a few KB at most).
MAX_HTML = 400_000
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_MANY_SPACES = re.compile(r" {2,}")
#: Mapped fields a mention can lose (with a warning) instead of being skipped.


# ---- HTML to text --------------------------------------------------------------------------------
_BREAK_TAGS = {"br"}
_BLOCK_TAGS = {
    "p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tr", "section", "article", "header", "footer", "hr", "dl", "dt", "dd", "figure",
}  # fmt: skip
#: Elements whose content is never text to read (their raw content runs to the closing tag).
_RAW_TAGS = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "template", "noscript")


def html_to_text(content: Any) -> str:
    """Plain text of a status' HTML: paragraphs and block elements as blank lines, `<br>` as
    newlines, other tags dropped (link text kept), entities unescaped, whitespace collapsed.

    A small single-pass scanner (no regex backtracking, no html.parser, whose handling of
    malformed markup is quadratic on Python 3.11): each character is looked at a bounded number of
    times, whatever the input. The content of script, style and similar elements is dropped;
    an unterminated tag or comment ends the text.
    """
    if not isinstance(content, str) or not content:
        return ""
    html = content[:MAX_HTML]
    lower = html.lower()
    out: list[str] = []
    pos, size = 0, len(html)
    while pos < size:
        lt = html.find("<", pos)
        if lt < 0:
            out.append(_text_run(html[pos:]))
            break
        out.append(_text_run(html[pos:lt]))
        pos = _markup(html, lower, lt, out)
    return _tidy("".join(out))


def _text_run(chunk: str) -> str:
    """Character data: entities unescaped, HTML whitespace collapsed to one space."""
    if not chunk:
        return ""
    return _SPACES.sub(" ", unescape(chunk))


def _markup(html: str, lower: str, lt: int, out: list[str]) -> int:
    """Handle the markup starting at `lt` (a "<"); return where the text continues."""
    nxt = html[lt + 1 : lt + 2]
    if nxt == "!" and html.startswith("<!--", lt):
        end = html.find("-->", lt + 4)
        return len(html) if end < 0 else end + 3
    if nxt in ("!", "?"):  # doctype, CDATA, processing instruction: dropped
        end = html.find(">", lt + 2)
        return len(html) if end < 0 else end + 1
    closing = nxt == "/"
    start = lt + 2 if closing else lt + 1
    name_end = start
    while name_end < len(html) and (html[name_end].isalnum() or html[name_end] in "-:"):
        name_end += 1
    if name_end == start or not html[start].isalpha():
        out.append("<")  # a lone "<" is text
        return lt + 1
    end = _tag_end(html, name_end)
    if end < 0:
        return len(html)  # an unterminated tag ends the text
    name = lower[start:name_end]
    if not closing and name in _RAW_TAGS and not html.startswith("/>", end - 1):
        close = lower.find("</" + name, end + 1)
        return len(html) if close < 0 else close
    if name in _BREAK_TAGS:
        out.append("\n")
    elif name in _BLOCK_TAGS:
        out.append("\n\n")
    return end + 1


def _tag_end(html: str, pos: int) -> int:
    """The index of the ">" closing a tag, skipping quoted attribute values; -1 if none."""
    quote = ""
    size = len(html)
    while pos < size:
        ch = html[pos]
        if quote:
            end = html.find(quote, pos)
            if end < 0:
                return -1
            quote, pos = "", end + 1
            continue
        if ch == ">":
            return pos
        if ch in "\"'":
            quote = ch
        pos += 1
    return -1


def _tidy(text: str) -> str:
    """Trim each line, keep at most one blank line in a row, trim the whole."""
    lines = [_MANY_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip("\n ")
