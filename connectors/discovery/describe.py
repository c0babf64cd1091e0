"""Candidates in words, the same for the command line and the form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from connectors.discovery.model import Candidate

if TYPE_CHECKING:
    from connectors.types import IntegrationType


class TypeLookup(Protocol):
    """A registry of integration types: ``get`` raises KeyError for a key it does not have."""

    def get(self, key: str) -> IntegrationType: ...


def suggested_type(type_key: str, types: TypeLookup | None = None) -> tuple[str, bool]:
    """The suggested type's display name, and whether this tether (its registry) has that type."""
    from connectors import registry

    try:
        spec = types.get(type_key) if types is not None else registry.get_type(type_key)
    except KeyError:
        return type_key.capitalize(), False
    return spec.name, True


def type_advice(candidate: Candidate, current_type: str, types: TypeLookup | None = None) -> str:
    """A sentence when the candidate suggests another type than the one being set up; empty otherwise."""
    if candidate.type_key == current_type:
        return ""
    name, available = suggested_type(candidate.type_key, types)
    if not available:
        return f"Suggested type: {name}, which this version of tether does not have yet."
    return f"Suggested type: {name}, key {candidate.type_key}."
