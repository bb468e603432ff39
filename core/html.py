"""Table rows drawn in Python: a value escaped as the template language escapes it."""

import html


def text(value) -> str:
    """``{{ value }}`` of a text (a string, or anything shown as its ``str()``): escaped unless
    marked safe. Django's ``conditional_escape`` without its lazy-string wrapper, which costs
    more than the escaping; numbers and dates are not localized here, so hand over their text."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))
