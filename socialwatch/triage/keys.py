"""The inbox's keys, one after the other (a mixin of `InboxApp`).

Textual routes a key to the widget focused when it arrives, and a binding acts when the key has
bubbled back up: keys typed faster than that (a paste of keys, a fast typist, keys typed while a
prompt or the composer opens) would go to a widget the previous key was about to leave, or act on
a mention the cursor was leaving. Here each key is handled once the previous one has had its whole
effect; a screen that takes typing (`TAKES_INPUT`: a prompt, the composer) holds the keys after
the one that opened it until its text box has the focus, so that letters typed into it are text,
never inbox commands. Keys typed while the inbox starts (before the queue is on screen) are kept
and done in order once it is, as keys typed ahead in any terminal program, but only those that
move, search or read: from the first key that would act on a mention (reply, done, ignore, note,
tag, assign, escalate, claim, snooze, undo) the early keys are dropped, since the agent has not
seen the mention it would act on. The status line says what was done and what was dropped (a
click before the screen is shown lands on nothing and is dropped).
"""

from __future__ import annotations

import collections
from typing import Any

from textual import events

#: Keys that act on the mention under the cursor (or claim one): never done from type-ahead.
ACTS_ON_MENTION = frozenset("rRntaecdisu")

#: A key whose effect has not settled within this many seconds no longer holds up the next.
KEY_SETTLE_AT_MOST = 1.0


class KeyQueue:
    """The key handling of `InboxApp` (see the module docstring). The app provides `status`
    and Textual's `App` methods; `start_keys` is called in its constructor, `keys_ready` once
    the first screen shows the queue."""

    ready_at: float | None
    early_keys: int

    def start_keys(self) -> None:
        self.ready_at = None
        self.early_keys = 0  # keys typed before the queue was on screen (done once it is)
        self._early_left = 0  # of those, how many are still waiting to be done
        self._typed: collections.deque[events.Key] = collections.deque()
        self._key_turn = 0  # which key is being handled (its effect settling)
        self._key_busy = False
        self._awaiting_input: Any = None  # a screen taking typing, not yet focused

    def keys_ready(self) -> None:
        """The queue is on screen: the keys typed meanwhile are done now, in order."""
        from textual._time import get_time  # (the clock Textual stamps events with)

        self.ready_at = get_time()
        if self.early_keys:
            n = self.early_keys
            self._early_left = n
            self.status(f"{n} key{'s' if n != 1 else ''} typed while the inbox started: done in order")
            self.call_later(self._next_key)

    def _drop_early(self, event: events.Key) -> bool:
        """An early key that would act on a mention the agent has not seen: drop it and the
        early keys after it (they were typed to follow it), and say so."""
        if self._early_left <= 0:
            return False
        self._early_left -= 1
        if event.character not in ACTS_ON_MENTION or getattr(self.screen, "TAKES_INPUT", False):
            return False
        dropped = 1 + self._early_left
        for _ in range(self._early_left):
            self._typed.popleft()
        self._early_left = 0
        self.status(f"{dropped} key{'s' if dropped != 1 else ''} typed while the inbox started not done: "
                    f"'{event.character}' acts on a mention that was not on screen yet")
        return True

    async def on_event(self, event: events.Event) -> None:
        """The agent's keys, in order, each once the previous one has settled.

        Textual routes a key to the widget focused when it arrives, and a binding acts when the
        key has bubbled back up: keys typed faster than that (a paste of keys, a fast typist,
        keys typed while a screen opens) would go to a widget the previous key was about to
        leave, or act on a mention the cursor was leaving. Keys that arrive before the first
        screen is shown wait for it (`keys_ready`); a click then is dropped."""
        if isinstance(event, (events.Key, events.MouseDown, events.MouseUp)) and not event.is_forwarded:
            if self.ready_at is None:
                if isinstance(event, events.Key):
                    self._typed.append(event)
                    self.early_keys += 1
                return
            if isinstance(event, events.Key):
                self._typed.append(event)
                if not self._key_busy:
                    await self._next_key()
                return
        await super().on_event(event)

    async def _next_key(self) -> None:
        if self._key_busy or not self._typed or self._awaiting_input is not None or self.ready_at is None:
            return
        event = self._typed.popleft()
        if self._drop_early(event):
            self.call_later(self._next_key)  # keys typed since the queue showed
            return
        self._key_busy = True
        self._key_turn += 1
        turn = self._key_turn
        target = self.focused or self.screen
        self.set_timer(KEY_SETTLE_AT_MOST, lambda: self._key_settled(turn))
        try:
            await super().on_event(event)  # Textual's routing: bindings, the focused widget
        finally:
            # the key has settled once each widget from its target up to the app has handled
            # what was before it in its queue, twice (what it posted to itself in the meantime)
            self._settle([*target.ancestors_with_self, self] if target is not self else [self], turn)

    def _settle(self, nodes: list[Any], turn: int, rounds: int = 2) -> None:
        if turn != self._key_turn:
            return
        while nodes:
            node = nodes[0]
            if rounds == 0:
                nodes, rounds = nodes[1:], 2
                continue
            if node.call_later(self._settle, nodes, turn, rounds - 1):
                return
            nodes, rounds = nodes[1:], 2  # (a closed widget: nothing more to wait for there)
        self._key_settled(turn)

    def _key_settled(self, turn: int) -> None:
        if turn != self._key_turn or not self._key_busy:
            return
        self._key_busy = False
        if self._awaiting_input is not None:
            return  # the next key waits for the new screen's focus (see release_input)
        self.call_later(self._next_key)

    def hold_input(self, screen: Any) -> None:
        """`screen` takes typing: keys wait until its focus is in place (`release_input`)."""
        self._awaiting_input = screen
        self.set_timer(KEY_SETTLE_AT_MOST, lambda: self._awaiting_input is screen and self.release_input())

    def release_input(self) -> None:
        self._awaiting_input = None
        if not self._key_busy:
            self.call_later(self._next_key)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(screen, "TAKES_INPUT", False):
            self.hold_input(screen)
        return super().push_screen(screen, *args, **kwargs)
