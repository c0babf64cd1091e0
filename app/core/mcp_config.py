"""How an assistant's MCP client starts `tether mcp` for one workflow: the command line and config snippets.

Shown per workflow by `tether workflow show NAME` and in the TUI, ready to paste into a client's
configuration (Claude Desktop, Cursor and most others read "mcpServers"; VS Code reads "servers").
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.secrets.select import ENV_PASSPHRASE_COMMAND

PASSPHRASE_PLACEHOLDER = "<a command that prints your vault passphrase, e.g. pass show tether>"


@dataclass(frozen=True)
class McpLaunch:
    """The process an MCP client should start: executable, arguments and environment."""

    workflow: str
    command: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def server_name(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.workflow.casefold()).strip("-")
        return f"tether-{slug or 'workflow'}"

    @property
    def command_line(self) -> str:
        """A shell command line that starts the server (environment first, as `VAR=value command`)."""
        prefix = " ".join(f"{name}={shlex.quote(value)}" for name, value in self.env.items())
        command = shlex.join([self.command, *self.args])
        return f"{prefix} {command}" if prefix else command

    def client_config(self) -> dict[str, Any]:
        """The "mcpServers" form read by Claude Desktop, Cursor, Windsurf and most MCP clients."""
        return {"mcpServers": {self.server_name: self._server_entry()}}

    def vscode_config(self) -> dict[str, Any]:
        """The form VS Code reads from .vscode/mcp.json."""
        return {"servers": {self.server_name: {"type": "stdio", **self._server_entry()}}}

    def _server_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"command": self.command, "args": list(self.args)}
        if self.env:
            entry["env"] = dict(self.env)
        return entry

    def as_dict(self) -> dict[str, Any]:
        return {
            "server_name": self.server_name,
            "command_line": self.command_line,
            "client_config": self.client_config(),
            "vscode_config": self.vscode_config(),
        }


def tether_command() -> tuple[str, tuple[str, ...], dict[str, str]]:
    """The absolute way to run this tether: its console script when installed, else `python -m app`."""
    script = Path(sys.executable).parent / "tether"
    if script.is_file():
        return str(script), (), {}
    source_root = str(Path(__file__).resolve().parents[2])
    return sys.executable, ("-m", "app"), {"PYTHONPATH": source_root}


def launch_for(workflow: str, data_dir: Path, *, uses_vault: bool) -> McpLaunch:
    """The launch for a workflow on this data directory. With the vault, the client must supply the
    passphrase command; a placeholder marks where (the real command is never copied: it may hold the passphrase)."""
    command, prefix, env = tether_command()
    if uses_vault:
        env = {**env, ENV_PASSPHRASE_COMMAND: PASSPHRASE_PLACEHOLDER}
    args = (*prefix, "mcp", "--workflow", workflow, "--data-dir", str(Path(data_dir).resolve()))
    return McpLaunch(workflow, command, args, env)


def describe(launch: McpLaunch) -> str:
    """The text shown to a person: the command line and the two config snippets."""
    lines = [
        f"Start the MCP server for workflow {launch.workflow!r}:",
        f"  {launch.command_line}",
        "",
        "Claude Desktop, Cursor and most MCP clients (mcpServers):",
        json.dumps(launch.client_config(), indent=2),
        "",
        "VS Code (.vscode/mcp.json):",
        json.dumps(launch.vscode_config(), indent=2),
    ]
    if ENV_PASSPHRASE_COMMAND in launch.env:
        lines += ["", f"Replace the {ENV_PASSPHRASE_COMMAND} placeholder: the server cannot ask for the passphrase."]
    return "\n".join(lines)
