"""Input validation (QA): language codes in routing rules and `--language`, and `resolve` on a
mention that is already resolved (idempotent, as a solved ticket in Zendesk)."""

from __future__ import annotations

import pathlib

import pytest

from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    return isolated_home


def add_rule(home: pathlib.Path, rule: str) -> None:
    config = home / "socialwatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[[routing]]\nname = "welsh desk"\n{rule}\n',
                      encoding="utf-8")


# ---- routing: language = [...] takes language codes ------------------------------------------------
def test_a_language_name_in_a_routing_rule_is_a_configuration_error(home: pathlib.Path) -> None:
    add_rule(home, 'language = ["Welsh"]\nteam = "cymraeg"')
    code, out, err = sw("triage", "--json")
    assert code == 2 and out == ""
    assert err.startswith("Error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "routing[" in err and ".language" in err and "'Welsh'" in err
    assert "use a language code such as cy (Welsh)" in err


@pytest.mark.parametrize("value", ["xx", "english", "en-GB", "eng"])
def test_other_values_that_are_no_language_code_are_refused(home: pathlib.Path, value: str) -> None:
    add_rule(home, f'language = ["cy", "{value}"]')
    code, _, err = sw("triage", "--json")
    assert code == 2 and f"{value!r} is not a language code" in err and "use a language code such as" in err


@pytest.mark.parametrize("codes", ['["cy"]', '["CY", "en"]', '["yue", "ceb"]'])
def test_language_codes_are_accepted(home: pathlib.Path, codes: str) -> None:
    """ISO 639-1 in any case, and the detector's codes for languages without one (Cantonese)."""
    add_rule(home, f"language = {codes}")
    code, _, err = sw("triage", "--json")
    assert code == 0, err


def test_a_routing_rule_by_language_code_still_routes(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    add_rule(home, 'language = ["CY"]\nteam = "cymraeg"')
    records = [{"id": "file:cy", "text": "Dim signal o gwbl ym Mhenrhyndeudraeth ers tridiau. Unrhyw newyddion?",
                "created_at": "2026-11-20T10:00:00Z", "author": {"handle": "sian"}}]
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", records)))[0] == 0
    assert [m.get("team") for m in lines(sw("triage", "--json")[1])] == ["cymraeg"]


# ---- --language on the command line -------------------------------------------------------------
@pytest.mark.parametrize("command", [["triage", "--json"], ["export", "--format", "csv"], ["claim", "--json"]])
@pytest.mark.parametrize("value", ["xx", "Welsh"])
def test_an_unknown_language_option_is_a_usage_error(home: pathlib.Path, command: list[str], value: str) -> None:
    code, out, err = sw(*command, "--language", value)
    assert code == 2 and out == "" and "--language" in err and f"{value!r} is not a language code" in err
    assert "Traceback" not in err


def test_a_known_language_option_filters(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    records = [{"id": "file:cy", "text": "Dim signal o gwbl ym Mhenrhyndeudraeth ers tridiau. Unrhyw newyddion?",
                "created_at": "2026-11-20T10:00:00Z", "author": {"handle": "sian"}}]
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", records)))[0] == 0
    for value in ("cy", "CY"):
        code, out, err = sw("triage", "--json", "--language", value)
        assert code == 0, err
        assert [m["id"] for m in lines(out)] == ["file:cy"]
    code, out, _ = sw("triage", "--json", "--language", "yue")  # a code, of no mention here
    assert code == 0 and out == ""


# ---- resolve twice -------------------------------------------------------------------------------
def test_resolving_a_resolved_mention_says_so_and_changes_nothing(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    records = [{"id": f"file:{n}", "text": "my broadband is down again", "created_at": f"2026-11-20T10:0{n}:00Z",
                "author": {"handle": f"c{n}"}} for n in (1, 2)]
    assert sw("import", str(write_jsonl(tmp_path / "r.jsonl", records)))[0] == 0
    code, out, err = sw("--as", "sam", "resolve", "file:1")
    assert code == 0, err
    assert out.strip() == "file:1: resolved"
    before = lines(sw("history", "file:1", "--json")[1])
    resolved = lines(sw("show", "file:1", "--json")[1])[0]
    code, out, err = sw("--as", "kim", "resolve", "file:1", "file:2")
    assert code == 0, err
    assert out.splitlines() == ["file:2: resolved",
                                f"file:1: already resolved (by sam, {resolved['resolved_at'][:10]} "
                                f"{resolved['resolved_at'][11:16]} UTC); nothing changed"]
    assert lines(sw("history", "file:1", "--json")[1]) == before  # no second audit event
    again = lines(sw("show", "file:1", "--json")[1])[0]
    assert (again["resolved_by"], again["resolved_at"]) == ("sam", resolved["resolved_at"])
    code, out, _ = sw("resolve", "file:1")
    assert code == 0 and "already resolved" in out
