"""What the integration form hears back from its workers, and how a check's outcome reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message

from widgets.plain import plain

if TYPE_CHECKING:
    from connectors.errors import ConnectorError
    from connectors.types import CheckResult
    from storage.records import Integration


class Saved(Message):
    def __init__(self, integration: Integration | None, error: str = "", field: str | None = None) -> None:
        super().__init__()
        self.integration, self.error, self.field = integration, error, field


class Tested(Message):
    def __init__(
        self, result: CheckResult | None, error: ConnectorError | None, stored: Integration | None, discarded: str = ""
    ) -> None:
        super().__init__()
        self.result, self.error, self.stored = result, error, stored
        self.discarded = discarded  # why the check's outcome was not recorded (edited meanwhile)


def outcome_content(result: CheckResult | None, error: ConnectorError | None) -> Content:
    if error is not None:
        parts: list[str | tuple[str, str] | Content] = [
            (f"✖ {error.kind.heading}: ", "$error bold"),
            plain(error.message),
        ]
        if error.hint:
            parts += ["\n", plain(error.hint, "$text-muted")]
        return Content.assemble(*parts)
    assert result is not None
    parts = [("● Connected: ", "$success bold"), plain(result.summary)]
    for line in result.details:
        parts += ["\n  ", plain(line)]
    for warning in result.warnings:
        parts += ["\n", ("⚠ ", "$warning bold"), plain(warning)]
    return Content.assemble(*parts)
