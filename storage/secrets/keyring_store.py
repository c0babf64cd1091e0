"""The OS keyring, used only when its backend is a real one and answers promptly."""

from __future__ import annotations

import secrets as _random
import threading
from dataclasses import dataclass
from typing import Any

from storage.secrets.base import SecretStoreError, SecretStoreUnavailable

SERVICE = "tether"
PROBE_TIMEOUT = 3.0


class KeyringStore:
    kind = "keyring"

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    @property
    def description(self) -> str:
        return f"OS keyring ({_backend_name(self._backend)})"

    def get(self, key: str) -> str | None:
        try:
            return self._backend.get_password(SERVICE, key)
        except Exception as exc:  # keyring backends raise many types
            raise SecretStoreUnavailable(f"The OS keyring could not be read: {type(exc).__name__}.") from None

    def set(self, key: str, value: str) -> None:
        try:
            self._backend.set_password(SERVICE, key, value)
        except Exception as exc:
            raise SecretStoreError(f"The OS keyring refused to store a secret: {type(exc).__name__}.") from None

    def delete(self, key: str) -> None:
        import keyring.errors

        try:
            self._backend.delete_password(SERVICE, key)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone
        except Exception as exc:
            raise SecretStoreError(f"The OS keyring could not delete a secret: {type(exc).__name__}.") from None


@dataclass(frozen=True)
class KeyringProbe:
    backend: Any | None
    reason: str  # why it can or cannot be used, for a person


def _backend_name(backend: Any) -> str:
    name = getattr(backend, "name", None) or type(backend).__name__
    return str(name)


def _is_recommended(backend: Any) -> tuple[bool, str]:
    """Reject the fail, null and plaintext backends, and anything keyring itself ranks as unusable."""
    module = type(backend).__module__
    cls = type(backend).__name__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False, "no OS keyring is available (typical on a headless server or over SSH)"
    if "plaintext" in module.lower() or "PlaintextKeyring" in cls or "keyrings.alt" in module:
        return False, f"the keyring backend {_backend_name(backend)} stores secrets in plain text"
    try:
        priority = float(getattr(backend, "priority", 1))
    except Exception:
        priority = 0.0
    if priority <= 0:
        return False, f"the keyring backend {_backend_name(backend)} is not usable here"
    if cls == "ChainerBackend" and not getattr(backend, "backends", []):
        return False, "no OS keyring is available (typical on a headless server or over SSH)"
    return True, ""


def probe_keyring(timeout: float = PROBE_TIMEOUT, backend: Any | None = None) -> KeyringProbe:
    """Choose the keyring only if a canary write, read and delete complete within ``timeout``.

    A Secret Service over D-Bus can hang for minutes when no session bus is reachable (SSH),
    so the canary runs in a daemon thread and is abandoned if it does not finish in time.
    """
    try:
        if backend is None:
            import keyring

            backend = keyring.get_keyring()
    except Exception as exc:
        return KeyringProbe(None, f"the keyring library failed to start ({type(exc).__name__})")
    ok, reason = _is_recommended(backend)
    if not ok:
        return KeyringProbe(None, reason)

    outcome: dict[str, str] = {}

    def canary() -> None:
        key = f"probe-{_random.token_hex(8)}"
        value = _random.token_hex(16)
        try:
            backend.set_password(SERVICE, key, value)
            read = backend.get_password(SERVICE, key)
            backend.delete_password(SERVICE, key)
            outcome["result"] = "ok" if read == value else "the keyring returned a different value"
        except Exception as exc:
            outcome["result"] = f"the keyring is locked or refused access ({type(exc).__name__})"

    thread = threading.Thread(target=canary, name="keyring-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return KeyringProbe(
            None, f"the keyring did not answer within {timeout:g} s (a Secret Service over D-Bus often hangs over SSH)"
        )
    if outcome.get("result") != "ok":
        return KeyringProbe(None, outcome.get("result", "the keyring failed"))
    return KeyringProbe(backend, f"{_backend_name(backend)} answered the test write")
