"""Server-discovered options for a form field (e.g. CalDAV calendars), asked with values not yet saved.

No Textual here: screens run these in thread workers. Every failure comes back as a
ConnectorError whose message is safe to show (no secret, no raw exception text).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from connectors.errors import ConnectorError, ErrorKind
from connectors.fields import Option
from connectors.types import CheckRequest


def _unexpected(exc: Exception, what: str) -> ConnectorError:
    # Only the type: an unexpected exception's text might quote a secret.
    return ConnectorError(ErrorKind.SERVER, f"Unexpected problem while {what} ({type(exc).__name__}).")


def load_options(options_path: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> list[Option]:
    """Import "module:function" and ask it for the values to choose from. Raises ConnectorError."""
    module_name, _, attr = options_path.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attr)
        options = list(function(CheckRequest(dict(settings), dict(secrets))))
    except ConnectorError:
        raise
    except Exception as exc:
        raise _unexpected(exc, "asking the server what to choose from") from None
    return [option if isinstance(option, Option) else Option(str(option), str(option)) for option in options]
