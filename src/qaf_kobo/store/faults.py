"""Problems with the store's file, said in one line that names the problem and the way out: a read-only file or
folder, a full disk, a damaged file, a file that is not a store."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from qaf_kobo.errors import QafError

SQLITE_HEADER = b"SQLite format 3\x00"
RECOVER = ("restore it from a backup, or sync it again into a new file: qaf-kobo sync --full --store NEW.sqlite "
           "(submissions imported from files must then be imported again)")


def is_sqlite_file(path: Path) -> bool:
    """Whether ``path`` starts like an SQLite database (a damaged store still does; a text file does not)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def store_error(path: Path, exc: BaseException) -> QafError:
    """The QafError for an error SQLite (or the file system) raised on the store at ``path``."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    reason = _reason(exc)
    if code == sqlite3.SQLITE_FULL:
        return QafError(f"cannot write to the store {path}: the disk is full ({reason}); nothing of this step was "
                        "written — free some space on that disk, or move the store to another disk and pass "
                        "--store, then run the command again")
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN) or isinstance(exc,
                                                                                                     PermissionError):
        return read_only_error(path, reason)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        if code == sqlite3.SQLITE_NOTADB and not is_sqlite_file(path):
            return QafError(f"{path} is not a qaf-kobo store (not an SQLite database); pass the right --store")
        return QafError(f"the store {path} is damaged ({reason}); {RECOVER}")
    if code == sqlite3.SQLITE_IOERR:
        return QafError(f"cannot read or write the store {path}: the disk reported an error ({reason}); check the "
                        "disk (or the network share it is on) and run the command again")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return QafError(f"the store {path} is locked by another program ({reason}); close it (a database browser, "
                        "another qaf-kobo) and run the command again")
    return QafError(f"cannot use the store {path}: {reason}")


def read_only_error(path: Path, reason: str) -> QafError:
    """Writing failed for want of permission: say whether the file or its folder is the read-only one."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not os.access(path, os.W_OK):
        return QafError(f"cannot write to the store {path}: the file is read-only ({reason}); make it writable "
                        f"(chmod u+w {path}; if it is immutable, chattr -i {path}) or pass another --store")
    if not os.access(folder, os.W_OK):
        return QafError(f"cannot write to the store {path}: its folder {folder} is read-only ({reason}), and SQLite "
                        f"writes a journal ({path.name}-wal, {path.name}-shm) and qaf-kobo a lock file next to the "
                        "store; make the folder writable, or copy the store to a writable folder and pass --store")
    return QafError(f"cannot open the store {path} ({reason}); check that the file and its folder can be read and "
                    "written")


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
