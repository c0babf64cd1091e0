"""Errors storage raises for expected situations; each message is one line a person can act on."""


class StorageError(Exception):
    pass


class NotFound(StorageError):
    pass


class DuplicateName(StorageError):
    pass
