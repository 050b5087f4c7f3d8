"""What every KPI of `report.kpi.compute` means: the definitions below, for developers, and
`DEFINITIONS`, the same in words for managers (the HTML report's "How these numbers are counted").

Definitions (a mention is *in the period* when since <= created_at < until; a *follow-up* is a
mention whose `case_id` is set and differs from its id; a *survey answer* is a mention that
only answered a satisfaction survey (`csat_answer_to`): it is not counted as a mention anywhere):

* volume: mentions in the period, follow-ups included, survey answers left out.
* negative / angry / viral: mentions whose sentiment label is negative (the agent's
  `sentiment_override` wins over VADER's label), whose `score.angry` / `score.viral` is set;
  the shares divide by volume.
* first-response time (FRT): business time (`Policy.elapsed`) from created_at to
  first_response_at, over answered mentions that are not follow-ups; median and p90 use linear
  interpolation between ranks (numpy's default, Excel's PERCENTILE.INC).
* SLA attainment: met / (met + breached). Met: answered within `Policy.target(effective
  priority)`. Breached: answered later than that, or unanswered and already past due at `now`.
  Not yet due: unanswered and still within the target. Not counted, and named: follow-ups (the
  case's first mention carries its SLA), mentions ignored without an answer (none was
  needed) and unanswered mentions whose score says they need no response (nothing was due:
  `show`, the queue and `health` give them no due time either). Past due is counted in business
  time, as everywhere (`sla.countdown`). volume = met + breached + not yet due + follow-ups +
  ignored without an answer + unanswered needing no response.
* resolution time: business time from created_at to resolved_at of mentions in status
  `resolved` (ignored ones are not resolutions), follow-ups excluded; median and p90. Its
  population differs from FRT's: a mention resolved without a reply (answered elsewhere,
  handled by phone) counts in resolution time and not in FRT, which is how the median
  resolution can be shorter than the median first response (`notes` then says so).
* first-contact resolution (FCR): over resolved mentions (not follow-ups) with at least one
  reply, the share resolved with exactly one reply, no customer follow-up in the case
  (`followups` empty) and never reopened. Replies are the `replies` records; a mention answered
  outside socialwatch (first_response_at but no reply record) counts as one reply.
* backlog: mentions created before `until` (whatever `since`) that are not follow-ups and were
  not closed (resolved/ignored with resolved_at <= until) at `until`.
* complaints / questions / needs a response: mentions whose `score.complaint` is set (for
  mentions scored before it: negative or angry), whose `score.intent` is "question", whose
  `score.needs_response` is set; the shares divide by volume. *Needs a response, answered*:
  those of the mentions needing a response that have a first response; its share divides by
  the mentions needing a response.
* CSAT: over the satisfaction surveys *sent* in the period (`csat_survey.sent_at`, whenever the
  case was created): responses = those answered (by now), response rate = responses / sent;
  rated = the responses with a rating (a comment that says neither satisfied nor dissatisfied
  has none: `csat.comments`), CSAT = satisfied answers / rated (4 or 5 of 5, yes, or a comment
  read as satisfied), with the customers' comments.
* busiest hours: hour of day (0-23, in the policy's time zone) of the period's mentions.
* spikes: clock hours of the period (in the policy's zone) with at least SPIKE_MIN mentions and
  more than SPIKE_FACTOR x the mean of the same hour of the same weekday over the previous
  SPIKE_WEEKS weeks, counting only weeks after the first stored mention; an hour with fewer than
  SPIKE_MIN_WEEKS such weeks is not judged ("not enough history").
* complaint themes: over complaints (as above) in the period, the words and two-word
  phrases found in the most mentions (each counted once per mention), without stop words (plain
  English and support talk: "time", "hours", "please", "help", ...), URLs, @handles, numbers and
  the brand's own names; a negated auxiliary and its verb make a phrase only when complete
  ("doesn't work", "won't turn on"; never "won't let" of "won't let me"); hyphenated words stay
  whole ("wi-fi"), and the word a truncated text ends in ("refund plea…") is left out; a phrase
  needs 2 mentions; a few example mentions per theme (cut at a word boundary).
* repeat complainers: customers (a handle on one platform) with at least 2 complaints in the period.
* previous period: the same KPIs over [since - (until - since), since); `deltas` = this - previous.
* weekly trend: the KPIs per week (Monday 00:00 in the policy's zone) over the period, or the
  TREND_WEEKS weeks ending with it when the period is shorter; the first and last weeks may be partial.

Groups: by source, by agent (the agent of the first reply, else whoever resolved it, else the
assignee, else "unassigned": `report.credit.credited_agent`, with the audit trail filling in what older
mentions did not record), by tag (a mention counts in each of its tags; none: "(untagged)") and
by brand (the mention's `brand`, else the configured brand name). Per-agent work (claims,
assignments given and received, replies, resolutions, notes, tags, escalations, handle time)
comes from the audit trail, counted once per case (`report/credit.py`).
Times in the result are seconds; instants are UTC ISO 8601.
"""

from __future__ import annotations

from socialwatch.report.kpi.periods import SPIKE_FACTOR, SPIKE_MIN, SPIKE_MIN_WEEKS, SPIKE_WEEKS, TREND_WEEKS

