"""Saved replies: templates with placeholders, kept in `templates.toml` beside the config.

    [templates.delay-apology]
    visibility = "public"            # or "private"
    tags = ["delivery", "angry"]     # mentions they suit (matched against the mention's tags/flags)
    description = "..."
    text = "Hi {author}, I'm sorry ... {agent} ({case})"

Placeholders: {author} (the customer as the platform mentions them: @handle on X, Bluesky and
Mastodon, u/handle on Reddit, in public replies and direct messages alike), {handle} (the bare
handle), {name} (their display name, else handle), {agent}, {brand}, {case} (the mention's case
reference) and any custom `--var key=value`.
Filling is one pass: a value that itself contains "{...}" is never expanded again, and values
taken from the mention cannot add @-mentions of other accounts.

A template's visibility is what it was written for, never the channel it goes to: a direct
message is answered privately whatever the template says (see `outbox.choose_visibility`), and
only templates written for a private reply are suggested for one (`suggest`, `for_channel`).
"""

from __future__ import annotations

import pathlib
import re
import string
import tomllib
from dataclasses import dataclass, field

from socialwatch.errors import ConfigError, NotFound, UsageError

FILE_NAME = "templates.toml"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass
class Template:
    name: str
    text: str
    visibility: str = "public"
    tags: list[str] = field(default_factory=list)
    description: str = ""

    def placeholders(self) -> list[str]:
        try:
            return [f for _, f, _, _ in string.Formatter().parse(self.text) if f is not None]
        except ValueError as exc:
            raise UsageError(f"template {self.name}: {exc}") from None


def path_for(config_dir: pathlib.Path) -> pathlib.Path:
    return config_dir / FILE_NAME


def load(config_dir: pathlib.Path) -> dict[str, Template]:
    """Every template in `templates.toml` (an empty dict when there is no file)."""
    path = path_for(config_dir)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read templates: {exc}", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TOML syntax error: {exc}", path=str(path)) from None
    out: dict[str, Template] = {}
    for name, t in (data.get("templates") or {}).items():
        key = f"templates.{name}"
        if not _NAME.match(name):
            raise ConfigError("template names use letters, digits, '.', '_' and '-'", path=str(path), key=key)
        if not isinstance(t, dict) or not isinstance(t.get("text"), str):
            raise ConfigError("a template needs a `text` string", path=str(path), key=key)
        vis = t.get("visibility", "public")
        if vis not in ("public", "private"):
            raise ConfigError("visibility must be public or private", path=str(path), key=f"{key}.visibility")
        tags = t.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
            raise ConfigError("expected a list of strings", path=str(path), key=f"{key}.tags")
        tpl = Template(name=name, text=t["text"], visibility=vis, tags=tags, description=str(t.get("description", "")))
        tpl.placeholders()  # a broken format string is a config error now, not at send time
        out[name] = tpl
    return out


def get(config_dir: pathlib.Path, name: str) -> Template:
    templates = load(config_dir)
    if name not in templates:
        known = ", ".join(sorted(templates)) or "none"
        raise NotFound(f"no template named {name!r} (known: {known})")
    return templates[name]


def case_ref(mention: dict) -> str:
    """A short, stable case reference for a mention (e.g. "NW-3F2A91")."""
    import zlib

    return f"CASE-{zlib.crc32(mention['id'].encode()) & 0xFFFFFF:06X}"


def _defang(value: str) -> str:
    """A value from a mention, unable to start a mention of another account or a placeholder."""
    return value.replace("@", "").replace("{", "(").replace("}", ")")


_MASTODON_ACCT = re.compile(r"^[A-Za-z0-9_]{1,64}(@[A-Za-z0-9.-]{1,253})?$")


