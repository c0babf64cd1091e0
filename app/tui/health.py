"""Health in the TUI: background re-checks on a timer, the checks behind check all (R), and the figures.

Mixed into TetherApp. The schedule itself is app.core.scheduler.HealthScheduler (plain Python); this
module drives it with a Textual timer and thread workers. It keeps state only: what the checks find
reaches the list screen as messages (app.tui.messages), and the screen alone draws its widgets.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work

from app.core.scheduler import (
    DEFAULT_CONCURRENCY,
    MANUAL_CONCURRENCY,
    HealthScheduler,
    interval_from_env,
    slowest_first,
)
from app.tui.messages import BackgroundChecked, HealthChanged, HealthLoaded, RowChanged
from storage.records import Integration, Status

if TYPE_CHECKING:
    from textual.message import Message

    from app.core.context import Context
    from storage.metrics import Health

TICK_SECONDS = 1.0
LOCKED_RETRY_SECONDS = 5.0
ENV_PASSPHRASE_COMMAND = "TETHER_PASSPHRASE_COMMAND"  # storage.secrets.select's name, without importing it


class HealthMixin:
    """Needs ``self.context``, ``self.types`` and ``self.main_screen`` from TetherApp."""

    health_scheduler: HealthScheduler | None = None
    healths: dict[int, Health]

    def start_health(self, context: Context, integrations: list[Integration]) -> None:
        """Called once the data directory is open. TETHER_CHECK_INTERVAL=off turns background checks off."""
        self.healths = {}
        self.load_health()
        interval = interval_from_env()
        if interval is None:
            return
        self.health_scheduler = HealthScheduler(
            interval=interval, max_concurrent=DEFAULT_CONCURRENCY, clock=time.monotonic
        )
        self.health_scheduler.sync(integrations)
        self.set_interval(TICK_SECONDS, self.health_tick, name="background checks")  # type: ignore[attr-defined]

    def tell_list(self, message: Message) -> None:
        """The list screen draws what the App learned; the App never writes its widgets."""
        if self.screen_stack:  # type: ignore[attr-defined]  # empty while quitting
            self.main_screen.post_message(message)  # type: ignore[attr-defined]

    # --- the background schedule ------------------------------------------------------------

    def health_tick(self) -> None:
        """Start the checks that are due, without ever asking for the vault passphrase."""
        scheduler = self.health_scheduler
        if scheduler is None or self.context is None or not self.screen_stack:  # type: ignore[attr-defined]
            return
        current = {item.id: item for item in self.main_screen.current_integrations()}  # type: ignore[attr-defined]
        scheduler.sync(current.values())
        locked = self.secrets_locked()  # type: ignore[attr-defined]
        if locked and not getattr(self, "_health_unlock_tried", False) and os.environ.get(ENV_PASSPHRASE_COMMAND):
            # A passphrase command needs no person: unlock once so background checks can read secrets.
            self._health_unlock_tried = True
            self.with_secrets(lambda: None)  # type: ignore[attr-defined]
        for integration_id in scheduler.take_due():
            item = current.get(integration_id)
            if item is None or not self.checkable(item):
                scheduler.finished(integration_id, True)  # try again after an interval
                continue
            if locked and item.secret_names:
                scheduler.postpone(integration_id, LOCKED_RETRY_SECONDS)
                continue
            self.tell_list(RowChanged(replace(item, status=Status.CHECKING)))
            self._background_check(item)

    def checkable(self, item: Integration) -> bool:
        """Enabled and of a type this tether knows (every known type has a check)."""
        return item.status is not Status.DISABLED and item.type_key in self.types  # type: ignore[attr-defined]

    @work(thread=True, group="health", exit_on_error=False, name="check in the background")
    def _background_check(self, integration: Integration) -> None:
        from app.core.checks import check_integration

        context = self.context  # type: ignore[attr-defined]
        try:
            outcome = check_integration(context.storage.integrations, integration, types=context.types)
            health = context.storage.metrics.health(integration.id)
        except Exception:
            if self.health_scheduler is not None:
                self.health_scheduler.finished(integration.id, False)
            raise
        self.post_message(BackgroundChecked(outcome, health))  # type: ignore[attr-defined]

    def on_background_checked(self, message: BackgroundChecked) -> None:
        outcome = message.outcome
        if self.health_scheduler is not None:
            retry_after = outcome.error.retry_after if outcome.error else None
            self.health_scheduler.finished(outcome.integration.id, outcome.error is None, retry_after=retry_after)
        self.tell_list(RowChanged(outcome.integration))
        if message.health is not None:
            self.healths[outcome.integration.id] = message.health
            self.tell_list(HealthChanged({outcome.integration.id: message.health}))

    # --- check all and manual checks ------------------------------------------------------

    def check_all(self, targets: list[Integration]) -> None:
        """The list's R: these integrations, at once, slowest first, bounded."""

        def start() -> None:
            for item in targets:
                self.tell_list(RowChanged(replace(item, status=Status.CHECKING)))
            latencies = {key: value.last_latency_ms for key, value in self.healths.items()}
            ordered = slowest_first([item.id for item in targets], latencies)
            by_id = {item.id: item for item in targets}
            self._check_batch([by_id[integration_id] for integration_id in ordered])

        if any(item.secret_names for item in targets):
            self.with_secrets(start)  # type: ignore[attr-defined]
        else:
            start()

    @work(thread=True, group="health", exit_on_error=False, name="check every integration")
    def _check_batch(self, targets: list[Integration]) -> None:
        from app.core.check_batch import check_many

        storage = self.context.storage  # type: ignore[attr-defined]
        # Each row updates as soon as its outcome is stored: one hung server only delays its own row.
        for outcomes in check_many(
            storage.integrations,
            targets,
            concurrency=MANUAL_CONCURRENCY,
            metrics=storage.metrics,
            types=self.types,  # type: ignore[attr-defined]
        ):
            try:
                healths = storage.metrics.health_all(only=[outcome.integration.id for outcome in outcomes])
            except Exception:  # a refused read: the rows still show their outcomes; figures load with the next
                healths = {}
            for outcome in outcomes:
                self.post_message(BackgroundChecked(outcome, healths.get(outcome.integration.id)))  # type: ignore[attr-defined]

    def integration_checked(self, integration_id: int, ok: bool) -> None:
        """The list checked one by hand (r): the schedule starts over and the figures reload."""
        if self.health_scheduler is not None:
            self.health_scheduler.finished(integration_id, ok)
        self.load_health(integration_id)

    def integration_changed(self, integration_id: int) -> None:
        """The list disabled or enabled one (x): the schedule follows, and its figures reload."""
        if self.health_scheduler is not None:
            self.health_scheduler.sync(self.main_screen.current_integrations())  # type: ignore[attr-defined]
        self.load_health(integration_id)

    # --- health figures ---------------------------------------------------------------------

    @work(thread=True, group="health-load", exit_on_error=False, name="load the health figures")
    def load_health(self, integration_id: int | None = None) -> None:
        metrics = self.context.storage.metrics  # type: ignore[attr-defined]
        if integration_id is None:
            self.post_message(HealthLoaded(metrics.health_all()))  # type: ignore[attr-defined]
        else:
            self.post_message(HealthLoaded({integration_id: metrics.health(integration_id)}))  # type: ignore[attr-defined]

    def on_health_loaded(self, message: HealthLoaded) -> None:
        self.healths.update(message.healths)
        self.tell_list(HealthChanged(dict(message.healths)))
