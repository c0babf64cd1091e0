"""How a candidate's suggested type is named, with and without that type in tether's registry."""

from __future__ import annotations

from connectors.discovery.describe import type_advice
from connectors.discovery.providers import MICROSOFT, candidates_for
from connectors.imap.spec import IMAP
from connectors.types import IntegrationType


class Registry:
    """A registry as the app hands one in: ``get`` raises KeyError for a type it lacks."""

    def __init__(self, *types: IntegrationType) -> None:
        self.by_key = {spec.key: spec for spec in types}

    def get(self, key: str) -> IntegrationType:
        return self.by_key[key]


def test_a_type_this_tether_lacks_is_named_and_said_to_be_missing() -> None:
    [outlook] = candidates_for(MICROSOFT, "table")

    assert type_advice(outlook, "imap", Registry(IMAP)) == (
        "Suggested type: Outlook, which this version of tether does not have yet."
    )


def test_a_type_this_tether_has_is_named_by_its_own_name() -> None:
    [outlook] = candidates_for(MICROSOFT, "table")
    present = IntegrationType(
        "outlook", "Outlook (OAuth)", "Microsoft mail", IMAP.category, IMAP.fields, checker_path=IMAP.checker_path
    )

    assert type_advice(outlook, "imap", Registry(IMAP, present)) == "Suggested type: Outlook (OAuth), key outlook."
    assert type_advice(outlook, "outlook", Registry(IMAP, present)) == ""  # already the type being set up
