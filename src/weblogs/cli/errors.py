"""The error every command raises for a request it cannot carry out."""


class UsageError(Exception):
    """A command that cannot run as asked; the message says what to do instead."""
