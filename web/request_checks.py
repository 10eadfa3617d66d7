"""Request bodies checked field by field against the request schemas the OpenAPI document publishes.

The API's views call :func:`conform` before reading a body, so the server refuses exactly what
``web/openapi.py`` forbids and the two cannot drift apart. Errors name the field, never its value.
"""

from __future__ import annotations

import json
import re
from typing import Any

from geoaccess.errors import BadInput, InvalidRequest

SELECTORS = frozenset({"mode", "kind", "format"})
"""Fields that say what kind of request this is: a value not in their list is a 400, like a wrong type."""
_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}
_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


def conform(data: dict[str, Any], name: str) -> None:
    """Check ``data`` field by field against the request schema ``name`` of the OpenAPI document, so the
    server refuses what the document forbids. Errors name the field, never its value.

    400 (invalid-body): a required field missing or null, an optional one null (leave it out for its
    default), a wrong type, an empty string, too few items; 422 (bad-input): a value outside its list
    (400 for :data:`SELECTORS`), pattern or range, or too many items. Rules across fields (``allOf`` in the
    document) are the use case's own checks. Unknown fields are ignored, as the document allows."""
    from .openapi import SCHEMAS

    schema = SCHEMAS[name]
    for key in schema.get("required", ()):
        if data.get(key) is None:
            raise InvalidRequest(f"'{key}' is required")
    for key, rule in schema["properties"].items():
        if key not in data:
            continue
        if data[key] is None:
            raise InvalidRequest(f"'{key}' must not be null: leave it out for its default")
        _conform(key, data[key], rule, selector=key in SELECTORS)


def _conform(path: str, value: Any, rule: dict[str, Any], *, selector: bool = False) -> None:
    """Check one value against its schema (the keywords web/openapi.py uses in request bodies)."""
    if "oneOf" in rule:  # the branches differ in type: the value's type picks one
        branches = [b for b in rule["oneOf"] if _is_type(value, b.get("type"))]
        if not branches:
            kinds = " or ".join(_TYPE_WORDS[b["type"]] for b in rule["oneOf"])
            raise InvalidRequest(f"'{path}' must be {kinds}")
        _conform(path, value, branches[0], selector=selector)
        return
    if "type" in rule and not _is_type(value, rule["type"]):
        raise InvalidRequest(f"'{path}' must be {_TYPE_WORDS[rule['type']]}")
    if "const" in rule and value != rule["const"]:
        raise InvalidRequest(f"'{path}' must be {json.dumps(rule['const'])}")
    if "enum" in rule and value not in rule["enum"]:
        error = InvalidRequest if selector else BadInput
        raise error(f"'{path}' must be one of {', '.join(map(str, rule['enum']))}")
    if isinstance(value, str):
        _conform_text(path, value, rule)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _conform_number(path, value, rule)
    elif isinstance(value, list):
        _conform_list(path, value, rule)


def _is_type(value: Any, type_: str | None) -> bool:
    if type_ is None:
        return True
    if isinstance(value, bool):
        return type_ == "boolean"
    if type_ == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[type_])


def _conform_text(path: str, value: str, rule: dict[str, Any]) -> None:
    if len(value) < rule.get("minLength", 0):
        raise InvalidRequest(f"'{path}' must not be empty")
    pattern = rule.get("pattern")
    # ECMA-262's $ (JSON Schema's) matches only at the very end; Python's also before a final newline
    if pattern is not None and not re.search(pattern.replace("$", r"\Z"), value):
        raise BadInput(f"'{path}' must be {rule.get('title', 'in the documented format')}")


def _conform_number(path: str, value: float, rule: dict[str, Any]) -> None:
    low, high = rule.get("minimum"), rule.get("maximum")
    above = rule.get("exclusiveMinimum")
    if (
        (low is not None and value < low)
        or (high is not None and value > high)
        or (above is not None and value <= above)
    ):
        least = f"more than {above}" if above is not None else f"at least {low}"
        raise BadInput(f"'{path}' must be {least}" + (f" and at most {high}" if high is not None else ""))


def _conform_list(path: str, value: list[Any], rule: dict[str, Any]) -> None:
    if len(value) < rule.get("minItems", 0):
        raise InvalidRequest(f"'{path}' must hold {rule['minItems']} or more items")
    if "maxItems" in rule and len(value) > rule["maxItems"]:
        raise BadInput(f"'{path}' may hold at most {rule['maxItems']} items")
    for index, item in enumerate(value):
        if item is None:
            raise InvalidRequest(f"'{path}[{index}]' must not be null")
        _conform(f"{path}[{index}]", item, rule.get("items", {}))
