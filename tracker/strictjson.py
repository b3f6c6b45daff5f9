"""The one strict JSON reader for everything that comes in: data file, imports, files edited by hand.

Python's `json` accepts what no tracker file should hold (a key twice in one object, NaN and Infinity, numbers a
float cannot hold) and fails on some inputs with errors that are not JSONDecodeError (RecursionError, ValueError
for a long integer, UnicodeDecodeError). `loads` turns all of them into one JSONProblem with a one-line message.
"""

from __future__ import annotations

import math
from typing import Any


class JSONProblem(ValueError):
    """JSON text that this tracker will not read; the message is one line that says what and, if known, where."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The fast path is the common one: a dict as long as its pairs has no repeated key.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                import json

                raise JSONProblem(f"the key {json.dumps(key, ensure_ascii=False)[:80]} appears twice in one object")
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise JSONProblem(f"{name} is not a number JSON allows; write a finite number or null")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONProblem(f"the number {text[:40]} is too large for a floating-point number")
    return value


_INT_DIGITS_MAX = 4300  # Python's own limit (sys.get_int_max_str_digits), fixed so that it cannot vary by setting


def _int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > _INT_DIGITS_MAX:
        raise JSONProblem(f"an integer of {digits} digits; at most {_INT_DIGITS_MAX} are allowed")
    return int(text)


def loads(data: str | bytes) -> Any:
    """The value of the JSON text `data` (bytes must be UTF-8); JSONProblem with a one-line message otherwise."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise JSONProblem(f"not UTF-8 text (byte {error.start} cannot be decoded)") from None
    import json  # not at start-up: `list` and `show` read through the index and never ask

    try:
        return json.loads(data, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError as error:
        message = error.msg.removesuffix(" at")  # Python's "Invalid control character at" would read "at at"
        raise JSONProblem(f"not valid JSON: {message} at line {error.lineno}, column {error.colno}") from None
    except RecursionError:
        raise JSONProblem("nested too deeply: arrays or objects inside each other by the thousand") from None
    except JSONProblem:
        raise
    except ValueError as error:  # any other limit of Python's own number parsing
        raise JSONProblem(f"a value JSON cannot be read as: {' '.join(str(error).split())}") from None
