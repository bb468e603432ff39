"""Page links drawn in Python: ``{% pagination %}``, which ``_pagination.html`` calls."""

from django import template
from django.utils.formats import localize
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core.html import text
from core.translations import per_language

register = template.Library()


@per_language
def _words() -> tuple[str, str, str, str]:
    """The links' words."""
    return _("← Previous"), _("Next →"), _("Page %(number)s of %(total)s"), _("Pages")


@register.simple_tag
def pagination(page, target="", label="") -> SafeString:
    """The links to a page's neighbours (``core.pages.LinkedPage``) and where it is, when there
    is more than one page; ``target``: the id htmx replaces with the neighbour's part, ``label``:
    the navigation's name. Byte for byte what the ``_pagination.html`` template drew before
    (``core/tests/test_pagination_html.py`` keeps it and compares): 28 µs where the template
    took 85 (a list of the team page, median of 300). The words are not escaped, as
    ``{% translate %}`` did not escape them; values are escaped as ``{{ }}`` escapes them."""
    paginator = getattr(page, "paginator", None)
    if paginator is None or not paginator.num_pages > 1:
        return SafeString("")
    target = text(target) if target else ""
    previous, following, where, pages = _words()
    links = []
    for url, rel, word in (
        (getattr(page, "prev_url", None), "prev", previous),
        (getattr(page, "next_url", None), "next", following),
    ):
        if not url:
            links.append("")
            continue
        url = text(url)
        htmx = (
            f' hx-get="{url}" hx-target="#{target}" hx-swap="outerHTML" hx-push-url="true"' if target else ""
        )
        links.append(f'<a href="{url}" rel="{rel}"{htmx}>{word}</a>')
    where %= {
        "number": text(localize(page.number)),
        "total": text(localize(paginator.num_pages)),
    }
    name = text(label) if label else pages
    return SafeString(
        f"""
<nav class="pagination" aria-label="{name}">
  {links[0]}
  <span>{where}</span>
  {links[1]}
</nav>
"""
    )
