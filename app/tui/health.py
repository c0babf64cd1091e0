"""Health in the TUI: background re-checks on a timer, check all (R), disable/enable (x), metrics in the detail.

Mixed into TetherApp. The schedule itself is app.core.scheduler.HealthScheduler (plain Python); this
module only drives it with a Textual timer and thread workers, and shows what they find.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from app.core.scheduler import DEFAULT_CONCURRENCY, HealthScheduler, interval_from_env, slowest_first
from storage.records import Integration, Status

if TYPE_CHECKING:
    from app.core.checks import CheckOutcome
    from app.core.context import Context
    from storage.metrics import Health

TICK_SECONDS = 1.0
LOCKED_RETRY_SECONDS = 5.0
ENV_PASSPHRASE_COMMAND = "TETHER_PASSPHRASE_COMMAND"  # storage.secrets.select's name, without importing it
# Check all (R) runs more at once than the background: someone is waiting for it.
MANUAL_CONCURRENCY = 16


class BackgroundChecked(Message):
    def __init__(self, outcome: CheckOutcome, health: Health | None) -> None:
        super().__init__()
        self.outcome = outcome
        self.health = health


class HealthLoaded(Message):
    def __init__(self, healths: dict[int, Health]) -> None:
        super().__init__()
        self.healths = healths


class DisabledToggled(Message):
    def __init__(self, integration: Integration | None, error: str = "") -> None:
        super().__init__()
        self.integration = integration
        self.error = error


class HealthMixin:
    """Needs ``self.context`` and ``self.main_screen`` from TetherApp."""

    health_scheduler: HealthScheduler | None = None
    healths: dict[int, Health]

    def start_health(self, context: Context, integrations: list[Integration]) -> None:
        """Called once the data directory is open. TETHER_CHECK_INTERVAL=off turns background checks off."""
        self.healths = {}
        self._load_health()
        interval = interval_from_env()
        if interval is None:
            return
        self.health_scheduler = HealthScheduler(interval=interval, max_concurrent=DEFAULT_CONCURRENCY, clock=time.monotonic)
        self.health_scheduler.sync(integrations)
        self.set_interval(TICK_SECONDS, self.health_tick, name="background checks")  # type: ignore[attr-defined]

    # --- the background schedule ------------------------------------------------------------

    def health_tick(self) -> None:
        """Start the checks that are due, without ever asking for the vault passphrase."""
        scheduler = self.health_scheduler
        if scheduler is None or self.context is None:  # type: ignore[attr-defined]
            return
        table = self.main_screen.table  # type: ignore[attr-defined]
        current = {item.id: item for item in table.integrations()}
        scheduler.sync(current.values())
        locked = self.secrets_locked()  # type: ignore[attr-defined]
        if locked and not getattr(self, "_health_unlock_tried", False) and os.environ.get(ENV_PASSPHRASE_COMMAND):
            # A passphrase command needs no person: unlock once so background checks can read secrets.
            self._health_unlock_tried = True
            self.with_secrets(lambda: None)  # type: ignore[attr-defined]
        for integration_id in scheduler.take_due():
            item = current.get(integration_id)
            if item is None or not self._checkable(item):
                scheduler.finished(integration_id, True)  # try again after an interval
                continue
            if locked and item.secret_names:
                scheduler.postpone(integration_id, LOCKED_RETRY_SECONDS)
                continue
            table.update_integration(replace(item, status=Status.CHECKING))
            self._background_check(item)

    def _checkable(self, item: Integration) -> bool:
        try:
            return item.status is not Status.DISABLED and self.types.get(item.type_key).can_check  # type: ignore[attr-defined]
        except KeyError:
            return False

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
        if message.health is not None:
            self.healths[outcome.integration.id] = message.health
        self.main_screen.table.update_integration(outcome.integration)  # type: ignore[attr-defined]

    # --- check all and manual checks ------------------------------------------------------

    def action_check_all(self) -> None:
        """R: every enabled integration, at once, slowest first, bounded."""
        if self.context is None:  # type: ignore[attr-defined]
            return
        table = self.main_screen.table  # type: ignore[attr-defined]
        targets = [item for item in table.integrations() if self._checkable(item)]
        if not targets:
            self.notify("Nothing to check: no enabled integration has a connection check.", title="Check all")  # type: ignore[attr-defined]
            return

        def start() -> None:
            for item in targets:
                table.update_integration(replace(item, status=Status.CHECKING))
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
        from concurrent.futures import ThreadPoolExecutor

        from app.core.checks import check_integration

        storage = self.context.storage  # type: ignore[attr-defined]

        def one(item: Integration) -> None:
            outcome = check_integration(storage.integrations, item, types=self.types)  # type: ignore[attr-defined]
            self.post_message(BackgroundChecked(outcome, storage.metrics.health(item.id)))  # type: ignore[attr-defined]

        # Each row updates as its own check ends: one hung server only delays its own row.
        with ThreadPoolExecutor(max_workers=min(MANUAL_CONCURRENCY, len(targets))) as pool:
            list(pool.map(one, targets))

    def on_integration_checked(self, message) -> None:  # type: ignore[no-untyped-def]
        """A manual check (r) from the list: it resets the schedule and refreshes the metrics."""
        outcome = message.outcome
        if self.health_scheduler is not None:
            self.health_scheduler.finished(outcome.integration.id, outcome.error is None)
        self._load_health(outcome.integration.id)

    # --- metrics in the detail pane ---------------------------------------------------------

    @work(thread=True, group="health-load", exit_on_error=False, name="load the health figures")
    def _load_health(self, integration_id: int | None = None) -> None:
        metrics = self.context.storage.metrics  # type: ignore[attr-defined]
        if integration_id is None:
            self.post_message(HealthLoaded(metrics.health_all()))  # type: ignore[attr-defined]
        else:
            self.post_message(HealthLoaded({integration_id: metrics.health(integration_id)}))  # type: ignore[attr-defined]

    def on_health_loaded(self, message: HealthLoaded) -> None:
        self.healths.update(message.healths)
        selected = self.main_screen.table.selected  # type: ignore[attr-defined]
        if selected is not None and selected.id in message.healths:
            self._show_health(selected)

    def on_integration_table_highlighted(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.integration is not None:
            self._show_health(message.integration)

    def _show_health(self, integration: Integration) -> None:
        health = getattr(self, "healths", {}).get(integration.id)
        if health is None or not self.main_screen.is_mounted:  # type: ignore[attr-defined]
            return
        # Only now: diagnostics imports the database layer, which the first rows must not wait for.
        from app.core.diagnostics import health_lines
        from widgets.integration_detail import IntegrationDetail

        lines = health_lines(health, at=self.clock())  # type: ignore[attr-defined]
        if integration.status is Status.DISABLED:
            lines.insert(0, "Disabled: not checked, and workflows cannot use it. Press x to enable it.")
        self.main_screen.query_one(IntegrationDetail).show(integration, self.clock(), "\n".join(lines))  # type: ignore[attr-defined]

    # --- disable / enable -------------------------------------------------------------------

    def action_toggle_disabled(self) -> None:
        selected = self.main_screen.table.selected  # type: ignore[attr-defined]
        if selected is not None and self.context is not None:  # type: ignore[attr-defined]
            self._set_disabled(selected, selected.status is not Status.DISABLED)

    def disable_instead(self, integration: Integration) -> None:
        """The delete dialog's "Disable instead"."""
        self._set_disabled(integration, True)

    @work(thread=True, group="write", exit_on_error=False, name="disable or enable the integration")
    def _set_disabled(self, integration: Integration, disabled: bool) -> None:
        from app.core.toggle import set_disabled
        from storage.errors import StorageError

        try:
            updated = set_disabled(self.context.storage, integration.id, disabled)  # type: ignore[attr-defined]
        except StorageError as exc:
            self.post_message(DisabledToggled(None, str(exc)))  # type: ignore[attr-defined]
            return
        self.post_message(DisabledToggled(updated))  # type: ignore[attr-defined]

    def on_disabled_toggled(self, message: DisabledToggled) -> None:
        item = message.integration
        if item is None:
            self.notify(message.error, title="Not changed", severity="error")  # type: ignore[attr-defined]
            return
        self.main_screen.table.update_integration(item)  # type: ignore[attr-defined]
        if item.status is Status.DISABLED:
            blocked = f" {len(item.used_by)} workflow(s) cannot run until you enable it." if item.used_by else ""
            self.notify(f"Disabled {item.label!r}: it is not checked.{blocked} Press x to enable it.", title="Disabled")  # type: ignore[attr-defined]
        else:
            self.notify(f"Enabled {item.label!r}; press r to check it now.", title="Enabled")  # type: ignore[attr-defined]
        if self.health_scheduler is not None:
            self.health_scheduler.sync(self.main_screen.table.integrations())  # type: ignore[attr-defined]
        self._load_health(item.id)

    def health_action_applies(self, action: str) -> bool | None:
        """check_action for R and x: only on the integrations list, x only with a selection."""
        from screens.integrations import IntegrationsScreen

        if not isinstance(self.screen, IntegrationsScreen) or self.context is None:  # type: ignore[attr-defined]
            return False
        if action == "toggle_disabled":
            return None if self.main_screen.table.selected is None else True  # type: ignore[attr-defined]
        return True
