"""Leaving the integration form safely: escape asks before dropping typed changes, and ctrl+s tests
first (as `tether add` does) and asks before saving what fails its test."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual import work
from textual.content import Content
from textual.message import Message

from screens.form_outcome import outcome_content

if TYPE_CHECKING:
    from connectors.errors import ConnectorError
    from connectors.types import CheckResult
    from storage.records import Integration


class PreTested(Message):
    """The test ctrl+s runs before saving, and how long it took (for the health figures)."""

    def __init__(self, result: CheckResult | None, error: ConnectorError | None, latency_ms: float) -> None:
        super().__init__()
        self.result, self.error, self.latency_ms = result, error, latency_ms


class LeavingMixin:
    """Mixed into IntegrationFormScreen; uses its values, editors, workers and ``_save_values``."""

    _pretested: PreTested | None = None
    _snapshot: tuple[Any, ...] | None = None

    # --- escape with changes --------------------------------------------------------------

    def form_snapshot(self) -> tuple[Any, ...]:
        return (self.label(), tuple(sorted(self.values().items())))  # type: ignore[attr-defined]

    def remember_as_unchanged(self) -> None:
        """What escape compares against: the values as opened, then as last saved."""
        self._snapshot = self.form_snapshot()

    def has_unsaved_changes(self) -> bool:
        return self._snapshot is not None and self.form_snapshot() != self._snapshot

    def leave(self) -> None:
        """Escape and Cancel: go at once when nothing changed, otherwise ask (Keep editing is focused)."""
        if not self.has_unsaved_changes():
            self.dismiss(self.integration)  # type: ignore[attr-defined]
            return
        from screens.pick import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(self.integration)  # type: ignore[attr-defined]

        body = "What you typed in this form has not been saved. Discard it and leave?"
        self.app.push_screen(  # type: ignore[attr-defined]
            ConfirmScreen("Discard changes?", body, "Discard", cancel_label="Keep editing"), answered
        )

    # --- test, then save --------------------------------------------------------------------

    def tests_before_saving(self) -> bool:
        """OAuth types without a sign-in yet cannot be tested: their sign-in runs the check itself."""
        spec = self.spec  # type: ignore[attr-defined]
        integration = self.integration  # type: ignore[attr-defined]
        return not spec.oauth or bool(integration and integration.has_secret("refresh_token"))

    def test_then_save(self) -> None:
        self._pretested = None
        self._with_request(self._pretest, "Testing the connection before saving…")  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="test the connection")
    def _pretest(self, settings: dict[str, Any], secrets: dict[str, str], use_stored: bool) -> None:
        started = time.perf_counter()
        tested = self.run_test(settings, secrets, use_stored)  # type: ignore[attr-defined]
        self.post_message(PreTested(tested.result, tested.error, (time.perf_counter() - started) * 1000))  # type: ignore[attr-defined]

    def on_pre_tested(self, message: PreTested) -> None:
        self._set_busy(False)  # type: ignore[attr-defined]
        if message.error is None:
            self._pretested = message
            self._save_values()  # type: ignore[attr-defined]
            return
        self._say(outcome_content(message.result, message.error))  # type: ignore[attr-defined]
        blamed = self.show_blamed_field(message.error)  # type: ignore[attr-defined]
        from screens.pick import ConfirmScreen

        def answered(save_anyway: bool | None) -> None:
            if save_anyway:
                self._pretested = message
                self._save_values()  # type: ignore[attr-defined]
            elif blamed is not None:
                blamed.focus_input()

        body = Content.assemble(
            outcome_content(None, message.error),
            "\n\n",
            ("Save it anyway (its status will say what failed), or keep editing?", "$text-muted"),
        )
        self.app.push_screen(  # type: ignore[attr-defined]
            ConfirmScreen(
                "The connection test failed", body, "Save anyway", cancel_label="Keep editing", variant="warning"
            ),
            answered,
        )

    def record_pretest(self, saved: Integration) -> None:
        """After the save: store what the test before it found, instead of testing a second time."""
        pretested, self._pretested = self._pretested, None
        assert pretested is not None
        self._set_busy(True, "Saved. Recording the test…")  # type: ignore[attr-defined]
        self._record(saved, pretested)

    @work(thread=True, exclusive=True, group="form", exit_on_error=False, name="record the test")
    def _record(self, saved: Integration, pretested: PreTested) -> None:
        from app.core.checks import record_success, status_for
        from app.core.health import record_outcome
        from screens.form_outcome import Tested
        from storage.errors import Superseded

        storage = self.app.context.storage  # type: ignore[attr-defined]
        error = pretested.error
        try:
            if error is None:
                assert pretested.result is not None
                stored = record_success(
                    storage.integrations, saved.id, pretested.result, expected_version=saved.version
                )
            else:
                from storage.convert import now

                stored = storage.integrations.set_status(
                    saved.id, status_for(error), str(error), checked_at=now(), expected_version=saved.version
                )
        except Superseded as exc:
            self.post_message(Tested(None, None, saved, discarded=str(exc)))  # type: ignore[attr-defined]
            return
        record_outcome(storage.metrics, saved.id, latency_ms=pretested.latency_ms, error=error, source="check")
        self.post_message(Tested(pretested.result, error, stored))  # type: ignore[attr-defined]
