"""Page links are drawn in Python (``{% pagination %}``, which ``_pagination.html`` calls): the
HTML must be byte for byte what the template drew before, on the first, a middle and the last
page, with and without an htmx target and a label (given, or left to the including page's own
variables, as an include leaves them), hostile query strings, targets and labels, numbers past a
thousand, in English and Chinese. The template it replaced is kept here and rendered beside."""

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from core.pages import paginate

ZH = "zh-hans"
HOSTILE = "<b>x</b>&\"'"

# templates/_pagination.html before it was drawn in Python.
OLD = """{% load i18n %}{% if page.paginator.num_pages > 1 %}
<nav class="pagination" aria-label="{{ label|default:_('Pages') }}">
  {% if page.prev_url %}<a href="{{ page.prev_url }}" rel="prev"{% if target %} hx-get="{{ page.prev_url }}" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% translate "← Previous" %}</a>{% endif %}
  <span>{% blocktranslate with number=page.number total=page.paginator.num_pages %}Page {{ number }} of {{ total }}{% endblocktranslate %}</span>
  {% if page.next_url %}<a href="{{ page.next_url }}" rel="next"{% if target %} hx-get="{{ page.next_url }}" hx-target="#{{ target }}" hx-swap="outerHTML" hx-push-url="true"{% endif %}>{% translate "Next →" %}</a>{% endif %}
</nav>
{% endif %}
"""

# How the pages include it: with a target and a label, a label alone, neither.
INCLUDES = (
    '{% load i18n %}{% include "_pagination.html" with page=page target="members" label=_("Member pages") %}',
    '{% load i18n %}{% include "_pagination.html" with page=page label=_("Team pages") %}',
    '{% include "_pagination.html" with page=page %}',
    '{% include "_pagination.html" with page=page target=target label=label %}',
)


def _render(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


def _old(include: str) -> str:
    """The old template as ``include`` included it: its ``with`` values set around it."""
    with_values = include.split("with ", 1)[1].rsplit(" %}", 1)[0]
    return include.split("{% include", 1)[0] + "{% with " + with_values + " %}" + OLD + "{% endwith %}"


def _pages(count: int, query: str):
    request = RequestFactory().get("/x/" + query)
    items = list(range(count))
    for number in ("1", "2", "-1", "999999"):
        get = request.GET.copy()
        get["p"] = number
        request.GET = get
        yield paginate(request, items, param="p")


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("count", [0, 1, 25, 26, 80, 30_000])
def test_pagination_is_the_html_the_template_drew(language, count):
    with translation.override(language):
        for query in ("", "?q=a%26b&z=<i>&n='\""):
            for page in _pages(count, query):
                for include in INCLUDES:
                    for context in (
                        {"page": page},
                        {"page": page, "target": HOSTILE, "label": HOSTILE},
                        {"page": page, "target": "rows", "label": ""},
                    ):
                        new = _render(include, context)
                        assert new == _render(_old(include), context), (include, context)
                        assert "<b>" not in new and "<i>" not in new
    if count == 30_000:  # localized as the template localized it (no thousands separator set)
        assert "1200" in _render(INCLUDES[2], {"page": next(_pages(count, ""))})


@pytest.mark.parametrize("language", ["en", ZH])
def test_pagination_of_no_page_or_a_plain_page_is_what_the_template_drew(language):
    """Neither a page past every list, nor Django's own page (no neighbours' URLs)."""
    plain = Paginator(list(range(80)), 25).page(2)
    with translation.override(language):
        for context in ({}, {"page": ""}, {"page": None}, {"page": plain}, {"page": plain, "target": "t"}):
            for include in INCLUDES:
                assert _render(include, context) == _render(_old(include), context), (include, context)
        assert "<nav" in _render(INCLUDES[2], {"page": plain})
        if language == ZH:
            assert translation.gettext("Next →") != "Next →"
