"""Leaving the integration form safely: escape and Cancel go at once when nothing changed, and ask
before dropping what was typed otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from screens.form_host import FormHost


class Leaving:
    """Escape and Cancel for one form."""

    def __init__(self, form: FormHost) -> None:
        self.form = form

    def leave(self) -> None:
        """Go at once when nothing changed since the form opened or last saved; otherwise ask
        (Keep editing is focused)."""
        form = self.form
        if not form.current().has_unsaved_changes():
            form.close()
            return
        from screens.pick import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                form.close()

        body = "What you typed in this form has not been saved. Discard it and leave?"
        form.app.push_screen(ConfirmScreen("Discard changes?", body, "Discard", cancel_label="Keep editing"), answered)
