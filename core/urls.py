"""URLs of many table rows at the cost of one ``reverse()``."""

from collections.abc import Callable
from urllib.parse import quote

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

# Accepted by the int, slug and str converters alike, and unlikely to be part of any URL.
MARKER = "918273645546372819"


def row_urls(viewname: str, *args) -> Callable[[int | str], str]:
    """``reverse(viewname, args=[*args, last])`` for every row's ``last``: the URL is resolved
    once around a marker, which each call replaces, quoted as ``reverse()`` quotes it.

    For ids and DNS-label names: the marker stands in for the converter's own check, so a
    value a converter would refuse is not refused here. A URL in which the marker happens to
    appear anywhere else is reversed row by row instead.
    """
    url = reverse(viewname, args=[*args, MARKER])
    if url.count(MARKER) != 1:
        return lambda last: reverse(viewname, args=[*args, last])
    before, after = url.split(MARKER)
    return lambda last: before + quote(str(last), safe=RFC3986_SUBDELIMS + "/~:@") + after
