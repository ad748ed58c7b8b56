"""openpyxl's ``load_workbook`` for tests, which read the same workbooks many times (a plan edited in ten ways, a
report checked sheet by sheet): each distinct file, by its content, is parsed by openpyxl once per test process,
and every later load gets a fresh copy of that parse (unpickled: about four times faster than parsing again), so a
test may change its copy freely. Read-only loads and file objects go to openpyxl as they are."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import OrderedDict
from typing import Any

import openpyxl
from openpyxl import Workbook

KEPT = 48
"""Parsed workbooks kept per process (the least recently loaded is dropped first); a country workbook pickles to
about 1 MB."""
_PARSED: OrderedDict[tuple[bytes, bool, bool], bytes] = OrderedDict()


def load_workbook(filename: Any, read_only: bool = False, keep_vba: bool = False, data_only: bool = False,
                  keep_links: bool = True, rich_text: bool = False) -> Workbook:
    """As ``openpyxl.load_workbook``: the workbook in ``filename``, a copy of its parse when seen before."""
    if read_only or keep_vba or not keep_links or not isinstance(filename, (str, os.PathLike)):
        return openpyxl.load_workbook(filename, read_only=read_only, keep_vba=keep_vba, data_only=data_only,
                                      keep_links=keep_links, rich_text=rich_text)
    with open(filename, "rb") as file:
        key = (hashlib.blake2b(file.read(), digest_size=16).digest(), data_only, rich_text)
    if key in _PARSED:
        _PARSED.move_to_end(key)
        return pickle.loads(_PARSED[key])
    book = openpyxl.load_workbook(filename, data_only=data_only, rich_text=rich_text)
    _PARSED[key] = pickle.dumps(book, protocol=pickle.HIGHEST_PROTOCOL)
    if len(_PARSED) > KEPT:
        _PARSED.popitem(last=False)
    return book
