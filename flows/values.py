"""Cell values: what a cell looks like, and its strict reading as a share, a count or a lead.

`cell_kind` is deliberately loose ("84,6%" looks like a percentage) so that a row's shape can be
judged before its values are read; the `parse_*` functions are strict and raise `ValueParseError`
with a message a user can act on ("'84,6%' is not a percentage: use a decimal point"). A value is
read or the row is rejected; nothing is rounded, guessed or clipped.
"""

from __future__ import annotations

import functools
import re
from enum import Enum

from flows.vocabulary import TIE_TOKENS, is_null_token

# Above any sample size, and within the warehouse's INTEGER column.
MAX_COUNT = 10**9


class ValueParseError(ValueError):
    pass


class CellKind(Enum):
    EMPTY = "empty"
    PERCENT = "percent"
    NUMBER = "number"
    TIE = "tie"
    TEXT = "text"


_MINUS = str.maketrans({"\u2212": "-", "–": "-"})
_LOOKS_PERCENT = re.compile(r"^[+\-±]?\s*\d[\d.,\s]*\s*%$")
_LOOKS_NUMBER = re.compile(r"^[+\-]?\s*\d[\d.,\u00a0\u2009 ]*$")
_SHARE = re.compile(r"^(\d{1,3}(?:\.\d+)?)\s*%?$")
_COUNT = re.compile(r"^(\d{1,3}(?:[, \u00a0\u2009\u202f]\d{3})+|\d+)$")
_LEAD = re.compile(r"^\+?\s*(\d{1,3}(?:\.\d+)?)\s*(?:%|pts?|points?)?$")
_MARGIN = re.compile(r"^(?:±|\+/-|\+-)?\s*(\d{1,2}(?:\.\d+)?)\s*%?$")


@functools.lru_cache(maxsize=65_536)
def cell_kind(text: str) -> CellKind:
    """The shape of a cell's text, for aligning a row's cells to its columns (cached: the same
    texts, "N/A", "1,000", "42%", recur across every row of a table)."""
    text = text.strip().translate(_MINUS)
    if is_null_token(text):
        return CellKind.EMPTY
    if _LOOKS_PERCENT.match(text):
        return CellKind.PERCENT
    if _LOOKS_NUMBER.match(text):
        return CellKind.NUMBER
    if text.lower() in TIE_TOKENS:
        return CellKind.TIE
    return CellKind.TEXT


def is_whole_number(text: str) -> bool:
    return bool(_COUNT.match(text.strip()))


def number_value(text: str) -> float | None:
    """A number cell's value for shape checks, or None where it is not plainly one."""
    cleaned = text.strip().translate(_MINUS).rstrip("%").replace(",", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        return None


def parse_share(text: str) -> float | None:
    """'7.6%' -> 7.6, '6%' -> 6.0, '84.6' -> 84.6; a null token -> None."""
    stripped = text.strip()
    if is_null_token(stripped):
        return None
    match = _SHARE.match(stripped)
    if not match:
        hint = ": use a decimal point" if re.search(r"\d,\d", stripped) else ""
        raise ValueParseError(f"{text!r} is not a percentage{hint}")
    return float(match.group(1))


def parse_count(text: str) -> int | None:
    """'1,228' -> 1228, '1000' -> 1000; a null token -> None."""
    stripped = text.strip()
    if is_null_token(stripped):
        return None
    if not _COUNT.match(stripped):
        raise ValueParseError(f"{text!r} is not a whole number")
    count = int(re.sub(r"[, \u00a0\u2009\u202f]", "", stripped))
    if count > MAX_COUNT:
        raise ValueParseError(f"{text!r} is more people than there are (over {MAX_COUNT:,})")
    return count


def parse_lead(text: str) -> float | None:
    """'77%' -> 77.0, '+5' -> 5.0, 'Tie' -> 0.0; a null token -> None."""
    stripped = text.strip()
    if is_null_token(stripped):
        return None
    if stripped.lower() in TIE_TOKENS:
        return 0.0
    match = _LEAD.match(stripped)
    if not match:
        raise ValueParseError(f"{text!r} is not a lead in points")
    return float(match.group(1))


def parse_margin_of_error(text: str) -> float | None:
    """'± 3.4%' -> 3.4; a null token -> None."""
    stripped = text.strip()
    if is_null_token(stripped):
        return None
    match = _MARGIN.match(stripped)
    if not match:
        raise ValueParseError(f"{text!r} is not a margin of error")
    return float(match.group(1))
