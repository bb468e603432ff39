"""Reading a one-to-one neighbour that a page may have loaded already."""

from typing import Any

UNREAD: Any = object()


def preloaded(instance, name: str) -> Any:
    """``instance.<name>``, a reverse one-to-one, when it came in the same query as
    ``instance`` (``select_related``): the object, or None when there is none. ``UNREAD``
    when it was not loaded, so the caller reads it as it always did (its queries unchanged)."""
    if not getattr(type(instance), name).is_cached(instance):
        return UNREAD
    return getattr(instance, name, None)  # a missing one raises a subclass of AttributeError
