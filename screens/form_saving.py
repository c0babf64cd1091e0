"""Saving the integration form: ctrl+s tests first (as `tether add` does), asks before saving what
fails its test, saves, then records that test (or checks what was saved) for the list and the health figures."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.message import Message

from screens.form_outcome import Saved, Tested, outcome_content
from widgets.plain import plain

if TYPE_CHECKING:
    from app.core.form_state import Request
    from connectors.errors import ConnectorError
    from connectors.types import CheckResult
    from screens.form_host import FormHost
    from storage.records import Integration


class PreTested(Message):
    """The test ctrl+s runs before saving, and how long it took (for the health figures)."""

    def __init__(self, result: CheckResult | None, error: ConnectorError | None, latency_ms: float) -> None:
        super().__init__()
        self.result, self.error, self.latency_ms = result, error, latency_ms


class Saving:
    """Save (ctrl+s) for one form, from the test before it to the outcome recorded after it."""

    def __init__(self, form: FormHost) -> None:
        self.form = form
        self.pretested: PreTested | None = None  # the test before the save under way, recorded after it

    def save(self) -> None:
        """Save, or Done: leave once the values on screen were saved and their check passed."""
        form = self.form
        state = form.state
        if state.busy:
            return
        if state.done and state.integration is not None:
            form.close()
            return
        if not form.valid_or_show():
            return
        if form.app.context is None:
            form.say("tether is still opening its data directory; try again in a moment.")
            return
        if state.tests_before_saving():
            self.pretested = None  # then save_values, or a question first if the test fails
            form.with_request(
                lambda request: form.run_in_thread(partial(self._pretest, request), "test the connection"),
                "Testing the connection before saving…",
            )
        else:
            self.save_values()

    # --- the test before the save -------------------------------------------------------------

    def _pretest(self, request: Request) -> None:
        """Worker side."""
        from app.core.form_requests import test_request

        form = self.form
        context = form.app.context
        storage = context.storage if context is not None else None
        started = time.perf_counter()
        result, error = test_request(form.state.spec, request, form.state.integration, storage)
        form.post_message(PreTested(result, error, (time.perf_counter() - started) * 1000))

    def pre_tested(self, message: PreTested) -> None:
        form = self.form
        form.set_busy(False)
        if message.error is None:
            self.pretested = message
            self.save_values()
            return
        form.say(outcome_content(message.result, message.error))
        blamed = form.show_blamed_field(message.error)
        from screens.pick import ConfirmScreen

        def answered(save_anyway: bool | None) -> None:
            if save_anyway:
                self.pretested = message
                self.save_values()
            elif blamed is not None:
                blamed.focus_input()

        body = Content.assemble(
            outcome_content(None, message.error),
            "\n\n",
            ("Save it anyway (its status will say what failed), or keep editing?", "$text-muted"),
        )
        form.app.push_screen(
            ConfirmScreen(
                "The connection test failed", body, "Save anyway", cancel_label="Keep editing", variant="warning"
            ),
            answered,
        )

    # --- the save -------------------------------------------------------------------------------

    def save_values(self) -> None:
        form = self.form
        state = form.current()
        settings, secrets = state.settings_and_secrets()
        label = state.label.strip()

        def go() -> None:
            form.set_busy(True, "Saving…")
            state.start_saving(label, settings)
            form.run_in_thread(partial(self._save, label, settings, secrets), "save the integration")

        if state.save_needs_secret_store(secrets):
            form.app.with_secrets(go, on_cancel=lambda: form.say("Not saved: the vault stayed locked."))
        else:
            go()

    def _save(self, label: str, settings: dict[str, Any], secrets: dict[str, str]) -> None:
        """Worker side."""
        from storage.errors import DuplicateName, StorageError
        from storage.names import BadName

        form, state = self.form, self.form.state
        assert form.app.context is not None
        repo = form.app.context.storage.integrations
        try:
            if state.integration is None:
                saved = repo.add(state.spec.key, label, settings, secrets)
            else:
                saved = repo.update(
                    state.integration.id, label=label, settings=settings, secrets=secrets or None, opened=state.opened
                )
        except (DuplicateName, BadName) as exc:
            form.post_message(Saved(None, str(exc), field="label"))
        except StorageError as exc:
            form.post_message(Saved(None, str(exc)))
        else:
            form.post_message(Saved(saved))

    def saved(self, message: Saved) -> None:
        form = self.form
        spec = form.state.spec
        form.set_busy(False)
        if message.integration is None:
            if message.field:
                form.editor(message.field).show_error(message.error)
                form.editor(message.field).focus_input()
            form.say(plain(f"Not saved: {message.error}", "$error"))
            return
        saved = message.integration
        form.state.saved(saved)
        form.show_secrets_stored(saved)
        form.remember_as_unchanged()
        if spec.oauth and not saved.has_secret("refresh_token"):
            # Not signed in yet: the browser sign-in comes next, and it runs the check itself.
            form.set_busy(False, "Saved. Finish the sign-in to connect it (ctrl+r starts it again if you closed it).")
            form.app.reauthenticate(saved, spec.name)
            return
        if self.pretested is not None:
            self._record_pretest(saved)
            return
        form.set_busy(True, "Saved. Testing the connection…")
        form.run_in_thread(partial(self._check_saved, saved), "test the connection")

    # --- after the save ----------------------------------------------------------------------------

    def _check_saved(self, integration: Integration) -> None:
        """Worker side: the check of what was saved, recorded like any check."""
        from app.core.checks import check_integration

        context = self.form.app.context
        assert context is not None
        outcome = check_integration(context.storage.integrations, integration, types=context.types)
        self.form.post_message(Tested(outcome.result, outcome.error, outcome.integration, discarded=outcome.discarded))

    def _record_pretest(self, saved: Integration) -> None:
        """Store what the test before the save found, instead of testing a second time."""
        pretested, self.pretested = self.pretested, None
        assert pretested is not None
        self.form.set_busy(True, "Saved. Recording the test…")
        self.form.run_in_thread(partial(self._record, saved, pretested), "record the test")

    def _record(self, saved: Integration, pretested: PreTested) -> None:
        """Worker side."""
        from app.core.checks import record_success, status_for
        from app.core.health import record_outcome
        from storage.errors import Superseded

        context = self.form.app.context
        assert context is not None
        storage = context.storage
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
            self.form.post_message(Tested(None, None, saved, discarded=str(exc)))
            return
        record_outcome(storage.metrics, saved.id, latency_ms=pretested.latency_ms, error=error, source="check")
        self.form.post_message(Tested(pretested.result, error, stored))
