"""The Kobo API token: from KOBO_TOKEN or a 0600 config file — never a command-line value, never printed."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from qaf_kobo.errors import QafError

ENV_VAR = "KOBO_TOKEN"
DEFAULT_TOKEN_FILE = Path("~/.config/qaf-kobo/token")


def read_token_file(path: Path) -> str:
    """The token stored in ``path``; refused when group or others may read the file (it must be mode 0600)."""
    path = Path(path).expanduser()
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise QafError(f"token file {path} does not exist") from None
    if mode & 0o077:
        raise QafError(f"token file {path} has mode {mode:04o}; it must be 0600 (run: chmod 600 {path})")
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise QafError(f"token file {path} is empty")
    return token


def load_token(path: Path | None = None, environ: dict[str, str] | None = None) -> str:
    """The token from ``path`` if given, else $KOBO_TOKEN, else ~/.config/qaf-kobo/token (mode 0600)."""
    if path is not None:
        return read_token_file(path)
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR, "").strip():
        return env[ENV_VAR].strip()
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
