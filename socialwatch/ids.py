"""Mention ids as agents type them: the full id ("twitter:1991411189945586210") or, when it is
unambiguous, the platform's own id alone ("1991411189945586210", as copied from a URL)."""

from __future__ import annotations

from typing import Any

from socialwatch.errors import NotFound, UsageError


def resolve(store: Any, given: str) -> str:
    """The full mention id for what the agent typed.

    A full id ("PLATFORM:NATIVE") is returned as it is (an unknown one fails later, where it is
    read). A bare native id is looked up among every stored mention, open or archived: exactly
    one match is that mention; several are a usage error listing them; none is NotFound.
    """
    text = given.strip()
    if ":" in text or not text:
        return given
    found = store.ids_with_native(text)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"no mention with id {given!r} (nor one whose platform id is {given!r}): "
                       "give the full id, e.g. twitter:123")
    shown = ", ".join(found[:10]) + (", …" if len(found) > 10 else "")
    raise UsageError(f"{given!r} is the platform id of several mentions ({shown}): give the full id")
