"""Cases (a customer's follow-ups joined to the mention they continue): the case is the unit of
work. `claim` takes whole cases, a follow-up shares its case's assignee, the case's priority is
the highest of its open members and `show` lists it as a factor; on both store backends."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from tests.conftest import use_backend
from tests.test_cli import lines, sw, write_jsonl

CALM = "my router is dead"  # not angry
ANGRY = "WORST service EVER!!! still dead, cancel my account, useless"  # angry, boosted by the routing rule "churn risk"


@pytest.fixture
def home(isolated_home: pathlib.Path, backend: str) -> pathlib.Path:
    code, _, err = sw("init")
    assert code == 0, err
    use_backend(isolated_home, backend)
    return isolated_home


def load(tmp_path: pathlib.Path, recs: list[dict], name: str = "recs.jsonl") -> None:
    code, _, err = sw("import", str(write_jsonl(tmp_path / name, recs)))
    assert code == 0, err


def shown(mention_id: str) -> dict:
    code, out, err = sw("show", mention_id, "--json")
    assert code == 0, err
    return json.loads(out)


def case_with_angry_followup(tmp_path: pathlib.Path) -> None:
    """kim's calm case twitter:1, then her angry follow-up twitter:2 (in reply to it)."""
    load(tmp_path, [{"id": "twitter:1", "text": CALM, "author": {"handle": "kim"}}], "root.jsonl")
    load(tmp_path, [{"id": "twitter:2", "text": ANGRY, "author": {"handle": "kim"}, "in_reply_to": "twitter:1"}],
         "followup.jsonl")


def own_priorities() -> tuple[int, int]:
    """(the calm root twitter:1's own priority, the angry follow-up twitter:2's), as scoring and
    routing computed them (the scoring model sets the numbers; the tests are about how a case
    combines them)."""
    calm, angry = shown("twitter:1")["score"]["priority"], shown("twitter:2")["score"]["priority"]
    assert angry > calm
    return calm, angry


def factors(text: str) -> dict[str, int]:
    """The factor table of `show`'s text: factor -> points."""
    rows: dict[str, int] = {}
    body = text.split("\nfactor", 1)[1].split("\n\n", 1)[0]
    for line in body.splitlines()[2:]:
        found = re.match(r"^(\S+)\s+([+-]\d+)\s", line)
        assert found, line
        rows[found.group(1)] = int(found.group(2))
    return rows


def test_claim_never_hands_out_a_followup_of_another_agents_case(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [{"id": "twitter:1", "text": CALM, "author": {"handle": "kim"}}], "root.jsonl")
    assert sw("--as", "root", "assign", "twitter:1")[0] == 0
    assert sw("--as", "root", "reply", "twitter:1", "--text", "Sorry Kim, can you DM us?")[0] == 0
    load(tmp_path, [{"id": "twitter:2", "text": ANGRY, "author": {"handle": "kim"}, "in_reply_to": "twitter:1"},
                    {"id": "twitter:9", "text": "hello there, question about my plan", "author": {"handle": "lee"}}],
         "more.jsonl")
    code, _, err = sw("--as", "alex", "claim", "--angry")
    assert code == 1 and "Nothing to claim" in err
    assert shown("twitter:2")["assignee"] == "root"  # a follow-up joins its case with the case's assignee
    code, out, err = sw("--as", "alex", "claim", "--json")
    assert code == 0, err
    assert json.loads(out)["id"] == "twitter:9"
    assert sw("--as", "alex", "claim")[0] == 1
    assert shown("twitter:1")["assignee"] == "root" and shown("twitter:2")["assignee"] == "root"


