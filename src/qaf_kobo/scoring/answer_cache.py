"""The answers read from a store, kept beside it between scoring runs, so that a run parses again only the
submissions whose JSON changed.

Beside a store ``data/qaf.sqlite`` scoring keeps ``data/qaf.sqlite.answers``: an Arrow file holding, per submission
read, the wanted columns as text (what ``load`` makes of its JSON) and a 128-bit hash (xxh3) of the stored JSON. A
submission whose JSON hashes to a kept one is taken from the file; any other is parsed. What ``load`` makes of a JSON
depends on that JSON only (never on its neighbours), so a run gives the same table with the file or without it.

The file records what made it: the fields asked for, the pyarrow version and a hash of the reading code; a file
made otherwise, or one that cannot be read, is ignored and replaced. It is written under a temporary name and
renamed, so it is whole or absent; where it cannot be written (a read-only folder, a full disk) scoring carries on
without it. Deleting it changes nothing but the time of the next run.

A run may write the file in the background (``keep_later``) once its scoring is done, while its caller writes the
tables or reports; a later read of the same file waits for that write, and Python waits for it before it exits.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import xxhash

log = logging.getLogger(__name__)

SUFFIX = ".answers"
"""The file beside the store: ``<store file name>.answers``."""
DIGEST = "#digest"
"""The column of JSON hashes (a name no form field can have)."""
READER_FILES: tuple[str, ...] = ("answer_cache.py", "load.py", "text.py", "fields.py")
"""The modules (of this package) whose code decides what a JSON is read as: the file's key hashes them."""
_KEY = b"qaf_kobo.answers"
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keep-answers")
"""Writes kept answers in the background, one file at a time (Python waits for it before it exits)."""
_pending: dict[Path, Future[None]] = {}
_pending_lock = threading.Lock()


def digest(text: bytes) -> bytes:
    """The 128-bit hash of a stored JSON text (xxh3: about 0.02 s for 100,000 submissions of 2 KB)."""
    return xxhash.xxh3_128_digest(text)


def cache_path(store_path: str | Path) -> Path:
    """Where the answers of ``store_path`` are kept."""
    store_path = Path(store_path)
    return store_path.with_name(store_path.name + SUFFIX)


def reader_key(fields: Collection[str]) -> str:
    """What the kept answers were made by: the fields, the pyarrow version and the reading code."""
    key = hashlib.sha256(_KEY)
    key.update(pa.__version__.encode())
    key.update("\n".join(sorted(fields)).encode())
    here = Path(__file__).parent
    for name in READER_FILES:
        key.update((here / name).read_bytes())
    return key.hexdigest()


class AnswerCache:
    """The answers kept beside one store, for one set of fields (empty when there is no usable file)."""

    def __init__(self, store_path: str | Path, fields: Collection[str]) -> None:
        self.path = cache_path(store_path)
        self.key = reader_key(fields)
        self.table = pa.table({})
        self.digests: list[bytes] = []
        self._position: dict[bytes, int] = {}
        self._read()

    def _read(self) -> None:
        written(self.path)  # a run's write in the background: read what it wrote
        try:
            with pa.memory_map(str(self.path)) as source:
                table = ipc.open_file(source).read_all()
        except FileNotFoundError:
            return
        except (OSError, pa.ArrowException) as exc:
            log.debug("the kept answers %s are not readable (%s): every submission is read again", self.path, exc)
            return
        if (table.schema.metadata or {}).get(b"reader") != self.key.encode() or DIGEST not in table.column_names:
            log.debug("the kept answers %s were made by other fields or code: every submission is read again", self.path)
            return
        self.digests = table.column(DIGEST).to_pylist()
        self.table = table.drop_columns([DIGEST])
        self._position = {d: i for i, d in enumerate(self.digests)}

    @property
    def columns(self) -> list[str]:
        """The answer columns kept."""
        return self.table.column_names

    def find(self, digests: Sequence[bytes]) -> np.ndarray:
        """Each digest's row in the kept answers, −1 where it is not kept."""
        position = self._position
        if not position:
            return np.full(len(digests), -1, dtype=np.int64)
        return np.fromiter((position.get(d, -1) for d in digests), dtype=np.int64, count=len(digests))

    def unchanged(self, digests: Sequence[bytes]) -> bool:
        """Whether the kept answers are exactly those of these digests, in this order (nothing to write)."""
        return self.digests == list(digests)

    def save(self, answers: pa.Table, digests: Sequence[bytes]) -> None:
        """Keep ``answers`` (one row per digest) in place of the file: written whole under a temporary name and
        renamed; an error only means no file (logged), never a failed run."""
        table = answers.append_column(DIGEST, pa.array(digests, type=pa.binary(16)))
        table = table.replace_schema_metadata({"reader": self.key})
        temporary = None
        try:
            handle, temporary = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".part", dir=self.path.parent)
            with os.fdopen(handle, "wb") as sink, ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            os.replace(temporary, self.path)
        except OSError as exc:
            log.debug("could not keep the answers read in %s (%s): the next run reads every submission again",
                      self.path, exc)
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


def keep_later(cache: AnswerCache, answers: pa.Table, digests: Sequence[bytes]) -> Future[None]:
    """``cache.save(answers, digests)`` in the background; a later ``AnswerCache`` of the same file waits for it."""
    writing = _WRITER.submit(cache.save, answers, list(digests))
    with _pending_lock:
        _pending[cache.path.absolute()] = writing
    writing.add_done_callback(lambda done: _forget(cache.path.absolute(), done))
    return writing


def written(path: str | Path) -> None:
    """Wait until the kept answers at ``path`` (``cache_path``) are written, when a run writes them in the
    background."""
    with _pending_lock:
        writing = _pending.get(Path(path).absolute())
    if writing is not None:
        wait([writing])  # its failure, if any, was logged: the file is then absent or the earlier one


def all_written() -> None:
    """Wait until every write of kept answers started in the background is done."""
    with _pending_lock:
        writing = list(_pending.values())
    wait(writing)


def _forget(path: Path, done: Future[None]) -> None:
    with _pending_lock:
        if _pending.get(path) is done:
            del _pending[path]
    if (error := done.exception()) is not None:  # save() logs what it expects; anything else is a bug to see
        log.warning("could not keep the answers read in %s: %r", path, error)
