"""The `[csat]` settings (`settings`), who gets a survey (`eligible`), and marking a resolved case
with a due survey (`on_resolved`): step 1 of `socialwatch.csat`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.errors import ConfigError, SocialwatchError

#: Who the audit log names for what the survey machinery does.
AGENT = "socialwatch"
DEFAULT_QUESTION = ("Hi {name}, thanks for contacting {brand}. How did we do? Reply with a number from "
                    "1 (poor) to 5 (great), and tell us why if you like.")
KEYS: dict[str, Any] = {"sources": list, "when": str, "delay": (str, int, float), "question": str, "visibility": str,
                        "min_interval": (str, int, float), "expires": (str, int, float), "exclude_tags": list,
                        "check_every": (str, int, float)}
WHEN = ("delay", "on_resolve")
VISIBILITY = ("auto", "public", "private")
#: Survey states that mean "nothing more will be sent for this case".
FINAL = ("sending", "sent", "answered", "failed", "unknown", "skipped")
PLACEHOLDERS = {"author", "handle", "name", "agent", "brand", "case"}


@dataclass
class Settings:
    """The `[csat]` table, validated."""

    sources: set[str] = field(default_factory=set)
    delay: timedelta = timedelta(minutes=10)
    question: str = DEFAULT_QUESTION
    visibility: str = "auto"
    min_interval: timedelta = timedelta(days=30)
    expires: timedelta = timedelta(days=7)
    exclude_tags: set[str] = field(default_factory=lambda: {"spam"})
    check_every: timedelta = timedelta(seconds=30)


def settings(config: Any) -> Settings | None:
    """The CSAT settings of a configuration; None when no source is enabled. ConfigError naming the key."""
    table = config.table("csat")
    if not table:
        return None
    path = str(config.path)
    for key, value in table.items():
        want = KEYS.get(key)
        if want is None:
            raise ConfigError(f"unknown key (known: {', '.join(KEYS)})", path=path, key=f"csat.{key}")
        if isinstance(value, bool) or not isinstance(value, want):
            raise ConfigError("wrong type", path=path, key=f"csat.{key}")
    st = Settings()
    sources = table.get("sources") or []
    if not all(isinstance(s, str) for s in sources):
        raise ConfigError("expected a list of source names", path=path, key="csat.sources")
    st.sources = set(sources)
    if not st.sources:
        return None
    when = table.get("when", "delay")
    if when not in WHEN:
        raise ConfigError(f"expected one of {', '.join(WHEN)}", path=path, key="csat.when")
    for key in ("delay", "min_interval", "expires", "check_every"):
        if key in table:
            try:
                setattr(st, key, model.parse_duration(table[key]))
            except ValueError as exc:
                raise ConfigError(str(exc), path=path, key=f"csat.{key}") from None
    if when == "on_resolve":
        st.delay = timedelta(0)
    st.visibility = table.get("visibility", "auto")
    if st.visibility not in VISIBILITY:
        raise ConfigError(f"expected one of {', '.join(VISIBILITY)}", path=path, key="csat.visibility")
    st.question = table.get("question", DEFAULT_QUESTION)
    from socialwatch.templates import Template

    try:
        unknown = {p for p in Template("csat.question", st.question).placeholders() if p} - PLACEHOLDERS
    except SocialwatchError as exc:
        raise ConfigError(str(exc), path=path, key="csat.question") from None
    if unknown or not st.question.strip():
        raise ConfigError(f"unknown placeholder(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(PLACEHOLDERS))}"
                          if unknown else "the question is empty", path=path, key="csat.question")
    tags = table.get("exclude_tags", ["spam"])
    if not all(isinstance(t, str) for t in tags):
        raise ConfigError("expected a list of tags", path=path, key="csat.exclude_tags")
    st.exclude_tags = set(tags)
    if st.check_every.total_seconds() < 0.1:
        raise ConfigError("at least 0.1 s", path=path, key="csat.check_every")
    return st



def customer_key(mention: dict) -> str:
    """One customer on one platform: "twitter:ann" (handles are case-insensitive)."""
    handle = str((mention.get("author") or {}).get("handle") or "").lower()
    return f"{mention.get('platform') or model.split_id(mention['id'])[0]}:{handle}"


def customer_ref(mention: dict) -> str:
    """The `csat_refs` key of a customer's open survey: answers by message or in the thread find it."""
    return "customer:" + customer_key(mention)


def eligible(st: Settings, mention: dict) -> str | None:
    """Why the resolved case gets no survey, or None when it does."""
    if mention.get("source") not in st.sources:
        return "its source is not in [csat] sources"
    if mention.get("status") != "resolved":
        return f"it is {mention.get('status')}, not resolved"
    if mention.get("case_id") and mention["case_id"] != mention["id"]:
        return "it is a follow-up of another case"
    if mention.get("csat_answer_to"):
        return "it is a survey answer"
    if not mention.get("first_response_at"):
        return "it was closed without an answer from us"
    excluded = st.exclude_tags & set(mention.get("tags") or [])
    if excluded:
        return f"it is tagged {', '.join(sorted(excluded))}"
    if not (mention.get("author") or {}).get("handle"):
        return "its author is unknown"
    return None


def on_resolved(s: Any, config: Any, mention: dict, agent: str, now: datetime | None = None) -> None:
    """Mark a case that was just resolved (in the caller's session) with a due survey.

    Called by every path that resolves a case; does nothing when CSAT is off for its source,
    the case is not eligible, or a survey was already sent or decided for it.
    """
    st = settings(config)
    if st is None or eligible(st, mention) is not None:
        return
    survey = mention.get("csat_survey") or {}
    if survey.get("state") in FINAL:
        return
    due = (now or model.utcnow()) + st.delay
    mention["csat_survey"] = {"state": "due", "due_at": model.iso(due), "resolved_by": agent}
    s.state_put("csat_due", mention["id"], {"id": mention["id"], "due_at": model.iso(due)})
