"""The triage inbox: a full-screen terminal inbox for care agents (`socialwatch triage`).

    inbox.py    what the screen shows, without Textual: views, rows, the conversation
    actions.py  what the keys do, on top of the workflow library (the CLI's functions), with undo
    live.py     changes by the team (LISTEN/NOTIFY or the store's files), in a worker thread
    widgets.py  the view and filter bars, the queue table, the conversation pane, the small screens
    composer.py the reply editor
    keys.py     the agent's keys, one after the other (typing into a prompt is text)
    commands.py the `:` command line and its completion
    app.py      the Textual application that puts them together

Textual is imported only by the screens' modules, which only `run_inbox` loads: `triage --json`,
`show` and `--help` never pay for it.
"""

from __future__ import annotations

from typing import Any


def run_inbox(app: Any, filters: Any, limit: int | None = None) -> None:
    """Open the inbox on this terminal until the agent quits."""
    from socialwatch.triage.app import InboxApp

    InboxApp(app, filters, limit=limit).run()
