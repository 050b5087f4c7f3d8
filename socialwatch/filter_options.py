"""The queue filters as options: one definition for the command line (`triage`, `export`, the
bulk commands) and the inbox's `:filter` command line, so that the two cannot drift.

`queue_filters` adds the options to a click command; `parse` reads the same options from a
list of words (the inbox's `:filter --language cy --needs-response`) with click's own parser;
`describe` writes a `queue.Filters` back as those options (the inbox's header shows it).
Only click is imported here: `socialwatch --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

#: The statuses and intents the options accept (model.STATUSES; config.INTENTS, the scorer's labels).
STATUSES = ("new", "open", "pending", "resolved", "ignored")
INTENTS = ("complaint", "question", "request", "feedback", "praise", "other")


def _language_codes(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """--language takes language codes: a name or a typo would silently match nothing."""
    from socialwatch.scoring.langnames import code_hint, is_code

    for value in values:
        if not is_code(value):
            raise click.BadParameter(f"{value!r} is not a language code: {code_hint(value)}")
    return values


def _options() -> list[Callable[[Any], Any]]:
    return [
        click.option("--source", "-s", "source", multiple=True, metavar="NAME", help="Only this source (repeatable)."),
        click.option("--status", multiple=True, type=click.Choice(STATUSES), help="Only this status (repeatable)."),
        click.option("--min-priority", type=click.IntRange(0, 100), help="Only mentions with at least this priority."),
        click.option("--angry", is_flag=True, help="Only angry mentions."),
        click.option("--viral", is_flag=True, help="Only viral mentions."),
        click.option("--needs-response", is_flag=True, help="Only mentions that need a response."),
        click.option("--intent", multiple=True, type=click.Choice(INTENTS), help="Only this intent (repeatable)."),
        click.option("--language", multiple=True, metavar="CODE", callback=_language_codes,
                     help="Only this language, e.g. cy (repeatable)."),
        click.option("--assignee", metavar="AGENT", help="Only mentions assigned to AGENT ('none' for unassigned)."),
        click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only mentions with this tag."),
        click.option("--match", "text", metavar="TEXT", help="Only mentions whose text contains TEXT."),
    ]


def queue_filters(f: Any) -> Any:
    """The filter options shared by triage, export and the bulk commands (a click decorator)."""
    for option in reversed(_options()):
        f = option(f)
    return f


def _command() -> click.Command:
    @click.command("filter", add_help_option=False)
    @queue_filters
    def filter_command(**_: Any) -> None:  # pragma: no cover - never invoked: only its parser is used
        pass

    return filter_command


def params() -> list[click.Option]:
    """The options themselves (names, choices): for completion and tests."""
    return [p for p in _command().params if isinstance(p, click.Option)]


def parse(words: Iterable[str]) -> Any:
    """`--angry --language cy ...` as a `queue.Filters`, read exactly as `triage` reads them;
    a `UsageError` says what is wrong (an unknown option, a missing or bad value)."""
    from socialwatch import queue
    from socialwatch.errors import UsageError

    try:
        ctx = _command().make_context("filter", list(words), resilient_parsing=False)
    except click.ClickException as exc:
        raise UsageError(exc.format_message()) from None
    if ctx.args:
        raise UsageError(f"unexpected {' '.join(ctx.args)!r} (filters are options: --language cy, --angry, ...)")
    return queue.Filters.from_options(ctx.params)


#: How each field of `queue.Filters` that the options set is written back as an option.
_FIELDS = (("sources", "--source"), ("statuses", "--status"), ("min_priority", "--min-priority"), ("angry", "--angry"),
           ("viral", "--viral"), ("needs_response", "--needs-response"), ("intents", "--intent"),
           ("languages", "--language"), ("assignee", "--assignee"), ("tags", "--tag"), ("text", "--match"))


def words(filters: Any) -> list[str]:
    """The options that give `filters` (those the options can set), in the options' order;
    `parse(words(f))` gives `f` back."""
    out: list[str] = []
    for attr, option in _FIELDS:
        value = getattr(filters, attr)
        if isinstance(value, bool):
            if value:
                out.append(option)
        elif isinstance(value, (set, frozenset, list, tuple)):
            for item in sorted(value):
                out += [option, str(item)]
        elif value is not None and value != "":
            out += [option, str(value)]
    return out


def describe(filters: Any) -> str:
    """The active filters as the options a person would type ('' when none), shell-quoted
    where needed; not yet made safe for a terminal (see `render.safe`)."""
    import shlex

    return " ".join(w if w.startswith("--") else shlex.quote(w) for w in words(filters))
