"""Masking secrets wherever text could carry them out (errors, logs, tracebacks).

Config values written as "$NAME" are registered here when resolved; `mask` replaces every
registered value, passwords in URLs and bearer/OAuth tokens in text by "***".
"""

from __future__ import annotations

import re

_known: set[str] = set()

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_TOKENS = re.compile(
    r"(?i)(?P<key>bearer\s+|oauth_token=|oauth_signature=|access_token[\"']?\s*[:=]\s*[\"']?|"
    r"refresh_token[\"']?\s*[:=]\s*[\"']?|client_secret[\"']?\s*[:=]\s*[\"']?|password[\"']?\s*[:=]\s*[\"']?|"
    r"authorization[\"']?\s*[:=]\s*[\"']?(?:basic|bearer)?\s*)(?P<value>[A-Za-z0-9%._~+/=-]{4,})"
)


def register(value: str) -> None:
    """Remember a secret value so that `mask` hides it."""
    if isinstance(value, str) and len(value) >= 4:
        _known.add(value)


def mask(text: str) -> str:
    """`text` with every known secret, URL password and token value replaced by ***."""
    if not text:
        return text
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _TOKENS.sub(lambda m: f"{m['key']}***", text)