def mention_form(platform: str | None, handle: str | None) -> str:
    """How a post on `platform` names the customer: "@handle" (X, Bluesky, Mastodon, and by
    default), "u/handle" on Reddit; "there" without a handle. A Mastodon handle keeps the "@" of
    its own server ("@sian@toot.wales"); any other "@" in a handle is dropped (see `_defang`)."""
    raw = (handle or "").strip().lstrip("@")
    if platform == "mastodon" and _MASTODON_ACCT.match(raw):
        return "@" + raw
    bare = _defang(raw)
    if not bare:
        return "there"
    if platform == "reddit":
        return "u/" + bare.removeprefix("u/").removeprefix("/u/")
    return "@" + bare


def values_for(mention: dict, agent: str, brand: dict, extra: dict[str, str] | None = None) -> dict[str, str]:
    author = mention.get("author") or {}
    handle = _defang(author.get("handle") or "")
    values = {
        "author": mention_form(mention.get("platform"), author.get("handle")),
        "handle": handle or "there",
        "name": _defang(author.get("name") or handle or "there"),
        "agent": agent,
        "brand": str(brand.get("name") or ""),
        "case": case_ref(mention),
    }
    values.update(extra or {})
    return values


def fill(template: Template, values: dict[str, str]) -> str:
    """The template's text with placeholders filled; UsageError naming any missing one."""
    missing = sorted({p for p in template.placeholders() if p and p not in values})
    if missing:
        raise UsageError(
            f"template {template.name}: no value for {', '.join('{' + m + '}' for m in missing)} "
            "(pass --var NAME=VALUE)"
        )
    out = []
    for literal, fieldname, _spec, _conv in string.Formatter().parse(template.text):
        out.append(literal)
        if fieldname is not None:
            out.append(str(values[fieldname]))
    return "".join(out)


def for_channel(templates: dict[str, Template], mention: dict) -> list[Template]:
    """The templates that suit the mention's channel, by name: for a direct message only those
    written for a private reply (a public one says "DM us" or speaks to the timeline)."""
    items = sorted(templates.values(), key=lambda t: t.name)
    if mention.get("kind") == "dm":
        return [t for t in items if t.visibility == "private"]
    return items


def suggest(templates: dict[str, Template], mention: dict) -> list[Template]:
    """Templates that suit the mention's channel (`for_channel`) and whose tags match its tags,
    flags or kind, best first."""
    templates = {t.name: t for t in for_channel(templates, mention)}
    score = mention.get("score") or {}
    facts = set(mention.get("tags") or [])
    if score.get("angry"):
        facts.add("angry")
    if score.get("viral"):
        facts.add("viral")
    facts.add(mention.get("kind") or "mention")
    ranked = sorted(templates.values(), key=lambda t: (-len(facts & set(t.tags)), t.name))
    return [t for t in ranked if facts & set(t.tags)]


STARTER = '''# Saved replies for `socialwatch reply --template NAME` and `socialwatch draft`.
# Placeholders: {author} {name} {agent} {brand} {case}, and custom ones given with --var NAME=VALUE.
# Canned replies are a starting point: personalise them before sending.

[templates.apology-delay]
visibility = "public"
tags = ["delivery", "angry", "outage"]
description = "Acknowledge a delay or outage publicly and move to DM"
text = "Hi {author}, I'm really sorry about this, it's not the experience we want you to have. Could you DM us your account number so I can look into it right away? {agent}"

[templates.billing-dm]
visibility = "private"
tags = ["billing", "dm"]
description = "Private follow-up on a billing problem"
text = "Hi {name}, thanks for getting in touch. I'm sorry about the billing trouble. I've opened case {case} and I'll check your last two bills now. Could you confirm the postcode on the account? {agent}, {brand}"

[templates.churn-save]
visibility = "public"
tags = ["churn-risk", "angry"]
description = "A customer threatening to leave"
text = "{author} I'm sorry we've let you down. Before you decide, please give me the chance to put this right: DM us and I'll personally follow up on case {case}. {agent}"

[templates.thanks]
visibility = "public"
tags = ["praise"]
description = "Thank a happy customer"
text = "Thanks so much {author}! Really glad we could help. {agent}"
'''
