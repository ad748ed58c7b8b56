"""The one exception family of qaf-kobo: user-facing problems that the CLI prints as one line (exit code 2)."""


class QafError(Exception):
    """A problem the user can fix (bad file, bad option, unreachable server); the message is one clear line."""


class FrameworkError(QafError):
    """The framework file (or a translation file) is invalid: the message names the file, the entry and the problem."""
