"""Discovery stays off tether's start-up path and free of Textual."""

from __future__ import annotations

from tests.core.test_imports import modules_after


def test_discovery_imports_no_textual_and_loads_its_libraries_only_when_asked() -> None:
    loaded = modules_after("import connectors.discovery.run, connectors.discovery.describe")
    assert "textual" not in loaded
    assert not loaded & {"dns", "dns.resolver", "defusedxml", "httpx"}


def test_the_command_line_parser_does_not_load_discovery_libraries() -> None:
    loaded = modules_after("from app.cli.main import build_parser; build_parser()")
    assert not loaded & {"dns", "dns.resolver", "defusedxml", "connectors.discovery.run"}


def test_the_integration_form_does_not_load_discovery_until_asked() -> None:
    loaded = modules_after("import screens.integration_form")
    assert not loaded & {"dns", "defusedxml", "connectors.discovery.run"}
