"""Output files that are all or nothing: the folder is checked before any work, every file is written under a
temporary name in its own folder and renamed when the whole set is complete, and a failure (a full disk, a
read-only folder, a name too long) is one QafError that leaves none of the set behind.

    folder = output_folder(out_dir, store=store_path)     # before scoring: a folder that can hold the files
    with OutputSet(folder) as files:                        # nothing is renamed unless every file was written
        write_xlsx(files.part("a.xlsx"))
        write_xlsx(files.part("b.xlsx"))
    files.paths                                             # the final paths, in the order asked for
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from qaf_kobo.errors import QafError

__all__ = ["FORMS_OUT", "REPORTS_OUT", "OutputSet", "output_error", "output_file", "output_folder", "write_atomically"]

FORMS_OUT = Path("forms/build")
"""Where ``form build`` writes the forms unless told otherwise."""
REPORTS_OUT = Path("reports")
"""Where ``report`` writes the workbooks unless told otherwise (``score`` writes its tables in a folder of the day
within it)."""
PART_SUFFIX = ".part"
NAME_MAX = 255
"""The longest file name (in bytes) of the common file systems."""


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (``.`` for a relative path none of whose parts exist)."""
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(".")


def _same_file(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def output_error(path: Path, exc: OSError, option: str = "--out") -> QafError:
    """The one-line QafError for an OSError met writing ``path``: a file, or a folder (made or written into);
    ``option`` is what the user passes instead (``--out``, "file")."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    code = exc.errno
    is_folder = path.is_dir()
    what = f"to the folder {path}" if is_folder else str(path)
    instead = f"pass another {option}"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return QafError(f"cannot write {what}: the disk is full ({reason}); nothing was written — free some space on "
                        f"that disk, or {instead}, then run the command again")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        where = "it is" if is_folder else f"its folder {path.parent} is"
        return QafError(f"cannot write {what}: {where} read-only ({reason}); make it writable or {instead}")
    if code == errno.ENAMETOOLONG:
        return QafError(f"cannot write {what}: the name is too long for the file system ({reason}); {instead}")
    if code == errno.ENOTDIR:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), path.parent)
        return QafError(f"cannot write {what}: {blocker} is a file, not a folder; {instead}")
    return QafError(f"cannot write {what}: {reason}")


def output_folder(folder: str | Path, *, store: str | Path | None = None, create: bool = True,
                  option: str = "--out") -> Path:
    """Check that ``folder`` can hold output files, before any work is done: not a file (nor the store), no parent
    that is a file, names the file system takes, a folder that can be written to; ``create`` makes it when
    missing (else the nearest existing parent is checked). Returns the folder; a QafError says what is wrong,
    naming ``option`` as what to change."""
    folder = Path(folder)
    if _same_file(folder, Path(store) if store is not None else None):
        raise QafError(f"{option} {folder} is the store itself: give the output its own folder, e.g. reports/")
    if os.path.lexists(folder) and not folder.is_dir():
        raise QafError(f"{option} {folder} is a file, not a folder: pass a folder (it is made when missing)")
    existing = _first_existing(folder)
    if not existing.is_dir():
        raise QafError(f"cannot make the folder {folder}: {existing} is a file, not a folder; pass another {option}")
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = NAME_MAX
    too_long = next((part for part in folder.parts if len(os.fsencode(part)) > name_max), None)
    if too_long is not None:
        raise QafError(f"cannot make the folder {folder}: the name {too_long[:40]}… is longer than the file system "
                       f"takes ({name_max} bytes); pass a shorter {option}")
    probe_in = folder if create else existing
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=probe_in, prefix=".qaf-probe-", suffix=PART_SUFFIX)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise output_error(probe_in if probe_in.is_dir() else folder, exc, option) from None
    return folder


def output_file(path: str | Path, *, store: str | Path | None = None, create: bool = True) -> Path:
    """Check that ``path`` can be written as one output file: not a folder, nor the store, a name the file
    system takes, in a folder that can be written to (made with ``create`` when missing). Returns the path."""
    path = Path(path)
    if _same_file(path, Path(store) if store is not None else None):
        raise QafError(f"{path} is the store itself: write the output to another file")
    if path.is_dir():
        raise QafError(f"{path} is a folder: give the file's name, e.g. {path / 'out.xlsx'}")
    folder = path.parent if str(path.parent) else Path(".")
    if os.path.lexists(folder) and not folder.is_dir():
        raise QafError(f"cannot write {path}: {folder} is a file, not a folder; pass another file name")
    output_folder(folder, create=create, option="file name")
    if len(os.fsencode(path.name)) > NAME_MAX:
        raise QafError(f"cannot write {path}: the file name is longer than the file system takes; pass a shorter one")
    return path


class OutputSet:
    """Files written together into one folder: ``part(name)`` gives the temporary path to write ``name`` to; on
    leaving the ``with`` block without an error every part is renamed to its name, else every part is removed.
    An OSError inside the block becomes one QafError (see ``output_error``)."""

    def __init__(self, folder: str | Path, option: str = "--out") -> None:
        self.folder = Path(folder)
        self.option = option
        self._parts: dict[Path, Path] = {}
        self._failed: Path | None = None

    @property
    def paths(self) -> list[Path]:
        """The final paths of the files, in the order they were asked for."""
        return list(self._parts)

    def part(self, name: str | Path) -> Path:
        """The temporary path (hidden, in the same folder, with the same extension) to write the file ``name`` to."""
        final = self.folder / name
        if len(os.fsencode(final.name)) > NAME_MAX:  # found before anything is written, not at the renaming
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(final))
        partial = final.with_name(f".{final.stem[:200]}.{os.getpid()}{PART_SUFFIX}{final.suffix}")
        self._parts[final] = partial
        return partial

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is None:
            try:
                self._commit()
                return
            except OSError as failed:
                self._discard()
                raise output_error(self._failed or self.folder, failed, self.option) from None
        self._discard()
        if (cause := _os_error(exc)) is not None:
            finals = {str(part): final for final, part in self._parts.items()}
            named = finals.get(str(cause.filename), Path(cause.filename) if cause.filename else self.folder)
            raise output_error(named, cause, self.option) from None

    def _commit(self) -> None:
        for final, partial in self._parts.items():
            self._failed = final
            os.replace(partial, final)
        self._failed = None

    def _discard(self) -> None:
        for partial in self._parts.values():
            try:
                partial.unlink(missing_ok=True)
            except OSError:
                pass


def _os_error(exc: BaseException | None) -> OSError | None:
    """The OSError behind ``exc``: itself, or the one a writer wrapped (XlsxWriter's FileCreateError)."""
    for candidate in (exc, *(getattr(exc, "args", ()) or ())[:1], getattr(exc, "__cause__", None),
                      getattr(exc, "__context__", None)):
        if isinstance(candidate, OSError) and candidate.errno is not None:
            return candidate
    return exc if isinstance(exc, OSError) else None


def write_atomically(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write one file through ``write(temporary_path)`` and rename it to ``path`` when complete; returns ``path``."""
    path = Path(path)
    folder = output_folder(path.parent if str(path.parent) else Path("."), option="file name")
    with OutputSet(folder, option="file name") as files:
        write(files.part(path.name))
    return path
