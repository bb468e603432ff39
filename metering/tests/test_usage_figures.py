"""The usage page's charts are drawn in Python (``metering_tags.usage_figures``): byte for
byte what the page's ``{% for %}`` loop drew, for charts with and without measurements, each
range, hostile titles, in English and Chinese. The loop it replaced is kept here."""

import pytest
from django.template import engines
from django.utils import translation

from metering.selectors import NamespaceUsage, namespace_usage
from metering.templatetags.metering_tags import usage_figures

pytestmark = pytest.mark.django_db

# metering/templates/metering/namespace_usage.html's loop before it was drawn in Python.
OLD_LOOP = """{% load i18n %}  {% for chart in usage.charts %}
    <figure class="chart">
      <figcaption>{{ chart.title }}</figcaption>
      {% if chart.empty %}
      <p class="chart-empty">{% translate "Not measured in this range." %}</p>
      {% else %}
      <canvas id="chart-{{ forloop.counter }}" data-chart="{{ forloop.counter0 }}" role="img" aria-label="{% blocktranslate with title=chart.title range=usage.range_key %}{{ title }} over the last {{ range }}{% endblocktranslate %}"></canvas>
      {% endif %}
    </figure>
  {% endfor %}
"""
HOSTILE = "<b>CPU</b> & 'co' \"%s\" %(title)s {{ x }}"


def _render(source: str, usage) -> str:
    return engines["django"].from_string(source).render({"usage": usage})


def _new(usage) -> str:
    """The figures where the loop stood, as the charts section (``usage_charts``) draws them."""
    return f"  {usage_figures(usage)}\n"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_figures_are_the_html_the_loop_drew(world, language):
    from django.utils.timezone import now

    with translation.override(language):
        for range_key in ("24h", "7d", "30d", "<b>"):
            usage = namespace_usage(namespace=world.namespace, range_key=range_key, now=now())
            usage.range_key = range_key  # a range the page never gets, to see it escaped
            usage.charts[1]["empty"] = False  # one chart drawn, the others not measured
            usage.charts[2].update(empty=False, title=HOSTILE)
            old = _render(OLD_LOOP, usage)
            assert _new(usage) == old
            assert old.count("<canvas") == 2 and old.count("chart-empty") == len(usage.charts) - 2
        assert "&lt;b&gt;CPU&lt;/b&gt;" in old and "<b>" not in old
    empty = NamespaceUsage(range_key="24h", start=now(), end=now(), bars=[])
    assert _new(empty) == _render(OLD_LOOP, empty)
