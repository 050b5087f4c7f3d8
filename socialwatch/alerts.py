"""Alerts: rules over new mentions, spikes, failing sources and SLA breaches, sent to channels.

    [alerts]
    min_priority = 80               # a new mention with priority >= N
    angry = true                    # every new angry mention
    viral = true                    # every new viral mention
    spike_factor = 3.0              # mentions (or negative ones) this hour > k x the trailing
    spike_min = 10                  #   mean of the same hour over the last 7 days, and >= spike_min
    source_failing_minutes = 15     # a source failing for longer than this
    sla = true                      # an open mention past its first-response target
    cooldown = "30m"                # the same alert key fires at most once per cool-down

    [alerts.channels.team]          # any number of channels; "log" is always on
    type = "webhook"                # webhook | command | log
    url = "$SLACK_WEBHOOK_URL"      # the URL is a secret: always from the environment
    format = "slack"                # slack | teams | json
    # type = "command"; command = ["/usr/local/bin/page-oncall", "--team", "social"]  (JSON on stdin)

Each alert has a key (rule + mention id, source, or hour); it fires once per event, then not
again within the cool-down; fired alerts are recorded in the store's state (table "alerts").
"""

from __future__ import annotations

import json
import logging
import subprocess
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from socialwatch import model
from socialwatch.app import App
from socialwatch.errors import ConfigError
from socialwatch.logs import log

KEYS = {"min_priority": int, "angry": bool, "viral": bool, "spike_factor": (int, float), "spike_min": int,
        "source_failing_minutes": (int, float), "sla": bool, "cooldown": (int, float, str), "channels": dict}
CHANNEL_TYPES = ("webhook", "command", "log")
HISTORY_DAYS = 8