def test_claim_takes_the_whole_case_at_its_case_priority(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    case_with_angry_followup(tmp_path)
    load(tmp_path, [{"id": "twitter:5", "text": "my bill is wrong, charged twice", "author": {"handle": "lee"}}],
         "other.jsonl")
    _, angry = own_priorities()
    assert [m["id"] for m in lines(sw("triage", "--json")[1])][0] == "twitter:1"  # the case, at its follow-up's priority
    code, out, err = sw("--as", "alex", "claim", "--json")
    assert code == 0, err
    claimed = json.loads(out)
    assert claimed["id"] == "twitter:1" and claimed["assignee"] == "alex" and claimed["priority"] == angry
    assert shown("twitter:2")["assignee"] == "alex"
    audit = lines(sw("history", "twitter:2", "--json")[1])
    assert [(e["action"], e["agent"], e.get("case")) for e in audit] == [("claim", "alex", "twitter:1")]
    assert json.loads(sw("--as", "bo", "claim", "--json")[1])["id"] == "twitter:5"
    assert sw("--as", "cy", "claim")[0] == 1


def test_assigning_a_followup_assigns_its_case(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    case_with_angry_followup(tmp_path)
    code, out, err = sw("assign", "twitter:2", "--to", "pat")
    assert code == 0, err
    assert "case twitter:1" in out + err
    assert shown("twitter:1")["assignee"] == "pat" and shown("twitter:2")["assignee"] == "pat"
    assert [m["id"] for m in lines(sw("triage", "--json", "--assignee", "pat")[1])] == ["twitter:1"]
    assert sw("unassign", "twitter:1")[0] == 0
    assert shown("twitter:1")["assignee"] is None and shown("twitter:2")["assignee"] is None


def test_resolving_a_followup_gives_the_case_its_own_priority_back(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    case_with_angry_followup(tmp_path)
    calm, angry = own_priorities()
    assert shown("twitter:1")["priority"] == angry
    code, out, err = sw("--as", "alex", "resolve", "twitter:2")
    assert code == 0, err
    assert "twitter:1" in err  # says the case stays open
    case = shown("twitter:1")
    assert case["status"] == "new" and case["priority"] == calm and not case.get("case_priority")
    assert [m["priority"] for m in lines(sw("triage", "--json")[1])] == [calm]
    text = sw("show", "twitter:1")[1]
    assert f"priority {calm}" in text and sum(factors(text).values()) == calm
    assert "twitter:2 (resolved): WORST" in text
    assert sw("reopen", "twitter:2")[0] == 0
    assert shown("twitter:1")["priority"] == angry
    assert sw("priority", "twitter:2", str(calm + 1))[0] == 0
    assert shown("twitter:1")["priority"] == calm + 1
    assert sw("priority", "twitter:2", "auto")[0] == 0
    assert shown("twitter:1")["priority"] == angry


def test_reopening_a_followup_of_a_closed_case_reopens_the_case(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    case_with_angry_followup(tmp_path)
    calm, angry = own_priorities()
    assert sw("resolve", "twitter:1")[0] == 0
    assert shown("twitter:2")["status"] == "resolved" and shown("twitter:1")["priority"] == calm
    assert sw("reopen", "twitter:2")[0] == 0
    case = shown("twitter:1")
    assert case["status"] == "open" and case["priority"] == angry
    assert [m["id"] for m in lines(sw("triage", "--json")[1])] == ["twitter:1"]


def test_a_reply_that_resolves_the_case_closes_its_followups(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    case_with_angry_followup(tmp_path)
    code, _, err = sw("--as", "sam", "reply", "twitter:1", "--text", "Fixed now, sorry Kim", "--resolve", "-y")
    assert code == 0, err
    assert shown("twitter:2")["status"] == "resolved" and shown("twitter:2")["assignee"] == "sam"
    assert lines(sw("triage", "--json")[1]) == []


def test_show_lists_the_followup_behind_a_case_priority(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    case_with_angry_followup(tmp_path)
    calm, angry = own_priorities()
    code, text, err = sw("show", "twitter:1")
    assert code == 0, err
    assert f"twitter:1  priority {angry}" in text
    rows = factors(text)
    assert rows["case"] == angry - calm and sum(rows.values()) == angry
    assert f"follow-up twitter:2 priority {angry}" in text
    assert shown("twitter:1")["case_priority"] == {"followup": "twitter:2", "priority": angry}


def test_claim_shows_the_same_customer_history_as_show(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [{"id": "twitter:1", "text": "my bill was wrong last month", "author": {"handle": "kim"},
                     "status": "resolved"},
                    {"id": "twitter:7", "text": CALM, "author": {"handle": "kim"}}])
    load(tmp_path, [{"id": "twitter:8", "text": ANGRY, "author": {"handle": "kim"}, "in_reply_to": "twitter:7"}],
         "followup.jsonl")
    code, claimed, err = sw("--as", "alex", "claim")
    assert code == 0, err
    code, detail, err = sw("show", "twitter:7")
    assert code == 0, err
    assert "No other mentions by this author" not in claimed
    section = detail.split("Follow-ups by the customer", 1)[1]
    assert "my bill was wrong last month" in section and "still dead" in section
    # (the same lines; the ages may differ by a second or more, as the two commands run apart)
    ages = re.compile(r"\b\d+[smhd] ago\b")
    assert ages.sub("<age> ago", claimed.split("Follow-ups by the customer", 1)[1]) == ages.sub("<age> ago", section)
    assert ages.search(section)


def test_bulk_resolve_where_acts_on_cases_as_triage_shows_them(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    case_with_angry_followup(tmp_path)
    code, _, err = sw("resolve", "--where", "--angry", "--yes")
    assert code == 0 and "No open mention matches" in err  # the angry message is a follow-up of a calm case
    assert shown("twitter:2")["status"] == "new"
    code, out, err = sw("resolve", "--where", "--match", "router", "--yes")
    assert code == 0, err
    assert shown("twitter:1")["status"] == "resolved" and shown("twitter:2")["status"] == "resolved"


def test_triage_shows_the_case_with_its_followups_and_assigns_it_whole(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """The inbox (Textual, driven by its Pilot): one row per case, the follow-up's text and the
    case factor in the conversation; assigning the case assigns its follow-up too."""
    from tests.inbox_helpers import idle, make_app, run, screen_text, until

    case_with_angry_followup(tmp_path)
    _, angry = own_priorities()

    async def go() -> None:
        app = make_app()
        async with app.run_test(size=(100, 40)) as pilot:
            await until(pilot, lambda: app.conv is not None and app.conv.complete, what="the conversation")
            assert app.table.ids == ["twitter:1"]  # the case, not its follow-up alone
            assert app.conv.thread and app.conv.thread[0]["id"] == "twitter:2"
            text = screen_text(app)
            assert "still dead" in text and f"follow-up twitter:2 priority {angry}" in text
            assert text.splitlines()[2].lstrip().startswith(str(angry))  # the case's priority in the list
            await pilot.press("a", "enter")
            await idle(pilot, app)
    run(go())
    assert shown("twitter:1")["assignee"] == "priya"
    assert shown("twitter:2")["assignee"] == "priya"


def test_the_customers_other_mentions_leave_out_the_case_itself(home: pathlib.Path, tmp_path: pathlib.Path) -> None:
    load(tmp_path, [{"id": "twitter:1", "text": "my bill was wrong last month", "author": {"handle": "kim"},
                     "status": "resolved"},
                    {"id": "twitter:7", "text": CALM, "author": {"handle": "kim"}}])
    load(tmp_path, [{"id": "twitter:8", "text": ANGRY, "author": {"handle": "kim"}, "in_reply_to": "twitter:7"}],
         "followup.jsonl")
    for mid in ("twitter:7", "twitter:8"):
        code, detail, err = sw("show", mid, "--json")
        assert code == 0, err
        assert [m["id"] for m in json.loads(detail)["history"]] == ["twitter:1"]  # never its own case
    code, detail, _ = sw("show", "twitter:7")
    other = detail.split("Other mentions by this author (1):", 1)[1]
    assert "my bill was wrong last month" in other and "still dead" not in other.split("Follow-ups", 1)[0]
