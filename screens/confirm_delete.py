"""Confirm deleting an integration, naming every workflow that uses it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from connectors.oauth.provider import OAuthProvider
from connectors.wording import count
from storage.records import Integration
from widgets.plain import plain


def consequences(integration: Integration, provider: OAuthProvider | None = None) -> Content:
    content = _workflow_consequences(integration)
    if provider is not None and integration.has_secret("refresh_token"):
        if provider.can_revoke:
            ending = f"\nIts {provider.name} sign-in is revoked first, so the token stops working too."
        else:
            ending = (
                f"\n{provider.name} offers no way for tether to end its sign-in: after deleting, remove tether's "
                f"access at {provider.access_page}."
            )
        content = Content.assemble(content, ending)
    return content


def _workflow_consequences(integration: Integration) -> Content:
    if not integration.used_by:
        return Content("No workflow uses it. Its settings and stored secrets will be removed.")
    lines: list[str | tuple[str, str] | Content] = [
        f"{count(len(integration.used_by), 'workflow')} {'uses' if len(integration.used_by) == 1 else 'use'} it and will keep a note that it was lost:\n"
    ]
    for use in integration.used_by:
        schedule = f", {use.schedule}" if use.schedule else ""
        lines.append(plain(f"  • {use.workflow_name}", "bold"))
        lines += [plain(f" — {use.role}, {use.access}{schedule}"), "\n"]
    lines.append("Its settings and stored secrets will be removed.")
    return Content.assemble(*lines)


class ConfirmDeleteScreen(ModalScreen["str | None"]):
    """Returns "delete", "disable" (the integration stays, switched off) or None."""

    HELP_TITLE = "Delete an integration"
    HELP_NEXT = "Cancel is chosen first; press tab to reach Delete and enter to confirm."
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Keep the integration", id="delete.cancel"),
        Binding(
            "left,right",
            "app.focus_previous",
            "Switch",
            show=False,
            tooltip="Move between the buttons",
            id="delete.switch",
        ),
    ]

    def __init__(self, integration: Integration, provider: OAuthProvider | None = None) -> None:
        super().__init__()
        self.integration = integration
        self.provider = provider  # who signed in, for OAuth types: what deleting does to that sign-in

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(
                Content.assemble("Delete ", plain(self.integration.label, "bold"), "?"), classes="dialog-title"
            )
            yield Static(consequences(self.integration, self.provider), id="delete-consequences")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button("Delete", id="delete", variant="error")
                if self.integration.status != "disabled":
                    # Keeps settings, secrets and workflow links; nothing runs until it is enabled again.
                    yield Button("Disable instead", id="disable")
        yield Footer()  # the dialog's own keys, not the screen underneath

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#delete")
    def _delete(self) -> None:
        self.dismiss("delete")

    @on(Button.Pressed, "#disable")
    def _disable(self) -> None:
        self.dismiss("disable")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
