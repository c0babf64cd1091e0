"""The MCP tools tether offers, each declared once (app.mcp.tool_spec) in its own module."""

from __future__ import annotations

from app.mcp.calendar import CALENDAR_TOOLS
from app.mcp.inventory import INVENTORY_TOOLS
from app.mcp.mail import MAIL_TOOLS
from app.mcp.tool_spec import ToolSpec


def all_tools() -> list[ToolSpec]:
    """Every tool, in the order tools/list shows them."""
    return [*INVENTORY_TOOLS, *MAIL_TOOLS, *CALENDAR_TOOLS]
