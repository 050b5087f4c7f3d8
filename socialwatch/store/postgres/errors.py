"""What the PostgreSQL store tells people: a schema of another version, lock waits that ended
badly, and the URL without its password."""

from __future__ import annotations

from socialwatch.errors import Busy, Contention, StoreError
from socialwatch.secrets import mask


class SchemaMismatch(StoreError):
    """The database's schema version is not the one this socialwatch uses (exit 2)."""

    exit_code = 2


def masked_url(url: str) -> str:
    """The URL without its password (for people and logs)."""
    try:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(url)
        if "password" in params:
            params["password"] = "***"
            if "://" in url:
                return mask(url)
            return make_conninfo(**params)
    except Exception:  # a URL libpq cannot parse is still masked as text
        pass
    return mask(url)



def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _raise_lock_timeout(exc: Exception) -> None:
    """Lock waits that ended badly, as one line for people (nothing was changed)."""
    import psycopg

    if isinstance(exc, psycopg.errors.LockNotAvailable):
        raise Busy("the store is locked by another process (timed out waiting)") from None
    if isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)):
        raise Contention("another agent changed the same mentions at the same moment; nothing was changed: "
                         "run the command again") from None

