"""URLs at a fraction of the cost of ``reverse()``: the text of a view's URL around its
arguments is resolved once per process, then each URL is that text with its arguments put in."""

import re
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import get_language

# Accepted by the int, slug and str converters alike, and unlikely to be part of any URL.
MARKER = "918273645546372819"
# Shapes kept at most (views, argument counts, URLconfs, script prefixes); then they start over.
MAX_SHAPES = 1024
_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted

_shapes: dict[tuple, tuple[str, ...] | None] = {}


def _context() -> tuple:
    """What ``reverse()`` reads besides its arguments: the URLconf, the script prefix and the
    language (each a thread-local: 2-6 µs apiece to read, so read once for many URLs)."""
    return (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())


def _shape(viewname: str, count: int, context: tuple) -> tuple[str, ...] | None:
    """The text of ``viewname``'s URL before, between and after its ``count`` arguments, or None
    when a marker shows elsewhere in it. Kept per process for each ``_context()``: a cache of URL
    construction, as Django's resolver keeps its patterns per language, never of a value."""
    key = (viewname, count, context)
    shape = _shapes.get(key, ())
    if shape == ():
        markers = [f"{MARKER}{n}" for n in range(count)]
        url = reverse(viewname, args=markers)
        if all(url.count(marker) == 1 for marker in markers):
            parts = []
            for marker in markers:
                before, url = url.split(marker)
                parts.append(before)
            shape = (*parts, url)
        else:
            shape = None
        if len(_shapes) >= MAX_SHAPES:
            _shapes.clear()
        _shapes[key] = shape
    return shape


# Text quote() leaves as it is, told at a third of quote()'s cost: ids, slugs, DNS labels.
_plain = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quoted(value) -> str:
    """``value`` in a URL as ``reverse()`` quotes it."""
    value = str(value)
    return value if _plain(value) else quote(value, safe=_SAFE)


def _filled(shape: tuple[str, ...], args) -> str:
    parts = [shape[0]]
    for value, after in zip(args, shape[1:], strict=True):
        parts += (_quoted(value), after)
    return "".join(parts)


def urls() -> Callable[..., str]:
    """``url(viewname, *args)``: ``reverse(viewname, args=args)`` for ids, slugs and DNS-label
    names, each argument quoted as ``reverse()`` quotes it, for the many URLs of one page (the
    context ``reverse()`` reads is read once). The marker stands in for the converter's own
    check, so a value a converter would refuse is not refused here."""
    context = _context()

    def url(viewname: str, *args) -> str:
        shape = _shape(viewname, len(args), context)
        return reverse(viewname, args=args) if shape is None else _filled(shape, args)

    return url


def url_of(viewname: str, *args) -> str:
    """One URL as ``urls()`` gives them."""
    return urls()(viewname, *args)


def row_urls(viewname: str, *args) -> Callable[[int | str], str]:
    """``reverse(viewname, args=[*args, last])`` for every row's ``last`` (as ``urls()``), the
    text before the last argument put together once for the rows."""
    shape = _shape(viewname, len(args) + 1, _context())
    if shape is None:
        return lambda last: reverse(viewname, args=[*args, last])
    before, after = _filled(shape[:-1], args), shape[-1]
    # An id's digits need no quoting (quote() costs ten times what str() does).
    return lambda last: before + (str(last) if type(last) is int else _quoted(last)) + after
