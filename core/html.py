"""Table rows drawn in Python: a value escaped as the template language escapes it."""

import html

from django.utils.safestring import SafeString, mark_safe

# What ``json_script`` escapes in JSON so that it cannot end or open an element.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def text(value) -> str:
    """``{{ value }}`` of a text (a string, or anything shown as its ``str()``): escaped unless
    marked safe. Django's ``conditional_escape`` without its lazy-string wrapper, which costs
    more than the escaping; numbers and dates are not localized here, so hand over their text."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def json_script_of_text(json_text: str, element_id: str) -> SafeString:
    """``{{ value|json_script:element_id }}`` for a value already written as JSON (by the
    database, or pieced together from ``json.dumps``): the same element, escaped alike."""
    # Most JSON has none of the three (numbers and keys the database wrote): looking costs a
    # microsecond where translating 20 kB of a usage page's charts costs 40.
    if any(character in json_text for character in "<>&"):
        json_text = json_text.translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(  # noqa: S308 - the id is the caller's constant; the JSON's <, > and & are escaped
        f'<script id="{html.escape(element_id)}" type="application/json">{json_text}</script>'
    )
