"""Let a person remap keys by binding id, from keymap.toml in tether's config directory.

The file maps binding ids (shown in the help screen) to keys, e.g.::

    [keys]
    "integrations.new" = "a"
    "integrations.delete" = "ctrl+d"

A top-level table without the [keys] header works too.
"""

from __future__ import annotations

from pathlib import Path

KEYMAP_NAME = "keymap.toml"


def keymap_path() -> Path:
    import platformdirs

    return platformdirs.user_config_path("tether") / KEYMAP_NAME


def parse_keymap(text: str) -> dict[str, str]:
    """Binding id -> key(s); raises ValueError with a message a person can act on."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    table = data.get("keys", data)
    if not isinstance(table, dict):
        raise ValueError('[keys] must be a table of binding id = "key"')
    keymap: dict[str, str] = {}
    for binding_id, keys in table.items():
        if isinstance(keys, list) and all(isinstance(key, str) for key in keys):
            keys = ",".join(keys)
        if not isinstance(keys, str) or not keys.strip():
            raise ValueError(f'{binding_id!r} must be a key name such as "ctrl+d"')
        keymap[str(binding_id)] = keys.strip()
    return keymap


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str]:
    """The user's keymap and a problem to report ("" when none). A missing file is no problem."""
    path = path or keymap_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except OSError as exc:
        return {}, f"Could not read {path}: {exc.strerror}. Default keys are in use."
    try:
        return parse_keymap(text), ""
    except ValueError as exc:
        return {}, f"{path} is ignored: {exc}. Default keys are in use."
