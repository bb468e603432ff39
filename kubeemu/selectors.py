"""Label and field selectors as the API server parses them in list queries and RBAC aggregation."""

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, str]], bool]

_KEY = r"[A-Za-z0-9][A-Za-z0-9._/-]*"
_VALUE = r"[A-Za-z0-9._-]*"
_EQUALITY = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|!=|=)\s*(?P<value>{_VALUE})$")
_SET = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EXISTS = re.compile(rf"^(?P<neg>!)?\s*(?P<key>{_KEY})$")


def _split(text: str) -> list[str]:
    """Split on commas that are not inside ``in (...)`` value lists."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _requirement(text: str) -> Predicate:
    if m := _SET.match(text):
        key, values = m["key"], {v.strip() for v in m["values"].split(",") if v.strip()}
        if m["op"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _EQUALITY.match(text):
        key, value = m["key"], m["value"]
        if m["op"] == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS.match(text):
        key = m["key"]
        if m["neg"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise ValueError(f'unable to parse requirement: "{text}"')


def parse_label_selector(text: str | None) -> Predicate:
    """Compile a ``labelSelector`` query string; raises ValueError on malformed input."""
    requirements = [_requirement(part) for part in _split(text or "")]
    return lambda labels: all(req(labels) for req in requirements)


def _field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def parse_field_selector(text: str | None) -> Callable[[dict[str, Any]], bool]:
    """Compile a ``fieldSelector``: ``path=value``, ``path==value`` and ``path!=value`` terms."""
    terms = []
    for part in _split(text or ""):
        m = re.match(r"^([A-Za-z0-9.]+)\s*(==|!=|=)\s*(.*)$", part)
        if not m:
            raise ValueError(f'invalid field selector: "{part}"')
        terms.append((m[1], m[2] == "!=", m[3]))
    return lambda obj: all((_field_value(obj, path) == value) != negate for path, negate, value in terms)


def from_label_selector_object(selector: dict[str, Any] | None) -> Predicate:
    """Compile a ``metav1.LabelSelector`` (matchLabels + matchExpressions)."""
    selector = selector or {}
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []

    def expression_matches(expr: dict[str, Any], labels: dict[str, str]) -> bool:
        key, op, values = str(expr.get("key", "")), expr.get("operator"), expr.get("values") or []
        if op == "In":
            return labels.get(key) in values
        if op == "NotIn":
            return labels.get(key) not in values
        if op == "Exists":
            return key in labels
        return key not in labels

    def predicate(labels: dict[str, str]) -> bool:
        if any(labels.get(k) != v for k, v in match_labels.items()):
            return False
        return all(expression_matches(e, labels) for e in expressions)

    return predicate
