"""Dates as coordinators type them into a plan: an expected completion date is a date, an Excel serial number
within 2000–2100, ISO text (``2026-12-31``), or a month and year in any report language (``December 2026``,
``décembre 2026``, ``diciembre de 2026``, ``ديسمبر 2026``, ``2026-12``), which means the month's last day — how seed
000's tracker writes them. A Last updated time is a date and time from 2000 up to the import time plus a day."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

from openpyxl.utils.datetime import from_excel

FIRST_YEAR, LAST_YEAR = 2000, 2100
SERIALS = (36526, 73051)
"""Excel serial numbers of 2000-01-01 and 2100-12-31."""
MONTHS: tuple[tuple[str, ...], ...] = (
    ("january", "jan", "janvier", "janv", "enero", "ene", "يناير", "كانون الثاني"),
    ("february", "feb", "fevrier", "fevr", "fev", "febrero", "فبراير", "شباط"),
    ("march", "mar", "mars", "marzo", "مارس", "آذار"),
    ("april", "apr", "avril", "avr", "abril", "abr", "أبريل", "ابريل", "إبريل", "نيسان"),
    ("may", "mai", "mayo", "مايو", "أيار"),
    ("june", "jun", "juin", "junio", "يونيو", "حزيران"),
    ("july", "jul", "juillet", "juil", "julio", "يوليو", "تموز"),
    ("august", "aug", "aout", "agosto", "ago", "أغسطس", "اغسطس", "آب"),
    ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "سبتمبر", "أيلول"),
    ("october", "oct", "octobre", "octubre", "أكتوبر", "اكتوبر", "تشرين الأول"),
    ("november", "nov", "novembre", "noviembre", "نوفمبر", "تشرين الثاني"),
    ("december", "dec", "decembre", "diciembre", "dic", "ديسمبر", "كانون الأول"),
)
"""Month names (and common abbreviations) in the report languages: English, French, Spanish, Arabic; written
without accents (they are taken off what is typed before looking up)."""
_MONTH_YEAR = re.compile(r"^(?P<month>[^\d]+?)[\s.,/-]*(?:de\s+|del\s+)?(?P<year>\d{4})$")
_YEAR_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
ACCEPTED_DATE = "a date, YYYY-MM-DD, a month and year (December 2026, 2026-12) or an Excel date number (2000–2100)"
ACCEPTED_TIME = "a date and time (YYYY-MM-DD HH:MM) from 2000 up to today"


def _plain(text: str) -> str:
    """Lower case, accents off (Arabic letters kept), spaces single."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ARABIC_DIGITS).casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_MONTH = {_plain(name): number for number, names in enumerate(MONTHS, 1) for name in names}


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _in_range(day: dt.date) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"outside {FIRST_YEAR}–{LAST_YEAR}")
    return day


def completion_date(value: object) -> dt.date | None:
    """The expected completion date of a cell; None when blank; ValueError when it is none of ACCEPTED_DATE."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, bool):
        raise ValueError("not a date")
    if isinstance(value, (int, float)):
        if not SERIALS[0] <= value <= SERIALS[1]:
            raise ValueError("not an Excel date number of 2000–2100")
        return from_excel(value).date()
    text = _plain(str(value))
    if match := _YEAR_MONTH.match(text):
        if not 1 <= int(match["month"]) <= 12:
            raise ValueError("no such month")
        return _in_range(_month_end(int(match["year"]), int(match["month"])))
    if match := _MONTH_YEAR.match(text):
        month = _MONTH.get(match["month"].strip(" .,"))
        if month is None:
            raise ValueError("not a month")
        return _in_range(_month_end(int(match["year"]), month))
    return _in_range(dt.datetime.fromisoformat(text).date())


def update_time(value: object, latest: dt.datetime) -> dt.datetime | None:
    """A Last updated cell as an aware UTC time (naive: UTC); None when blank; ValueError when it is not a date and
    time from 2000 up to ``latest``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if not SERIALS[0] <= value <= SERIALS[1]:
            raise ValueError("not an Excel date number of 2000–2100")
        moment = from_excel(value)
    else:
        moment = dt.datetime.fromisoformat(str(value).strip())
    moment = moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment
    if moment.year < FIRST_YEAR or moment > latest:
        raise ValueError("out of range")
    return moment
