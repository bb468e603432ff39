"""Handing a paginator rows whose number is known already."""

from collections.abc import Sequence
from typing import Any


class Counted:
    """``rows`` (a queryset, read a slice at a time) whose number a query already gave: a
    paginator takes one page of them without counting them again. ``core.pages.paginate``
    accepts it like a queryset."""

    ordered = True  # the rows' own ordering; Django's paginator warns about unordered lists

    def __init__(self, rows: Any, count: int):
        self._rows, self._count = rows, count

    def count(self) -> int:
        return self._count

    def __getitem__(self, window: slice) -> Sequence:
        return self._rows[window]