class Alerter:
    """Evaluates the rules of one configuration; cheap to build."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.table = app.config.table("alerts")
        path = str(app.config.path)
        for key, value in self.table.items():
            want = KEYS.get(key)
            if want is None:
                raise ConfigError("unknown key", path=path, key=f"alerts.{key}")
            if isinstance(value, bool) and want is not bool:
                raise ConfigError("wrong type", path=path, key=f"alerts.{key}")
            if not isinstance(value, want):
                raise ConfigError("wrong type", path=path, key=f"alerts.{key}")
        try:
            self.cooldown = model.parse_duration(self.table.get("cooldown", "30m"))
        except ValueError as exc:
            raise ConfigError(str(exc), path=path, key="alerts.cooldown") from None
        for name, ch in self.table.get("channels", {}).items():
            if not isinstance(ch, dict) or ch.get("type") not in CHANNEL_TYPES:
                raise ConfigError(f"type must be one of {', '.join(CHANNEL_TYPES)}", path=path, key=f"alerts.channels.{name}.type")
            if ch["type"] == "webhook" and "url" not in ch:
                raise ConfigError("a webhook needs `url`", path=path, key=f"alerts.channels.{name}.url")
            if ch["type"] == "command" and not isinstance(ch.get("command"), (list, str)):
                raise ConfigError("a command channel needs `command`", path=path, key=f"alerts.channels.{name}.command")

    @property
    def enabled(self) -> bool:
        return bool(self.table)

    # ---- rules ---------------------------------------------------------------------------
    def after_poll(self, new_ids: list[str], now: datetime | None = None) -> list[dict]:
        """Alerts about mentions just stored, plus spikes (called after each poll)."""
        if not self.enabled:
            return []
        now = now or model.utcnow()
        wanted = set(new_ids)
        fresh = [m for m in self.app.store.open_mentions() if m.get("id") in wanted] if wanted else []
        candidates = []
        floor = self.table.get("min_priority")
        for m in fresh:
            score = m.get("score") or {}
            reasons = []
            if floor is not None and model.effective_priority(m) >= floor:
                reasons.append(f"priority {model.effective_priority(m)}")
            if self.table.get("angry") and score.get("angry"):
                reasons.append("angry")
            if self.table.get("viral") and score.get("viral"):
                reasons.append("viral")
            if reasons:
                candidates.append(self._mention_alert(m, reasons))
        if self.table.get("spike_factor"):
            candidates += self._spikes(now)
        return self.fire(candidates, now)

    def periodic(self, now: datetime | None = None) -> list[dict]:
        """Alerts that do not depend on a poll: failing sources and SLA breaches."""
        if not self.enabled:
            return []
        now = now or model.utcnow()
        candidates: list[dict] = []
        minutes = self.table.get("source_failing_minutes")
        if minutes is not None:
            from socialwatch.health import source_rows

            for row in source_rows(self.app, now):
                since = row.get("failing_since")
                if row["enabled"] and since and row["state"] in ("failing", "not entitled", "degraded"):
                    age = (now - model.parse_time(since)).total_seconds() / 60
                    if age >= minutes:
                        candidates.append({"kind": "source_failing", "key": f"source:{row['name']}:{since}",
                                           "source": row["name"], "state": row["state"],
                                           "message": f"source {row['name']} has been {row['state']} for {age:.0f} min: "
                                                      f"{row.get('last_error') or ''}"})
        if self.table.get("sla"):
            from socialwatch import sla
            from socialwatch.views import due_sentence

            policy = sla.policy(self.app.config.table("sla"), str(self.app.config.path))
            for m in self.app.store.open_mentions():
                countdown = sla.countdown(policy, m, now)
                if countdown is not None and countdown.overdue:  # (as `health` counts breaches)
                    candidates.append({"kind": "sla", "key": f"sla:{m['id']}", "mention_id": m["id"],
                                       "message": f"{m['id']}: {due_sentence(countdown)}, "
                                                  f"priority {model.effective_priority(m)}"})
        return self.fire(candidates, now)

    def _mention_alert(self, m: dict, reasons: list[str]) -> dict:
        author = (m.get("author") or {}).get("handle") or "?"
        return {"kind": "mention", "key": f"mention:{m['id']}", "mention_id": m["id"], "reasons": reasons,
                "priority": model.effective_priority(m), "url": m.get("url"), "author": author,
                "text": (m.get("text") or "")[:280],
                "message": f"{', '.join(reasons)}: @{author} on {m.get('platform')}: {(m.get('text') or '')[:140]}"}

    def _spikes(self, now: datetime) -> list[dict]:
        counts = hourly_counts(self.app)
        hour = now.strftime("%Y-%m-%dT%H")
        factor = float(self.table["spike_factor"])
        floor = int(self.table.get("spike_min", 10))
        out = []
        for field in ("total", "negative"):
            current = counts.get(hour, {}).get(field, 0)
            past = [counts.get((now - timedelta(days=d)).strftime("%Y-%m-%dT%H"), {}).get(field, 0) for d in range(1, 8)]
            baseline = sum(past) / len(past)
            if current >= floor and current > factor * baseline:
                out.append({"kind": "spike", "key": f"spike:{field}:{hour}", "hour": hour, "what": field,
                            "count": current, "baseline": round(baseline, 2),
                            "message": f"spike: {current} {'negative ' if field == 'negative' else ''}mentions in the hour "
                                       f"{hour}:00 UTC, against {baseline:.1f} on the same hour of the last 7 days"})
        return out

    # ---- firing --------------------------------------------------------------------------
    def fire(self, candidates: list[dict], now: datetime) -> list[dict]:
        """Send each candidate not sent within the cool-down; record what was sent."""
        if not candidates:
            return []
        sent = []
        with self.app.store.session() as s:
            for alert in candidates:
                doc = s.state_get("alerts", alert["key"])
                if doc and now - model.parse_time(doc["last_fired"]) < self.cooldown:
                    continue
                alert["at"] = model.iso(now)
                record = {"key": alert["key"], "kind": alert["kind"], "last_fired": alert["at"],
                          "count": (doc or {}).get("count", 0) + 1, "message": alert["message"]}
                s.state_put("alerts", alert["key"], record)
                sent.append(alert)
        for alert in sent:
            self.deliver(alert)
        return sent

    def deliver(self, alert: dict) -> None:
        log(logging.WARNING, f"ALERT {alert['message']}", alert=alert["kind"], key=alert["key"])
        for name, ch in self.table.get("channels", {}).items():
            try:
                if ch["type"] == "webhook":
                    self._webhook(ch, alert)
                elif ch["type"] == "command":
                    self._command(ch, alert)
            except Exception as exc:  # one broken channel must not stop the others
                log(logging.ERROR, f"alert channel {name} failed", channel=name, error=f"{type(exc).__name__}: {exc}")

    def _webhook(self, ch: dict, alert: dict) -> None:
        url = self.app.config.resolve_value(ch["url"], "alerts.channels.url")
        body = payload(alert, ch.get("format", "json"))
        request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=float(ch.get("timeout", 10))) as response:  # noqa: S310
            response.read(1024)

    def _command(self, ch: dict, alert: dict) -> None:
        command = ch["command"]
        argv = command if isinstance(command, list) else [command]
        subprocess.run([str(a) for a in argv], input=json.dumps(alert).encode("utf-8"), timeout=float(ch.get("timeout", 30)),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def payload(alert: dict, fmt: str) -> dict:
    """The webhook body: Slack (`text` + blocks), Microsoft Teams (MessageCard) or the alert itself."""
    title = f"socialwatch: {alert['kind']}"
    if fmt == "slack":
        text = f"*{title}*\n{alert['message']}" + (f"\n<{alert['url']}|open>" if alert.get("url") else "")
        return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    if fmt == "teams":
        card: dict[str, Any] = {"@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": title,
                                "title": title, "text": alert["message"]}
        if alert.get("url"):
            card["potentialAction"] = [{"@type": "OpenUri", "name": "Open", "targets": [{"os": "default", "uri": alert["url"]}]}]
        return card
    return alert


def record_hourly(app: App, mentions: list[dict], session: Any) -> None:
    """Count newly stored mentions per hour of posting (for spike detection), inside a session."""
    if not mentions:
        return
    bumps: dict[str, list[int]] = {}
    for m in mentions:
        hour = (m.get("created_at") or "")[:13]
        if not hour:
            continue
        negative = ((m.get("score") or {}).get("compound") or 0) <= -0.05  # None: not scored (language)
        bump = bumps.setdefault(hour, [0, 0])
        bump[0] += 1
        bump[1] += int(negative)
    cutoff = (model.utcnow() - timedelta(days=HISTORY_DAYS)).strftime("%Y-%m-%dT%H")
    for hour, (total, negative) in bumps.items():
        if hour < cutoff:
            continue
        doc = session.state_get("hourly", hour) or {"total": 0, "negative": 0}
        session.state_put("hourly", hour, {"hour": hour, "total": doc["total"] + total, "negative": doc["negative"] + negative})
    session.state_prune("hourly", cutoff)


def hourly_counts(app: App) -> dict[str, dict]:
    return app.store.state_all("hourly")
