"""Customer satisfaction (CSAT): one survey after a case is resolved, the answer read from the thread.

    [csat]
    sources = ["x", "demo"]      # opt-in, per source (no survey for the others)
    when = "delay"               # "delay": due `delay` after the resolution; "on_resolve": due at once
    delay = "10m"
    question = "Hi {name}, how did we do? Reply 1 (poor) to 5 (great), and tell us why if you like."
    visibility = "auto"          # "public", "private", or "auto": the channel of the case (a DM is always
                                 # surveyed privately)
    min_interval = "30d"         # never survey one customer twice within this window
    expires = "7d"               # answers later than this after the survey are ordinary mentions
    exclude_tags = ["spam"]      # cases with one of these tags get no survey
    check_every = "30s"          # how often the daemon sends due surveys

How a survey is sent exactly once, whatever races or crashes:

1. Resolving a case (`resolve`, `reply --resolve`, bulk resolve) of an enabled source that we
   answered marks it, in the same locked session/transaction as the resolution, with a durable
   `csat_survey = {state: "due", due_at}` and a work item in the store's `csat_due` state
   namespace. Ignored cases, follow-ups and excluded tags never get one; a case that was
   already surveyed never gets a second.
2. `send_due` (the daemon every `check_every`, `poll` after polling, `csat send`) takes each due
   item under the store's lock (TinyDB) or `FOR UPDATE SKIP LOCKED` (PostgreSQL), deletes it,
   checks the case again (still resolved? customer surveyed within `min_interval`?) and, in the
   same transaction, stores an outbox record of kind `csat` in state `sending` and the survey
   state `sending`. Two senders never take one item; a second resolve finds the survey no longer
   due. The platform call happens after the commit, through the exactly-once outbox
   (`outbox._deliver`): a crash leaves `sending`, settled by `outbox reconcile`, never re-sent.
3. Once sent, the survey's platform reference (the reply's id, as the sources write
   `in_reply_to`) and the customer are kept in the `csat_refs` namespace until it expires.

Answers (`take_answers`, called where new mentions join their threads): a new mention that
replies to the survey post, or a message or thread reply by the same customer while a survey is
open, is read as a rating: "4", "4/5", "8/10", stars (★★★★☆), faces (😡 .. 😀), 👍/👎, yes/no;
a direct reply to the survey without any of these is read as a comment (`comments`: the full
score of scoring and survey cues, not VADER's compound alone): satisfied, dissatisfied, or,
when it says neither, a comment without a rating (a response, not counted in CSAT). The answer
is stored on the case (`csat`); an answer that is only a rating, a satisfied comment, or a
comment without a rating that asks nothing does not reopen the case and is kept as a closed
`csat_answer_to` mention, outside the KPIs' volume; a dissatisfied comment (or one that asks a
question) joins the case as a follow-up and reopens it, as any customer follow-up does.

The parts: `policy` (the settings, eligibility and step 1), `send` (steps 2 and 3), `answers`
(reading and matching answers), `comments` (reading free text), `listing` (`csat list`: the
surveys of a period and the cases skipped). The names below are the package's API for the rest
of socialwatch.
"""

from socialwatch.csat.answers import SCALE_5, SCALE_YES_NO, Answer, is_satisfied, parse_answer, take_answers
from socialwatch.csat.policy import (
    AGENT,
    Settings,
    customer_key,
    customer_ref,
    eligible,
    on_resolved,
    settings,
)
from socialwatch.csat.send import SendResult, question_for, reply_ref, send_due, send_one, settled, visibility_for

__all__ = ["AGENT", "SCALE_5", "SCALE_YES_NO", "Answer", "SendResult", "Settings", "customer_key", "customer_ref",
           "eligible", "is_satisfied", "on_resolved", "parse_answer", "question_for", "reply_ref", "send_due",
           "send_one", "settings", "settled", "take_answers", "visibility_for"]
