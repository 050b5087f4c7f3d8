"""Hostile input through every path: the output is safe and the stored data is unchanged.

A corpus of strings chosen by an attacker (escape sequences, control characters, bidi
overrides, zero-width characters, formula prefixes, huge texts) and malformed records goes
through import, scoring, the store, triage/show rendering, export, templates and logs.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import pathlib
import re
import unicodedata

import pytest

from socialwatch import logs, model, templates
from socialwatch.app import App
from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl

HOSTILE = {
    "clear": "refund now \x1b[2J\x1b[H you got hacked",
    "title": "\x1b]0;pwned\x07 look at the title",
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "osc52": "\x1b]52;c;cm0gLXJmIH4=\x07 clipboard",
    "prompt": "ok\r\x1b[Kroot@host:~# rm -rf /",
    "c1": "csi \x9b31m red",
    "controls": "bell\x07 backspace\x08\x08 nul\x00 del\x7f",
    "bidi": "invoice \u202eTXT.EXE\u202c paid",
    "isolate": "\u2066admin\u2069 \u2067x\u2069",
    "zero_width": "paypa\u200bl and \u200dnorthwind\ufeff",
    "tags": "hidden\U000e0041\U000e0042 tag chars",
    "formula": '=HYPERLINK("http://evil","x")',
    "plus": "+1+1",
    "minus": "-2+3",
    "at": "@SUM(A1)",
    "tab": "\t=1",
    "emoji": "family 👨‍👩‍👧 ok 👍🏽",
    "rtl": "الخدمة سيئة جدا",
}
ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")


def assert_terminal_safe(text: str) -> None:
    text = text.replace("👨\u200d👩\u200d👧", "")  # a joiner inside an emoji sequence is kept on purpose
    bad = [f"U+{ord(c):04X}" for c in ESCAPE.findall(text)]
    assert not bad, f"unsafe characters in output: {bad[:5]}"
    for ch in text:
        assert unicodedata.category(ch) != "Cc" or ch == "\n", repr(ch)


@pytest.fixture
def home(isolated_home: pathlib.Path, tmp_path: pathlib.Path, backend: str) -> pathlib.Path:
    assert sw("init")[0] == 0
    use_backend(isolated_home, backend)
    records = [{"id": f"file:{key}", "text": text, "author": {"handle": f"h_{key}", "name": f"{text[:30]}"},
                "url": f"https://x.com/{key}\x1b[31m"} for key, text in HOSTILE.items()]
    code, _, err = sw("import", str(write_jsonl(tmp_path / "hostile.jsonl", records)))
    assert code == 0, err
    return isolated_home


def stored() -> dict[str, dict]:
    return {m["id"]: m for m in lines(sw("export", "--format", "jsonl")[1])}


def test_store_and_json_keep_the_original_text_exactly(home: pathlib.Path) -> None:
    by_id = stored()
    for key, text in HOSTILE.items():
        m = by_id[f"file:{key}"]
        assert m["text"] == text
        assert m["author"]["name"] == text[:30]
    triage = {m["id"]: m for m in lines(sw("triage", "--json")[1])}
    assert triage["file:osc52"]["text"] == HOSTILE["osc52"]


def test_show_and_triage_render_hostile_text_visible_and_inert(home: pathlib.Path) -> None:
    for key in HOSTILE:
        code, out, _ = sw("show", f"file:{key}")
        assert code == 0
        assert_terminal_safe(out)
    code, out, _ = sw("triage", "--list")
    assert_terminal_safe(out)
    code, out, _ = sw("show", "file:osc52")
    assert "\\x1b]52;c;" in out  # shown, not executed
    code, out, _ = sw("show", "file:bidi")
    assert "<U+202E>" in out
    code, out, _ = sw("show", "file:rtl")
    assert HOSTILE["rtl"] in out  # ordinary right-to-left text is left alone
    code, out, _ = sw("show", "file:emoji")
    assert "👨‍👩‍👧" in out


def test_other_listings_are_safe(home: pathlib.Path) -> None:
    sw("--as", "ev\x1b[31mil", "note", "file:clear", "note with \x1b]0;title\x07")
    for args in (["history", "file:clear"], ["customer", "h_clear"], ["sources"], ["templates"], ["outbox", "--all"],
                 ["score", "--explain"]):
        code, out, err = sw(*args, input=HOSTILE["osc52"] + "\n")
        assert_terminal_safe(out)
        assert_terminal_safe(err)


def test_csv_export_has_no_live_formula_and_round_trips(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "x.csv"
    assert sw("export", "-o", str(out))[0] == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # --for excel, the default: Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            if value.startswith("-"):
                float(value)
    by_id = {r["id"]: r["text"] for r in rows}
    for key, text in HOSTILE.items():
        cell = by_id[f"file:{key}"]
        assert cell == text or (cell == "'" + text and text[0] in "=+-@\t\r")
    assert stored()["file:formula"]["text"] == HOSTILE["formula"]


def test_huge_text_is_stored_truncated_with_a_flag(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    big = "A" * 1_000_000
    code, _, err = sw("import", str(write_jsonl(tmp_path / "big.jsonl", [{"id": "file:big", "text": big}])))
    assert code == 0, err
    m = stored()["file:big"]
    assert m["truncated"] is True and len(m["text"]) == model.MAX_TEXT
    code, out, _ = sw("show", "file:big")
    assert "truncated" in out


@pytest.mark.parametrize(
    "line, reason",
    [
        ('{"id": "file:s1", "text": "lone \\ud800 surrogate"}', "JSON"),
        ("[" * 5000 + "]" * 5000, "JSON"),
        ('{"id": "file:n1", "text": 12}', "text"),
        ('{"id": "file:n2", "text": "x", "author": ["a"]}', "author"),
        ('{"id": "file:n3", "text": "x", "author": {"followers": "lots"}}', "author.followers"),
        ('{"id": "file:n4", "text": "x", "author": {"verified": "yes"}}', "author.verified"),
        ('{"id": "file:n5", "text": "x", "metrics": {"likes": -3}}', "metrics.likes"),
        ('{"id": "file:n6", "text": "x", "created_at": "yesterday-ish"}', "created_at"),
        ('{"id": "file:n7", "text": "x", "kind": "takeover"}', "kind"),
        ('{"id": "file:n8", "text": "x", "tags": "a,b"}', "tags"),
        ('{"id": "file:n9", "text": "x", "status": "hacked"}', "status"),
        ('{"id": "../../etc/passwd", "text": "x"}', "id"),
        ('{"id": {"$ne": 1}, "text": "x"}', "id"),
        ('"just a string"', "object"),
    ],
)
def test_malformed_records_are_skipped_with_a_reason_and_never_stored(home: pathlib.Path, tmp_path: pathlib.Path,
                                                                       line: str, reason: str) -> None:
    before = stored()
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "file:good1", "text": "fine"}) + "\n" + line + "\n"
                    + json.dumps({"id": "file:good2", "text": "fine too"}) + "\n")
    code, out, err = sw("import", str(path))
    assert code == 0
    assert "bad.jsonl:2:" in err and reason in err
    after = stored()
    assert set(after) - set(before) == {"file:good1", "file:good2"}


def test_template_values_from_a_mention_cannot_inject(home: pathlib.Path) -> None:
    app = App()
    m = app.store.get("file:clear")
    m["author"] = {"handle": "bob {agent} @ceo", "name": "{case} @everyone"}
    values = templates.values_for(m, "priya", {"name": "NW"})
    text = templates.fill(templates.Template(name="t", text="Hi {author} / {name}, {agent}"), values)
    assert "{" not in text and "@ceo" not in text and "@everyone" not in text
    assert text.startswith("Hi @bob (agent) ceo / (case) everyone, priya")


def test_logs_mask_secrets_and_neutralise_escapes(tmp_path: pathlib.Path, monkeypatch) -> None:
    from socialwatch.secrets import register

    register("sk-live-abcdef123456")
    path = tmp_path / "daemon.log"
    logs.setup("text", str(path))
    logs.log(logging.WARNING, "poll failed: token sk-live-abcdef123456 rejected \x1b]0;x\x07",
             error="Bearer sk-live-abcdef123456")
    logs.setup("json", str(tmp_path / "daemon.jsonl"))
    logs.log(logging.INFO, "text \u202e reversed", note="https://user:hunter22@db.example/x")
    text = path.read_text() + (tmp_path / "daemon.jsonl").read_text()
    assert "sk-live-abcdef123456" not in text and "hunter22" not in text
    assert "\x1b" not in text and "\u202e" not in text
    logging.getLogger("socialwatch").handlers.clear()


def test_output_to_a_pipe_has_no_escape_sequences_at_all(home: pathlib.Path) -> None:
    for args in (["triage", "--list"], ["show", "file:title"], ["sources"], ["health"]):
        _, out, err = sw(*args)
        assert "\x1b" not in out and "\x1b" not in err


def test_files_are_owner_only(home: pathlib.Path) -> None:
    assert (home / "socialwatch.toml").stat().st_mode & 0o077 == 0
    for path in (home / "data").rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_warns_about_a_literal_secret_in_a_config_others_can_read(home: pathlib.Path) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[responders.x]\ntype = "outbox"\napi_token = "plain-text-token"\n')
    config.chmod(0o644)
    code, _, err = sw("sources")
    assert code == 0 and "literal secret" in err and "responders.x.api_token" in err
    assert "plain-text-token" not in err
    config.chmod(0o600)
    assert "literal secret" not in sw("sources")[2]


def test_a_secret_in_a_source_error_is_masked_on_screen_in_health_and_with_traceback(home: pathlib.Path, monkeypatch) -> None:
    monkeypatch.setenv("SW_PATH_SECRET", "/nonexistent/tok-9f8e7d6c5b4a")
    config = home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[sources.feed]\ntype = "file"\npath = "$SW_PATH_SECRET"\n')
    code, out, err = sw("--traceback", "poll")
    assert code == 1 and "Error: feed:" in err
    outputs = [out, err, sw("sources", "--json")[1], sw("health", "--json")[1]]
    outputs += [p.read_text(errors="replace") for p in (home / "data").rglob("*") if p.is_file()]
    assert not any("tok-9f8e7d6c5b4a" in text for text in outputs)
