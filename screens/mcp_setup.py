"""How an assistant connects to one workflow: the `tether mcp` command line and client config snippets."""

from __future__ import annotations

import json

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from app.core.mcp_config import McpLaunch
from storage.secrets.select import ENV_PASSPHRASE_COMMAND
from widgets.plain import plain


class McpSetupScreen(ModalScreen[None]):
    """Shows the launch for a workflow; c and j copy the command line and the JSON (OSC 52)."""

    HELP_TITLE = "Connect an assistant"
    HELP_NEXT = "Paste the JSON into your MCP client's configuration, or run the command line from it."
    BINDINGS = [
        Binding("c", "copy_command", "Copy command", tooltip="Copy the command line", id="mcp_setup.copy_command"),
        Binding("j", "copy_json", "Copy JSON", tooltip="Copy the mcpServers JSON", id="mcp_setup.copy_json"),
        Binding("escape", "close", "Close", tooltip="Back to the workflows", id="mcp_setup.close"),
    ]

    def __init__(self, launch: McpLaunch) -> None:
        super().__init__()
        self.launch = launch

    def compose(self) -> ComposeResult:
        launch = self.launch
        with Vertical(id="dialog", classes="dialog wide tall"):
            yield Static(plain(f"Connect an assistant to {launch.workflow}"), classes="dialog-title")
            with VerticalScroll(id="mcp-body"):
                yield Static(
                    Content.assemble(
                        "Your MCP client starts tether as a server that sees only this workflow's integrations "
                        "and writes only to its sinks with write access.\n\n",
                        ("Command line", "bold"),
                    )
                )
                yield Static(plain(launch.command_line), id="mcp-command")
                yield Static(Content.styled("\nClaude Desktop, Cursor and most clients (mcpServers)", "bold"))
                yield Static(json.dumps(launch.client_config(), indent=2), id="mcp-json", markup=False)
                yield Static(Content.styled("\nVS Code (.vscode/mcp.json)", "bold"))
                yield Static(json.dumps(launch.vscode_config(), indent=2), id="mcp-vscode", markup=False)
                if ENV_PASSPHRASE_COMMAND in launch.env:
                    yield Static(
                        Content.styled(
                            f"\nReplace the {ENV_PASSPHRASE_COMMAND} placeholder with a command that prints your "
                            "vault passphrase: the server cannot ask for it.",
                            "$warning",
                        )
                    )
        yield Footer()  # the dialog's own keys, not the screen underneath

    def action_copy_command(self) -> None:
        self.app.copy_to_clipboard(self.launch.command_line)
        self.notify("Command line copied (if your terminal allows it).")

    def action_copy_json(self) -> None:
        self.app.copy_to_clipboard(json.dumps(self.launch.client_config(), indent=2))
        self.notify("mcpServers JSON copied (if your terminal allows it).")

    def action_close(self) -> None:
        self.dismiss(None)
