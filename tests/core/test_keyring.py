"""Choosing the secret store: the keyring only when it is real and answers, else the vault; never plain text."""

from __future__ import annotations

import threading
from pathlib import Path

import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import pytest

from storage.secrets.keyring_store import KeyringStore, probe_keyring
from storage.secrets.select import choose_secret_store
from tests.conftest import MemoryKeyring


class HangingKeyring(MemoryKeyring):
    """Like a Secret Service over D-Bus with no session bus: never answers."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def set_password(self, service: str, username: str, password: str) -> None:
        self.release.wait(30)


class PlaintextKeyring(MemoryKeyring):
    pass


PlaintextKeyring.__module__ = "keyrings.alt.file"


def test_a_working_keyring_is_chosen(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    choice = choose_secret_store(tmp_path)
    assert choice.kind == "keyring"
    choice.store.set("k", "v")
    assert memory_keyring.store[("tether", "k")] == "v"
    assert memory_keyring.store.keys() == {("tether", "k")}  # the canary cleaned up after itself


@pytest.mark.parametrize(
    "backend, reason",
    [
        (keyring.backends.fail.Keyring(), "no OS keyring"),
        (keyring.backends.null.Keyring(), "no OS keyring"),
        (PlaintextKeyring(), "plain text"),
    ],
    ids=["fail", "null", "plaintext"],
)
def test_unsuitable_backends_fall_back_to_the_vault_and_say_why(
    tmp_path: Path, backend: keyring.backend.KeyringBackend, reason: str
) -> None:
    keyring.set_keyring(backend)
    choice = choose_secret_store(tmp_path)
    assert choice.kind == "vault"
    assert reason in choice.reason


def test_a_hanging_keyring_is_abandoned_within_the_timeout() -> None:
    backend = HangingKeyring()
    import time

    started = time.monotonic()
    probe = probe_keyring(timeout=0.5, backend=backend)
    elapsed = time.monotonic() - started
    backend.release.set()
    assert probe.backend is None
    assert "did not answer" in probe.reason
    assert elapsed < 2


def test_an_existing_vault_stays_in_use(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    (tmp_path / "secrets.vault").write_text("{}")
    assert choose_secret_store(tmp_path).kind == "vault"


def test_keyring_store_errors_never_quote_the_secret() -> None:
    class Refusing(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError(f"cannot store {password}")

    with pytest.raises(Exception) as caught:
        KeyringStore(Refusing()).set("k", "super-secret-value")
    assert "super-secret-value" not in str(caught.value)
