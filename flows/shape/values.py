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
from schemas.checks import parameter

# Above any sample size, and within the warehouse's INTEGER column.
MAX_COUNT = 10**9


class ValueParseError(ValueError):
    pass


class CellKind(Enum):
    EMPTY = "empty"
    PERCENT = "percent"  # "42%", "42 %"
    NUMBER = "number"  # "42", "1,228", "7.5"
    BOUND = "bound"  # a share below a bound: "<1%", "<0.5"
    SAMPLE = "sample"  # a count with its population: "1,005 LV", "600 RV"
    MARGIN = "margin"  # "± 3.4%", "+/- 3"
    TIE = "tie"
    TEXT = "text"


_MINUS = str.maketrans({"\u2212": "-", "–": "-"})
_LOOKS_PERCENT = re.compile(r"^[+\-]?\s*\d[\d.,\s]*\s*%$")
_LOOKS_MARGIN = re.compile(r"^(?:±|\+/-|\+-)\s*\d[\d.,]*\s*%?$")
_LOOKS_BOUND = re.compile(r"^[<≤]\s*\d[\d.,]*\s*%?$")
_LOOKS_SAMPLE = re.compile(r"^\d[\d,\u00a0\u2009\u202f ]*\s*\(?(?:[a-z]{1,2})\)?$", re.IGNORECASE)
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
    if _LOOKS_MARGIN.match(text):
        return CellKind.MARGIN
    if _LOOKS_BOUND.match(text):
        return CellKind.BOUND
    if _LOOKS_SAMPLE.match(text) and _population_code(text) in POPULATIONS:
        return CellKind.SAMPLE
    if text.lower() in TIE_TOKENS:
        return CellKind.TIE
    return CellKind.TEXT


# Half a unit of a share's last printed digit: what its rounding may have added.
ROUNDING_PER_SHARE = parameter("shares_sum_within_rounding", "rounding_per_share")


@functools.lru_cache(maxsize=4096)
def rounding_allowance(text: str) -> float:
    """How much rounding may have added to a printed share: 0.5 for '23%', 0.05 for '7.5%'."""
    return ROUNDING_PER_SHARE * 10 ** -share_decimals(text)


@functools.lru_cache(maxsize=4096)
def share_decimals(text: str) -> int:
    """Decimals printed in a share ('7.5%' -> 1, '23%' -> 0): how finely it was rounded."""
    digits = text.strip().rstrip("%").strip()
    return len(digits.rsplit(".", 1)[1]) if "." in digits else 0


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


# The populations a poll's sample is drawn from, as poll tables abbreviate them after the count.
POPULATIONS = {
    "LV": "likely voters",
    "RV": "registered voters",
    "A": "adults",
    "V": "voters",
}
_SAMPLE = re.compile(r"^(.*?\d)\s*\(?([A-Za-z]{1,2})\)?$")


def _population_code(text: str) -> str:
    match = _SAMPLE.match(text.strip())
    return match.group(2).upper() if match else ""


def parse_sample(text: str) -> tuple[int | None, str | None]:
    """A sample size and the population it was drawn from: '1,005 LV' -> (1005, 'likely
    voters'), '600' -> (600, None); a null token -> (None, None). An unknown suffix is refused."""
    stripped = text.strip()
    match = _SAMPLE.match(stripped)
    if match is None:
        return parse_count(stripped), None
    code = match.group(2).upper()
    if code not in POPULATIONS:
        known = ", ".join(f"{key} ({name})" for key, name in POPULATIONS.items())
        raise ValueParseError(f"{text!r} is not a sample size: the suffix is none of {known}")
    return parse_count(match.group(1)), POPULATIONS[code]


def parse_share_bound(text: str) -> float | None:
    """The bound of a share written as below one: '<1%' -> 1.0, '<0.5' -> 0.5; None when the
    text is not a bound (then it is read by `parse_share`)."""
    stripped = text.strip()
    if not stripped.startswith(("<", "≤")):
        return None
    value = parse_share(stripped[1:].strip())
    if value is None:
        raise ValueParseError(f"{text!r} is not a share below a bound")
    return value


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
