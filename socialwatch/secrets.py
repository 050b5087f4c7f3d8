"""Masking secrets wherever text could carry them out (errors, logs, tracebacks).

Secret *values* are masked, never ordinary words. Config values written as "$NAME" are
registered here when resolved (`register`), and `mask` replaces every registered value by
"***". A connection URL is registered by its password alone (`register_dsn`), so that
`postgresql://user:***@host:5432/db` still says where the store is. On top of the registered
values, `mask` hides passwords in URLs and values that follow a credential's name
("Bearer …", "access_token=…") when they look like credentials (long, or with digits): the
words in "an app bearer token needs `user_id`" are left alone.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_known: set[str] = set()

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_TOKENS = re.compile(
    r"(?i)(?P<key>bearer\s+|oauth_token=|oauth_signature=|access_token[\"']?\s*[:=]\s*[\"']?|"
    r"refresh_token[\"']?\s*[:=]\s*[\"']?|client_secret[\"']?\s*[:=]\s*[\"']?|password[\"']?\s*[:=]\s*[\"']?|"
    r"authorization[\"']?\s*[:=]\s*[\"']?(?:basic|bearer)?\s*)(?P<value>[A-Za-z0-9%._~+/=-]{4,})"
)
_CONNINFO_PASSWORD = re.compile(r"(?:^|\s)password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))")


def _looks_like_a_credential(value: str) -> bool:
    """A token-shaped value (as opposed to a word of a sentence): long, or carrying digits."""
    return len(value) >= 16 or (len(value) >= 6 and any(c.isdigit() for c in value))


def register(value: str) -> None:
    """Remember a secret value so that `mask` hides it."""
    if isinstance(value, str) and len(value) >= 4:
        _known.add(value)


def dsn_password(value: str) -> list[str]:
    """The password of a database URL or libpq conninfo string (as written and decoded), if any."""
    found: list[str] = []
    if "://" in value:
        try:
            parts = urlsplit(value)
            password = parts.password
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    else:
        m = _CONNINFO_PASSWORD.search(value)
        if m:
            found.append(m.group(1) if m.group(1) is not None else m.group(2))
    return [p for p in dict.fromkeys(found) if p]


def register_dsn(value: str) -> None:
    """Remember the password of a database URL (the rest of it is not secret)."""
    if not isinstance(value, str):
        return
    for password in dsn_password(value):
        register(password)


def mask(text: str) -> str:
    """`text` with every known secret, URL password and credential-shaped token value replaced by ***."""
    if not text:
        return text
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _TOKENS.sub(lambda m: f"{m['key']}***" if _looks_like_a_credential(m["value"]) else m[0], text)
