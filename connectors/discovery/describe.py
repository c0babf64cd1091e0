"""Candidates in words, the same for the command line and the form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.discovery.model import Candidate

if TYPE_CHECKING:
    from connectors.registry import TypeRegistry


def suggested_type(type_key: str, types: TypeRegistry | None = None) -> tuple[str, bool]:
    """The suggested type's display name, and whether this tether (its registry) has that type."""
    from connectors.registry import UnknownType, default_types

    try:
        return (types or default_types()).get(type_key).name, True
    except UnknownType:
        return type_key.capitalize(), False


def type_advice(candidate: Candidate, current_type: str, types: TypeRegistry | None = None) -> str:
    """A sentence when the candidate suggests another type than the one being set up; empty otherwise."""
    if candidate.type_key == current_type:
        return ""
    name, available = suggested_type(candidate.type_key, types)
    if not available:
        return f"Suggested type: {name}, which this version of tether does not have yet."
    return f"Suggested type: {name}, key {candidate.type_key}."
