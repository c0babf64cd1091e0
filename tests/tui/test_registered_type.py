"""A type is everything it declares: one registered at runtime shows up everywhere, and no front end knows its key.

The throwaway type below lives only in this test. The type picker, the form, `tether types` and the
MCP server's list_integrations all find it, with its fields and (because it declares a mailbox)
the mail tools, without any module outside ``connectors/`` naming it.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.fields import Field, FieldKind
from connectors.registry import TypeRegistry, default_types
from connectors.types import Capability, Category, IntegrationType
from tests.tui.conftest import make_app, settle
from tests.tui.helpers import open_new, table_text, type_into

REPO = Path(__file__).resolve().parents[2]

PIGEON = IntegrationType(
    key="pigeon",
    name="Carrier pigeon post",
    description="Letters by bird, for a test: declared here and nowhere else.",
    category=Category.MAIL,
    aliases=("coop", "bird"),
    capabilities=frozenset({Capability.READ, Capability.WRITE}),
    default_label="Pigeons",
    checker_path="tests.tui.plugins:offline_checker",
    mailbox_path="tests.tui.plugins:no_mailbox",
    fields=(
        Field("loft", "Loft address", FieldKind.HOST, placeholder="loft.example.com", help="Where the birds live."),
        Field("ring", "Ring number", required=False),
        Field("seed", "Seed password", FieldKind.PASSWORD),
    ),
)


@pytest.fixture
def with_pigeon(offline_types: TypeRegistry) -> TypeRegistry:
    offline_types.register(PIGEON)
    return offline_types


@pytest.fixture
def pigeon_in_process() -> Iterator[IntegrationType]:
    """Registered in this process's own registry, as a plugin would at start-up; removed afterwards."""
    default_types().register(PIGEON)
    yield PIGEON
    default_types().unregister(PIGEON.key)


async def test_type_picker_and_form_offer_a_type_registered_at_runtime(
    tui_data, tmp_path, keyring_store, with_pigeon
) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import OptionList

    from screens.integrations import IntegrationsScreen
    from widgets.field_editor import FieldEditor

    app = make_app(tui_data, tmp_path, types=with_pigeon)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await type_into(pilot, "#type-search", "bird")
        options = app.screen.query_one("#types", OptionList)
        shown = [
            options.get_option_at_index(i).id for i in range(options.option_count) if options.get_option_at_index(i).id
        ]
        assert shown == ["pigeon"]
        await pilot.press("escape")
        await pilot.pause()

        form = await open_new(pilot, "carrier pigeon")
        assert form.spec is PIGEON
        editors = {editor.field.name for editor in form.query(FieldEditor)}
        assert {"loft", "ring", "seed"} <= editors
        await type_into(pilot, "#field-loft", "loft.example.com")
        await type_into(pilot, "#field-seed", "sunflower-1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        while not isinstance(app.screen, IntegrationsScreen):  # the form may stay open to show the save
            await pilot.press("escape")
            await settle(pilot)
        assert "Carrier pigeon" in table_text(pilot)  # named from the app's registry (the column cuts it short)
    stored = app.context.storage.integrations.find("Pigeons")  # type: ignore[union-attr]
    assert stored.type_key == "pigeon" and stored.settings["loft"] == "loft.example.com"
    assert stored.has_secret("seed") and "sunflower-1" not in json.dumps(stored.settings)


def test_tether_types_lists_a_type_registered_at_runtime(tui_data, keyring_store, pigeon_in_process, capsys) -> None:  # type: ignore[no-untyped-def]
    from app.cli.main import main

    assert main(["types", "--json"]) == 0
    listed = {item["key"]: item for item in json.loads(capsys.readouterr().out)}
    assert listed["pigeon"]["name"] == "Carrier pigeon post"
    assert [f["name"] for f in listed["pigeon"]["fields"]] == ["loft", "ring", "seed"]
    assert main(["types"]) == 0
    assert "Carrier pigeon post" in capsys.readouterr().out


def test_list_integrations_describes_a_new_type_within_its_own_schema(tui_data, keyring_store, with_pigeon) -> None:  # type: ignore[no-untyped-def]
    import jsonschema

    from app.core.context import open_context
    from app.mcp.inventory import LIST_INTEGRATIONS
    from app.mcp.server import McpService

    context = open_context(tui_data, with_pigeon)
    context.storage.integrations.add("pigeon", "Pigeons", {"loft": "loft.example.com"}, {"seed": "sunflower-1"})
    service = McpService(context.storage, None, allow_write=True, types=with_pigeon)
    answer = service.call("list_integrations", {})
    jsonschema.validate(answer, LIST_INTEGRATIONS.output_schema)
    (pigeons,) = answer["integrations"]
    assert (
        pigeons["type"] == "pigeon" and pigeons["type_name"] == "Carrier pigeon post" and pigeons["category"] == "mail"
    )
    # It declares a mailbox, so the mail tools serve it, write tools included; calendar tools do not.
    assert "mail_search" in pigeons["tools"] and "mail_move" in pigeons["tools"]
    assert "calendar_events" not in pigeons["tools"]
    read_only = McpService(context.storage, None, types=with_pigeon).call("list_integrations", {})
    assert "mail_move" not in read_only["integrations"][0]["tools"]


def test_no_front_end_names_a_type() -> None:
    """The front ends ask types what they can do; a type's key or provider in them would be a second declaration."""
    patterns = (
        r"type_key\s*(==|!=)\s*[\"']",  # branching on a type's key
        r"\"enum\":\s*\[\s*\"imap\"",  # a closed list of types in a schema
        r"Sign in with Google|with the Google account",  # a provider's name in a screen or message
        r"connectors\.(gmail|outlook)\b",  # a provider's own package
        r"frozenset\(\{\"imap\"",
        r"[\"'](imap|gmail|outlook|ical|caldav)[\"'][^:]",  # a type's key as a value
    )
    found = subprocess.run(
        ["grep", "-rnE", "--include=*.py", "|".join(patterns), "app", "screens", "widgets"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    # Lists of client libraries (for versions and log levels) name the caldav package, not the type.
    lines = [line for line in found.stdout.splitlines() if '"imapclient"' not in line]
    assert lines == [], "\n".join(lines)


def test_a_type_is_frozen_so_registering_copies_not_edits() -> None:
    changed = dataclasses.replace(PIGEON, name="Racing pigeons")
    types = TypeRegistry([PIGEON])
    types.register(changed)
    assert types.get("pigeon").name == "Racing pigeons" and PIGEON.name == "Carrier pigeon post"
    assert types.keys == ("pigeon",)
