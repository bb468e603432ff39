"""The usage page's charts section is drawn in Python (``metering_tags.usage_charts``): byte
for byte what the page's template drew, with and without measurements, never measured or not,
each range, hostile ranges, in English and Chinese. The template it replaced is kept here."""

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import now

from metering.selectors import RANGES, namespace_usage
from metering.templatetags.metering_tags import usage_figures

pytestmark = pytest.mark.django_db

# metering/templates/metering/namespace_usage.html's charts section before it was drawn in
# Python, its ``{{ usage|usage_figures }}`` given as ``figures`` (the figures' own test compares them).
OLD_SECTION = """{% load i18n static %}<section class="card" aria-labelledby="charts-h">
  <div class="card-head">
    <h2 id="charts-h">{% blocktranslate with range=usage.range_key %}Usage, last {{ range }}{% endblocktranslate %}</h2>
    <nav aria-label="{% translate 'Time range' %}" class="segmented">
      {% for key in ranges %}<a href="?range={{ key }}"{% if key == usage.range_key %} aria-current="page"{% endif %}>{{ key }}</a>{% endfor %}
    </nav>
  </div>
  {% if usage.has_data %}
  <div class="charts">
  {{ figures }}
  </div>
  {{ usage.chart_script }}
  <p class="muted"><small>{% translate "Gaps in a line are windows that could not be measured; they are not zero." %}</small></p>
  {% else %}
  <p class="chart-empty" id="usage-empty">{% if usage.never_measured %}{% translate "No data yet: the first samples arrive within a minute of the namespace being ready." %}{% else %}{% blocktranslate with range=usage.range_key %}Nothing was measured in the last {{ range }}.{% endblocktranslate %}{% endif %}</p>
  {% endif %}
</section>
{% if usage.has_data %}
<script src="{% static 'js/chart.umd.min.js' %}" defer></script>
<script src="{% static 'js/charts.js' %}" defer></script>
{% endif %}"""
NEW = "{% load metering_tags %}{% usage_charts usage ranges %}"
HOSTILE = "<b>24h</b> & 'co' \"%s\" %(range)s {{ x }}"


def _render(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_charts_section_is_the_html_the_template_drew(world, language):
    drawn = 0
    with translation.override(language):
        for range_key in (*RANGES, HOSTILE):
            for ranges in (list(RANGES), [*RANGES, HOSTILE]):
                for measured, never_measured in ((True, False), (False, False), (False, True)):
                    usage = namespace_usage(namespace=world.namespace, range_key="24h", now=now())
                    usage.range_key = range_key  # a range the page never gets, to see it escaped
                    usage.charts[1]["empty"] = not measured
                    usage.never_measured = never_measured
                    context = {"usage": usage, "ranges": ranges}
                    old = _render(OLD_SECTION, {**context, "figures": usage_figures(usage)})
                    assert _render(NEW, context) == old, (range_key, ranges, measured, never_measured)
                    assert ("<canvas" in old) is measured
                    drawn += 1
        assert "&lt;b&gt;24h&lt;/b&gt;" in old and "<b>" not in old
        if language == "zh-hans":
            assert (
                translation.gettext("Time range") != "Time range" and translation.gettext("Time range") in old
            )
    assert drawn == 24


def test_the_usage_page_draws_its_charts_section(client, world):
    client.force_login(world.owner)
    body = client.get(reverse("metering:namespace_usage", args=["acme-dev"]) + "?range=7d").content.decode()
    assert body.count('<section class="card" aria-labelledby="charts-h">') == 1
    assert '<a href="?range=7d" aria-current="page">7d</a>' in body
