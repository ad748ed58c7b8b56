"""The Kobo API token: from KOBO_TOKEN or a 0600 config file — never a command-line value, never printed."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from qaf_kobo.errors import QafError

ENV_VAR = "KOBO_TOKEN"
DEFAULT_TOKEN_FILE = Path("~/.config/qaf-kobo/token")


def checked_token(token: str, where: str) -> str:
    """``token`` (without surrounding spaces and line ends) when it can go into an HTTP header; else a QafError
    saying what is wrong with it and where it came from (``where``: "$KOBO_TOKEN", "token file …") — never the
    token itself."""
    token = token.strip()
    for char, problem in (("\r", "a line break (CR)"), ("\n", "a line break (LF)")):
        if char in token:
            lines = len(token.splitlines())
            raise QafError(f"{where} holds {problem} inside the token ({lines} lines): a Kobo API token is one line; "
                           "save only the token, on one line")
    odd = next((c for c in token if ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() or ord(c) > 0x7E), None)
    if odd is not None:
        kind = "a space" if odd.isspace() else "a control character" if ord(odd) < 0x80 else "a character that is " \
            "not ASCII"
        raise QafError(f"{where} holds {kind} (U+{ord(odd):04X}) inside the token: a Kobo API token is letters and "
                       "digits only; copy it again from Account settings → Security")
    return token


def read_token_file(path: Path) -> str:
    """The token stored in ``path``; refused when group or others may read the file (it must be mode 0600)."""
    path = Path(path).expanduser()
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise QafError(f"token file {path} does not exist") from None
    if mode & 0o077:
        raise QafError(f"token file {path} has mode {mode:04o}; it must be 0600 (run: chmod 600 {path})")
    try:
        token = path.read_bytes().decode("utf-8").strip()  # bytes: a CR inside stays a CR
    except UnicodeDecodeError:
        raise QafError(f"token file {path} is not UTF-8 text: save only the token, on one line") from None
    if not token:
        raise QafError(f"token file {path} is empty")
    return checked_token(token, f"token file {path}")


def load_token(path: Path | None = None, environ: dict[str, str] | None = None) -> str:
    """The token from ``path`` if given, else $KOBO_TOKEN, else ~/.config/qaf-kobo/token (mode 0600)."""
    if path is not None:
        return read_token_file(path)
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR, "").strip():
        return checked_token(env[ENV_VAR], f"${ENV_VAR}")
    default = DEFAULT_TOKEN_FILE.expanduser()
    if default.exists():
        return read_token_file(default)
    raise QafError(f"no Kobo API token: set {ENV_VAR} or save it in {DEFAULT_TOKEN_FILE} with mode 0600 (or use --token-file)")


def ensure_token_file(path: Path) -> str:
    """The token in ``path``, or a new random one written there with mode 0600 (for the devserver)."""
    path = Path(path).expanduser()
    if path.exists():
        return read_token_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(20)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token