DEFINITIONS: dict[str, str] = {
    "volume": "Mentions posted in the period, the customers' follow-ups included; answers to a satisfaction "
              "survey are not counted as mentions.",
    "negative": "Mentions whose sentiment is negative: the agent's correction when there is one, else VADER's "
                "compound <= -0.05. Angry and viral: the scoring flags.",
    "frt": "First response: business time from posting to the brand's first reply, over the answered mentions "
           "that start a case (follow-ups excluded). Median and 90th percentile.",
    "sla": "Share of the measured mentions answered within the target of their priority band. Met + breached "
           "(answered late, or unanswered past due, in business time) are measured; not yet due, follow-ups, "
           "mentions ignored without an answer and unanswered ones that need no response are not, and are "
           "listed so that the counts add up to the volume.",
    "resolution": "Resolution time: business time from posting to resolution, over resolved cases (ignored ones "
                  "are not resolutions). It counts cases resolved without any reply, which first response does "
                  "not: the two medians describe different cases, and resolution can be the shorter.",
    "fcr": "First-contact resolution: of the resolved cases with a reply, those resolved with exactly one reply, "
           "without a follow-up from the customer and never reopened.",
    "backlog": "Cases posted before the end of the period and still open at its end.",
    "csat": "Satisfaction surveys sent in the period: responses and response rate (answered / sent), and CSAT, "
            "the share of rated answers that are satisfied (4 or 5 of 5, yes, or a comment read as satisfied). "
            "A comment that says neither is a response without a rating: it counts in the response rate, "
            "not in CSAT.",
    "agent": "A mention is credited to the agent of its first reply, else to whoever resolved it, else to its "
             "assignee. Activity is read from the audit log and counted once per case (a change carried over "
             "to a case's follow-ups is not counted again). Claimed: cases the agent took; Assigned to: cases "
             "someone else assigned to the agent; Assigned by: cases the agent assigned to someone else. "
             "First replies: cases the agent answered first. Handle time runs from the assignment or claim to "
             "that agent's first reply in, or resolution of, the case.",
    "spikes": "Hours with at least {minimum} mentions and more than {factor:g}x the mean of the same hour on the "
              "same weekday over the previous {weeks} weeks; an hour with fewer than {min_weeks} earlier weeks of "
              "data is not judged.",
    "complaints": "Mentions that scoring flags as a complaint (something went wrong, or dissatisfaction, angry "
                  "or calm; mentions scored before that flag existed: negative or angry). Questions: intent "
                  "'question'. Needs a response: the needs-response flag; 'answered' is the share of those "
                  "with a first response.",
    "themes": "Words and two-word phrases found in the most complaints (see complaints), counted once "
              "per mention, without stop words (including support talk such as 'time', 'hours', 'please', 'help') "
              "or the brand's own names; a negated verb only as a whole phrase ('won't turn on', not 'won't let'); "
              "hyphenated words whole ('wi-fi'); a word cut off by the end of a truncated text is left out.",
    "busiest": "Busiest hours: the hours of day (in the business-hours time zone) with the most mentions in the "
               "period, with their counts. The previous period's busiest hours are shown beside them, without a "
               "change: hours of day are not a quantity that goes up or down.",
    "previous": "Every KPI is compared with the previous period of the same length, ending where this one starts "
                "(SLA not measured: by its total; busiest hours: side by side, without a change).",
    "trend": "Per week from Monday 00:00 in the business-hours time zone, over the period or the {weeks} weeks "
             "ending with it.",
}


def definitions() -> dict[str, str]:
    """DEFINITIONS with the current thresholds filled in."""
    out = dict(DEFINITIONS)
    out["spikes"] = out["spikes"].format(minimum=SPIKE_MIN, factor=SPIKE_FACTOR, weeks=SPIKE_WEEKS,
                                         min_weeks=SPIKE_MIN_WEEKS)
    out["trend"] = out["trend"].format(weeks=TREND_WEEKS)
    return out


def notes(k: dict) -> list[str]:
    """Explanations of numbers that would otherwise look wrong."""
    out = []
    no_response = k.get("sla_excluded_no_response") or 0
    excluded = k["sla_pending"] + k["sla_excluded_followups"] + k["sla_excluded_ignored"] + no_response
    if k["volume"] and excluded:
        out.append(f"SLA: {k['sla_met'] + k['sla_breached']} of {k['volume']} mentions measured; not measured: "
                   f"{k['sla_pending']} not yet due, {k['sla_excluded_followups']} follow-ups (their case carries the "
                   f"SLA), {k['sla_excluded_ignored']} ignored without an answer"
                   + (f", {no_response} unanswered that need no response" if no_response else "") + ".")
    frt, res = k["frt_median_s"], k["resolution_median_s"]
    if frt is not None and res is not None and res < frt:
        out.append(f"The median resolution time is shorter than the median first response: they measure different "
                   f"cases. Resolution counts {k['resolved']} resolved cases, {k['resolved_without_reply']} of them "
                   f"resolved without a reply (answered elsewhere or closed as handled); first response counts "
                   f"{k['answered']} answered ones, resolved or not.")
    return out
