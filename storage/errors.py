"""Errors storage raises for expected situations; each message is one line a person can act on."""


class StorageError(Exception):
    pass


class NotFound(StorageError):
    pass


class DuplicateName(StorageError):
    pass


class ChangedElsewhere(StorageError):
    """A write based on an old reading would undo a change made since; nothing was written."""


class Superseded(StorageError):
    """A check's outcome for settings that were changed while it ran; it was not recorded."""
