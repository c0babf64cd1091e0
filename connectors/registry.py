"""The integration types tether knows: a registry built at start-up and handed to whatever needs it.

``builtin_types()`` makes a fresh registry of the types in ``connectors/``, in the order the type
picker shows them. Front ends ask a registry for a type and then ask the type what it can do; they
never compare type keys. Tests build their own registry (or register a throwaway type) instead of
patching this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from connectors.types import IntegrationType


class UnknownType(KeyError):
    def __init__(self, key: str, known: Iterable[str] = ()) -> None:
        super().__init__(key)
        self.known = tuple(known)

    def __str__(self) -> str:
        return f"Unknown integration type {self.args[0]!r}; known types: {', '.join(self.known)}."


class TypeRegistry:
    def __init__(self, types: Iterable[IntegrationType] = ()) -> None:
        self._by_key: dict[str, IntegrationType] = {}
        for spec in types:
            self.register(spec)

    def register(self, spec: IntegrationType) -> IntegrationType:
        """Add a type, or replace the one with its key (keeping its place in the order)."""
        self._by_key[spec.key] = spec
        return spec

    def unregister(self, key: str) -> None:
        self._by_key.pop(key, None)

    def __iter__(self) -> Iterator[IntegrationType]:
        return iter(tuple(self._by_key.values()))

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._by_key)

    def get(self, key: str) -> IntegrationType:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownType(key, self._by_key) from None

    def search(self, query: str, category: str | None = None) -> list[IntegrationType]:
        """Types the query finds; those it names (by key or name) first, so Enter picks what was typed."""
        found = [t for t in self if t.matches(query) and (category is None or t.category == category)]
        return sorted(found, key=lambda t: not t.named_by(query))

    def copy(self) -> TypeRegistry:
        return TypeRegistry(self)


def builtin_types() -> TypeRegistry:
    """A new registry holding every type declared in ``connectors/``."""
    from connectors.caldav.spec import CALDAV
    from connectors.gmail.spec import GMAIL
    from connectors.ical.spec import ICAL
    from connectors.imap.spec import IMAP
    from connectors.outlook.spec import OUTLOOK

    return TypeRegistry((IMAP, GMAIL, OUTLOOK, ICAL, CALDAV))


_default: TypeRegistry | None = None


def default_types() -> TypeRegistry:
    """The registry of this process, built on first use; the CLI, the MCP server and the TUI start from it."""
    global _default
    if _default is None:
        _default = builtin_types()
    return _default


def get_type(key: str) -> IntegrationType:
    """A type from this process's registry (code that is not handed a registry, e.g. log formatting)."""
    return default_types().get(key)
