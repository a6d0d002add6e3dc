"""JSON from outside, parsed strictly: what an HTTP body and a Kafka record value both go
through before anything else reads them.

Strict RFC 8259 (no NaN or Infinity, no number beyond a float's range or Python's integer
conversion limit), valid UTF-8, and at most MAX_JSON_DEPTH levels of arrays and objects: no
record of ours nests beyond a handful, and every later walk of the value (validation,
fingerprints, storage) stays far from Python's recursion limit. Reasons never quote the input.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_JSON_DEPTH = 64


class JsonRefused(ValueError):
    """The bytes are not JSON we accept; the message says why, without quoting them."""


def parse_json(raw: bytes | str) -> Any:
    """The parsed value, or JsonRefused."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"not valid JSON at byte {exc.pos}") from None
    except UnicodeDecodeError:
        raise JsonRefused("not valid JSON: not UTF-8") from None
    except RecursionError:
        raise JsonRefused(f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:  # an integer longer than Python converts (4300 digits)
        raise JsonRefused("holds a number out of range") from None
    if nesting(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise JsonRefused(f"nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def nesting(value: Any, stop_above: int | None = None) -> int:
    """How deeply arrays and objects nest in a parsed value (a scalar is 0), without
    recursion; stops counting once past `stop_above`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: list[Any] = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        if stop_above is not None and deepest > stop_above:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (RFC 8259) does not, nor do our schemas.
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400 parses to infinity, which no JSON consumer can store
        raise json.JSONDecodeError("number out of range", text, 0)
    return value
