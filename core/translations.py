"""Words translated once per process and language.

A page that draws the same sentences on every request asks ``gettext`` for each of them every
time (about 2 µs each, and some pages ask dozens of times). ``per_language`` keeps what a function
of such words returns for each language the function was called in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from django.utils.translation import get_language

T = TypeVar("T")

# Languages a process keeps words for: the two the console speaks, with room to spare.
LANGUAGES_KEPT = 16


def per_language(words: Callable[[], T]) -> Callable[[], T]:
    """``words`` (a function of no arguments that translates its words) called once per process
    and active language; later calls in that language return what it returned then. The
    result is shared: callers must not change it."""
    kept = functools.lru_cache(maxsize=LANGUAGES_KEPT)(lambda language: words())

    @functools.wraps(words)
    def translated() -> T:
        return kept(get_language())

    return translated
