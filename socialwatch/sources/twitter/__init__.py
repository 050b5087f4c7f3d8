"""The X / Twitter source (`type = "twitter"`): mentions, recent search and DMs through tweepy (API v2).

What it reads, each with its own `since_id` cursor:
- `mentions`: `GET /2/users/:id/mentions` of the brand account (user context, or the app bearer
  token with an explicit `user_id`);
- `search`: `GET /2/tweets/search/recent` for `search_query` (last 7 days only), retweets and the
  brand's `exclusions` left out;
- `dms`: `GET /2/dm_events` (user context only; last 30 days), messages from the brand itself
  left out.

Each endpoint is walked newest-first page by page (`max_pages` at most). Every page is yielded as
a `Batch`; the last page of each endpoint carries the whole cursor, so the poller stores the
mentions first and then the cursor. An error on one endpoint does not stop the others: their
batches are yielded and the first error is raised at the end. When the walk cannot cover the
window (page limit, the API's 800-mention cap, the 7-day search window) the final batch says so
in `Batch.gap`.

tweepy and requests are imported only when a client is built or an error is mapped, so reading a
configuration with a twitter source stays fast. No message built here contains a credential:
errors are rebuilt from the HTTP status and the API's error titles, never from tweepy's text.

The package: `ids` (ids, snowflake times, URLs), `auth` (credentials and the tweepy client),
`settings`, `problems` (failed answers as safe facts), `walk`, `mapping` and `calls` (the parts
of `TwitterSource`: walking an endpoint, mapping tweets and DMs to mentions, running requests),
and `source` (`TwitterSource` itself). Every name is importable from here.
"""

from __future__ import annotations

from socialwatch.sources.twitter.auth import (
    _LEAKY_LOGGERS,
    _USER_KEYS_HINT,
    OAUTH1_KEYS,
    SECRET_KEYS,
    Credentials,
    _QuietSecrets,
    _requests,
    _silence_secret_logs,
    _timeout_session,
    _tweepy,
    credential_problem,
    user_client,
)
from socialwatch.sources.twitter.calls import MAX_BACKOFF
from socialwatch.sources.twitter.ids import (
    _CONVERSATION,
    _DIGITS,
    _SAFE_TOKEN,
    _USERNAME,
    FIRST_SNOWFLAKE,
    TWEPOCH_MS,
    _created_from_id,
    _dict,
    _hhmm,
    _list,
    _safe,
    _stored_time,
    _tweet_url,
    int_id,
    snowflake_time,
)
from socialwatch.sources.twitter.mapping import _author, _is_retweet, log
from socialwatch.sources.twitter.problems import (
    _SEVERITY,
    DISABLE_HINT,
    ENDPOINTS,
    _first_error,
    _json_body,
    _Malformed,
    _problem,
)
from socialwatch.sources.twitter.settings import Options, _option_problems, _present, build_query
from socialwatch.sources.twitter.source import TwitterSource
from socialwatch.sources.twitter.walk import (
    DM_EVENT_FIELDS,
    DM_WINDOW,
    MENTIONS_CAP,
    QUIET_OVERLAP,
    SEARCH_MARGIN,
    SEARCH_WINDOW,
    TWEET_FIELDS,
    USER_FIELDS,
    _Walk,
)

__all__ = [  # every name the single module defined, its private helpers too (the responder uses some)
    "Credentials",
    "DISABLE_HINT",
    "DM_EVENT_FIELDS",
    "DM_WINDOW",
    "ENDPOINTS",
    "FIRST_SNOWFLAKE",
    "MAX_BACKOFF",
    "MENTIONS_CAP",
    "OAUTH1_KEYS",
    "Options",
    "QUIET_OVERLAP",
    "SEARCH_MARGIN",
    "SEARCH_WINDOW",
    "SECRET_KEYS",
    "TWEET_FIELDS",
    "TWEPOCH_MS",
    "TwitterSource",
    "USER_FIELDS",
    "_CONVERSATION",
    "_DIGITS",
    "_LEAKY_LOGGERS",
    "_Malformed",
    "_QuietSecrets",
    "_SAFE_TOKEN",
    "_SEVERITY",
    "_USERNAME",
    "_USER_KEYS_HINT",
    "_Walk",
    "_author",
    "_created_from_id",
    "_dict",
    "_first_error",
    "_hhmm",
    "_is_retweet",
    "_json_body",
    "_list",
    "_option_problems",
    "_present",
    "_problem",
    "_requests",
    "_safe",
    "_silence_secret_logs",
    "_stored_time",
    "_timeout_session",
    "_tweepy",
    "_tweet_url",
    "build_query",
    "credential_problem",
    "int_id",
    "log",
    "snowflake_time",
    "user_client",
]
