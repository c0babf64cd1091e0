"""An encrypted vault file for machines without a usable OS keyring.

The key is derived from the user's passphrase with scrypt; every entry is sealed with
AES-GCM under a fresh nonce, with the entry's name as associated data so entries cannot
be swapped. A canary entry tells a wrong passphrase from a damaged file. Writes are
atomic (temporary file, fsync, rename) and serialised between processes with a file lock,
re-reading the file under the lock so that two tether processes never lose each other's writes.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from storage.secrets.base import SecretStoreError, SecretStoreLocked, VaultDamaged, WrongPassphrase

FORMAT_VERSION = 1
CANARY_ID = "__canary__"
CANARY_TEXT = b"tether-vault-canary"
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
# What a vault file may ask for before any key is derived. scrypt needs 128 * n * r bytes:
# a damaged or tampered file asking for n=2^20, r=64 would allocate 8 GiB.
SCRYPT_N_RANGE = (2**14, 2**20)
SCRYPT_R_RANGE = (1, 32)
SCRYPT_P_RANGE = (1, 16)
SCRYPT_MAX_MEMORY = 256 * 1024 * 1024
SALT_LENGTHS = (16, 64)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def kdf_problem(kdf: object) -> str | None:
    """Why these key-derivation settings cannot be from a healthy vault; None when they are sane."""
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        return "its key settings are not scrypt"
    try:
        salt = _unb64(kdf["salt"])
        n, r, p = (kdf[name] for name in ("n", "r", "p"))
    except (KeyError, ValueError, TypeError, AttributeError):
        return "its key settings are unreadable"
    if not all(type(value) is int for value in (n, r, p)):
        return "its key settings are unreadable"
    low, high = SCRYPT_N_RANGE
    if not (low <= n <= high and n & (n - 1) == 0):
        return f"its key setting n={n} is outside {low}..{high} or not a power of two"
    if not (SCRYPT_R_RANGE[0] <= r <= SCRYPT_R_RANGE[1] and SCRYPT_P_RANGE[0] <= p <= SCRYPT_P_RANGE[1]):
        return f"its key settings r={r}, p={p} are outside sane bounds"
    if 128 * n * r > SCRYPT_MAX_MEMORY:
        return f"its key settings n={n}, r={r} would need {128 * n * r // 2**20} MiB"
    if not SALT_LENGTHS[0] <= len(salt) <= SALT_LENGTHS[1]:
        return "its salt has an impossible length"
    return None


def _derive_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


class VaultStore:
    kind = "vault"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._key: bytes | None = None

    @property
    def description(self) -> str:
        return f"encrypted vault file ({self.path})"

    # --- state -------------------------------------------------------------------------

    def exists(self) -> bool:
        # A directory in its place counts: using it must end in a clear refusal, not a new vault elsewhere.
        return self.path.exists()

    @property
    def unlocked(self) -> bool:
        return self._key is not None

    def create(self, passphrase: str) -> None:
        """Make a new, empty vault. Refuses to replace an existing one."""
        if len(passphrase) < 8:
            raise SecretStoreError("Choose a passphrase of at least 8 characters.")
        with self._locked():
            if self.path.exists():
                raise SecretStoreError(f"A vault already exists at {self.path}; unlock it instead.")
            salt = os.urandom(16)
            key = _derive_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
            document = {
                "format": FORMAT_VERSION,
                "kdf": {"name": "scrypt", "salt": _b64(salt), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
                "canary": self._seal(key, CANARY_ID, CANARY_TEXT),
                "entries": {},
            }
            self._write(document)
        self._key = key

    def unlock(self, passphrase: str) -> None:
        document = self._read()
        kdf = document["kdf"]
        # Checked before deriving anything: the file decides how much memory scrypt takes.
        if problem := kdf_problem(kdf):
            raise VaultDamaged(self._damaged_message(problem))
        try:
            key = _derive_key(passphrase, _unb64(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
        except (KeyError, ValueError, TypeError, MemoryError):
            raise VaultDamaged(self._damaged_message("its key settings are unusable")) from None
        try:
            canary = self._open(key, CANARY_ID, document["canary"])
        except WrongPassphrase:
            raise WrongPassphrase("Wrong passphrase for the secret vault; try again.") from None
        if canary != CANARY_TEXT:
            raise VaultDamaged(self._damaged_message("its check entry does not match"))
        self._key = key

    def lock(self) -> None:
        self._key = None

    # --- SecretStore ---------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        secret_key = self._require_key()
        entry = self._read()["entries"].get(key)
        if entry is None:
            return None
        try:
            return self._open(secret_key, key, entry).decode("utf-8")
        except WrongPassphrase:
            raise VaultDamaged(self._damaged_message("the entry for one secret cannot be decrypted")) from None

    def set(self, key: str, value: str) -> None:
        secret_key = self._require_key()
        with self._locked():
            document = self._read()
            document["entries"][key] = self._seal(secret_key, key, value.encode("utf-8"))
            self._write(document)

    def delete(self, key: str) -> None:
        self._require_key()
        with self._locked():
            document = self._read()
            if document["entries"].pop(key, None) is not None:
                self._write(document)

    def keys(self) -> list[str]:
        return sorted(self._read()["entries"])

    # --- internals -----------------------------------------------------------------------

    def _require_key(self) -> bytes:
        if self._key is None:
            raise SecretStoreLocked("The secret vault is locked; enter its passphrase first.")
        return self._key

    def _damaged_message(self, why: str) -> str:
        return (
            f"The secret vault {self.path} is damaged ({why}). It was left as it is; "
            "restore it from a backup, or move it away and enter the secrets again."
        )

    @staticmethod
    def _seal(key: bytes, entry_id: str, plaintext: bytes) -> dict[str, str]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, plaintext, entry_id.encode("utf-8"))
        return {"nonce": _b64(nonce), "data": _b64(ciphertext)}

    def _open(self, key: bytes, entry_id: str, entry: dict[str, str]) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            nonce, data = _unb64(entry["nonce"]), _unb64(entry["data"])
        except (KeyError, ValueError, TypeError):
            raise VaultDamaged(self._damaged_message("an entry is unreadable")) from None
        try:
            return AESGCM(key).decrypt(nonce, data, entry_id.encode("utf-8"))
        except InvalidTag:
            raise WrongPassphrase("cannot decrypt") from None

    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise SecretStoreError(f"No secret vault at {self.path}.") from None
        except PermissionError:
            raise SecretStoreError(f"The secret vault {self.path} cannot be read: permission denied.") from None
        except IsADirectoryError:
            raise SecretStoreError(
                f"{self.path} is a directory, not tether's secret vault file. Move it away or choose another --data-dir."
            ) from None
        except OSError as exc:
            raise SecretStoreError(f"The secret vault {self.path} cannot be read ({exc.strerror or exc}).") from None
        try:
            document = json.loads(raw)
            if document.get("format") != FORMAT_VERSION or not isinstance(document.get("entries"), dict):
                raise ValueError
            document["kdf"], document["canary"]  # noqa: B018 - presence check
        except (ValueError, KeyError, AttributeError):
            raise VaultDamaged(self._damaged_message("it is not a readable vault file")) from None
        return document

    def _write(self, document: dict[str, Any]) -> None:
        data = json.dumps(document, indent=1, sort_keys=True).encode("utf-8")
        directory = self.path.parent
        fd, tmp_name = tempfile.mkstemp(prefix=".vault-", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
