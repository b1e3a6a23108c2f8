"""The errors a command raises to end in one line: `weblogs: <message>`."""


class UsageError(Exception):
    """A command that cannot run as asked; the message says what to do instead (exit 2)."""


class CommandFailed(Exception):
    """A command that ran and failed; the message says why (exit 1)."""
