"""Three-way merge of a change made from an old reading onto what is stored now.

A form may stay open for minutes and two `tether edit` commands may run at once. Each writer
says what it read (``base``) and what it wants (``mine``); only the fields it changed are applied
to what is stored now (``theirs``). A field changed both here and elsewhere, to different values,
is a real conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MISSING = object()


class MergeConflict(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def merge_mapping(base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    """``theirs`` with the keys ``mine`` changed from ``base``; raise MergeConflict on a real conflict."""
    merged = dict(theirs)
    for key in sorted(base.keys() | mine.keys()):
        was, want = base.get(key, _MISSING), mine.get(key, _MISSING)
        if was == want:
            continue
        now = theirs.get(key, _MISSING)
        if now != was and now != want:
            raise MergeConflict(key)
        if want is _MISSING:
            merged.pop(key, None)
        else:
            merged[key] = want
    return merged


def merge_value(field: str, base: Any, mine: Any, theirs: Any) -> Any:
    """One field: mine when I changed it, theirs otherwise; raise MergeConflict when both did, differently."""
    if mine == base:
        return theirs
    if theirs != base and theirs != mine:
        raise MergeConflict(field)
    return mine
