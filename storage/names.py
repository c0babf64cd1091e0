"""The names people give integrations and workflows: one spelling per name, nothing hidden in it.

Every name is stored in Unicode NFC, so "Café" typed on a Mac (NFD) and on Linux (NFC) is one
name. Characters that are invisible or that reorder or hide text (C0/C1 controls, bidi controls,
zero-width characters) are refused: a label that looks like another one must be that one.
Uniqueness compares ``name_key``: NFC, case-folded, NFC again (case folding can decompose).
"""

from __future__ import annotations

import unicodedata

from storage.errors import StorageError

MAX_LENGTH = 80

# Bidi embedding, override and isolate controls, and the marks that steer them.
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
# Zero-width and invisible joiners/spaces, the byte-order mark, invisible operators.
_INVISIBLE = {0x00AD, 0x034F, 0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF}


class BadName(StorageError):
    """A name that cannot be stored; the message says which character and what to do."""


def _refused(ch: str) -> str | None:
    code = ord(ch)
    if unicodedata.category(ch) == "Cc":  # C0, DEL and C1
        return "a control character"
    if code in _BIDI:
        return "a text-direction control character"
    if code in _INVISIBLE:
        return "an invisible (zero-width) character"
    return None


def normalise_name(name: str, *, what: str = "name") -> str:
    """The name as it will be stored (NFC, trimmed); raise BadName with a one-line reason."""
    text = unicodedata.normalize("NFC", name)
    for ch in text:
        if kind := _refused(ch):
            raise BadName(f"The {what} contains {kind} (U+{ord(ch):04X}); type it again without it.")
    text = text.strip()
    if not text:
        raise BadName(f"The {what} is empty; type a name.")
    if len(text) > MAX_LENGTH:
        raise BadName(f"Keep the {what} under {MAX_LENGTH} characters.")
    return text


def name_key(name: str) -> str:
    """What two names are compared by: equal keys are the same name."""
    folded = unicodedata.normalize("NFC", name).strip().casefold()
    return unicodedata.normalize("NFC", folded)
