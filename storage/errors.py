"""Errors storage raises for expected situations; each message is one line a person can act on.

Every one is a StorageError: the database (storage.db.DatabaseError), the data directory
(storage.paths.DataDirError) and the secret store (storage.secrets.base.SecretStoreError) too,
so a front end that only reports the message catches StorageError alone.
"""


class StorageError(Exception):
    """Anything storage refuses or cannot do; ``str()`` is the message to show."""


class NotFound(StorageError):
    pass


class DuplicateName(StorageError):
    pass


class ChangedElsewhere(StorageError):
    """A write based on an old reading would undo a change made since; nothing was written."""


class Superseded(StorageError):
    """A check's outcome for settings that were changed while it ran; it was not recorded."""
