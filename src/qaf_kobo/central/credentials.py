"""ODK Central credentials by pyodk's conventions: the ``[central]`` table (``base_url``, ``username``,
``password``, optional ``default_project_id``) of its TOML config file — the file ``$PYODK_CONFIG_FILE`` names,
else ``~/.pyodk_config.toml``. Never a command-line value; never printed, logged or stored.

The file must be readable by its owner only (mode 0600), as qaf-kobo's token file, and the credentials are only
ever sent to the server they name.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qaf_kobo.errors import QafError
from qaf_kobo.http import normalize_server as _normalize

CONFIG_ENV = "PYODK_CONFIG_FILE"
DEFAULT_CONFIG = Path("~/.pyodk_config.toml")
EXAMPLE = '[central]\nbase_url = "https://central.example.org"\nusername = "you@example.org"\npassword = "…"'


def normalize_server(server: str) -> str:
    """A server's base URL (scheme://host[:port][/path]) without a trailing slash or ``/v1``; QafError if bad."""
    return _normalize(server, example="https://central.example.org", secrets_from="the pyodk config file",
                      strip="/v1")


@dataclass(frozen=True)
class CentralCredentials:
    """A web user's email and password for one Central server, and the file they were read from."""

    base_url: str
    username: str
    password: str = field(repr=False)
    source: str = ""
    default_project_id: int | None = None

    def for_server(self, server: str) -> CentralCredentials:
        """These credentials if they are for ``server``; a QafError otherwise (the password goes nowhere else)."""
        if normalize_server(server) != normalize_server(self.base_url):
            raise QafError(f"the credentials in {self.source or 'the pyodk config'} are for {self.base_url}, not "
                           f"{normalize_server(server)}; point {CONFIG_ENV} at the config file for that server")
        return self


def config_path(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Where pyodk's config file is: ``path``, else ``$PYODK_CONFIG_FILE``, else ``~/.pyodk_config.toml``."""
    env = os.environ if environ is None else environ
    if path is not None:
        return Path(path).expanduser()
    if env.get(CONFIG_ENV, "").strip():
        return Path(env[CONFIG_ENV].strip()).expanduser()
    return DEFAULT_CONFIG.expanduser()


def load_credentials(path: Path | None = None, environ: Mapping[str, str] | None = None) -> CentralCredentials:
    """The ``[central]`` credentials of pyodk's config file (see :func:`config_path`); a QafError naming the
    file when it is missing, readable by others, not TOML, or lacks a value — never quoting its content."""
    file = config_path(path, environ)
    try:
        mode = stat.S_IMODE(file.stat().st_mode)
    except FileNotFoundError:
        raise QafError(f"no ODK Central credentials: {file} does not exist. Write pyodk's config there (mode 0600) "
                       f"or set {CONFIG_ENV} to its path:\n{EXAMPLE}") from None
    except OSError as exc:
        raise QafError(f"cannot read the pyodk config {file} ({exc.strerror or type(exc).__name__})") from None
    if mode & 0o077:
        raise QafError(f"the pyodk config {file} has mode {mode:04o}; it holds a password, so it must be 0600 "
                       f"(run: chmod 600 {file})")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise QafError(f"cannot read the pyodk config {file} ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        where = str(exc).rsplit("(", 1)[-1].rstrip(")") if "(" in str(exc) else "somewhere"
        raise QafError(f"the pyodk config {file} is not valid TOML ({where})") from None
    central = data.get("central")
    if not isinstance(central, dict):
        raise QafError(f"the pyodk config {file} has no [central] table:\n{EXAMPLE}")
    for key in ("base_url", "username", "password"):
        if not isinstance(central.get(key), str) or not central[key].strip():
            raise QafError(f"the pyodk config {file} has no {key} in its [central] table")
    project = central.get("default_project_id")
    if project is not None and (isinstance(project, bool) or not isinstance(project, int)):
        raise QafError(f"default_project_id in {file} must be a number")
    return CentralCredentials(normalize_server(central["base_url"]), central["username"].strip(), central["password"],
                              str(file), project)
