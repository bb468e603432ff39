"""The quota bars table, drawn by the ``quota_bars`` filter (its rows by ``quota_bar_rows``),
and the usage page's quota section around it (``usage_quota_section``): byte for byte what
``metering/_quota_bars.html`` and the page's template drew, kept here and rendered beside them."""

from django.template import engines
from django.utils import translation
from django.utils.translation import gettext_lazy

from metering.quantities import BYTES, COUNT, CPU
from metering.selectors import QuotaBar
from metering.templatetags.metering_tags import quota_bar_rows, quota_bars

# metering/templates/metering/_quota_bars.html before the table was drawn in Python, its
# ``{{ bars|quota_bar_rows }}`` given as ``rows`` (the rows' own test compares them).
OLD_QUOTA_BARS = """{% load i18n %}
<table class="quota-bars">
  <thead><tr><th scope="col">{% translate "Resource" %}</th><th scope="col">{% translate "Used / allocated" %}</th><th scope="col">{% translate "Share" %}</th></tr></thead>
  <tbody>
  {{ rows }}
  </tbody>
</table>
"""
# The usage page's quota section before it was drawn in Python (``usage_quota_section``), its
# table given as ``table`` (compared above).
OLD_USAGE_SECTION = """{% load i18n %}<section class="card" aria-labelledby="quota-h">
  <div class="card-head">
    <h2 id="quota-h">{% translate "Quota used / allocated" %}</h2>
    <a href="{{ quota_url }}">{% translate "Team quota and requests" %}</a>
  </div>
  {{ table }}
</section>"""
HOSTILE = "<b>CPU</b> & 'co' \"%s\" %(role)s {{ x }}"


def _drawn(bars) -> str:
    """The quota bars table as the pages draw it."""
    return (
        engines["django"].from_string("{% load metering_tags %}{{ bars|quota_bars }}").render({"bars": bars})
    )


def test_the_table_is_byte_for_byte_what_the_template_drew():
    bars = [
        QuotaBar("cpu", HOSTILE, CPU, 900, 1000),
        QuotaBar("memory", gettext_lazy("Memory"), BYTES, 2 * 2**30, 2 * 2**30),
        QuotaBar("storage", "Storage", BYTES, None, 10 * 2**30),
        QuotaBar("gpus", "GPUs", COUNT, 0, 0),
        QuotaBar("pods", "Pods", COUNT, 3, 10),
        QuotaBar("load_balancers", "LBs", COUNT, 5, 0),
        QuotaBar(HOSTILE, "Odd", BYTES, 1536, 1024),
    ]
    template = engines["django"].from_string(OLD_QUOTA_BARS)

    def old(shown) -> str:
        return template.render({"rows": quota_bar_rows(shown)})

    for language in ("en", "zh-hans"):
        with translation.override(language):
            for shown in (bars, bars[:1], []):
                drawn = _drawn(shown)
                assert drawn == old(shown) == quota_bars(shown), (language, len(shown))
            if language == "zh-hans":
                assert translation.gettext("Share") != "Share" and translation.gettext("Share") in drawn
    assert "&lt;b&gt;CPU&lt;/b&gt; &amp; &#x27;co&#x27;" in old(bars)


def test_the_usage_pages_quota_section_is_byte_for_byte_what_the_template_drew():
    bars = [QuotaBar("cpu", HOSTILE, CPU, 900, 1000), QuotaBar("pods", "Pods", COUNT, None, 10)]
    new = engines["django"].from_string("{% load metering_tags %}{% usage_quota_section bars quota_url %}")
    old = engines["django"].from_string(OLD_USAGE_SECTION)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for shown in (bars, []):
                for quota_url in ("/teams/acme/quota/", HOSTILE):
                    context = {"bars": shown, "quota_url": quota_url}
                    drawn = new.render(context)
                    assert drawn == old.render({**context, "table": quota_bars(shown)}), (language, quota_url)
            if language == "zh-hans":
                assert translation.gettext("Team quota and requests") in drawn
    assert 'href="&lt;b&gt;CPU&lt;/b&gt; &amp;' in drawn


def _row(html: str, key: str) -> str:
    return html.split(f'data-resource="{key}">')[1].split("</tr>")[0]


def test_each_bar_shows_used_against_allocated_its_share_and_a_flag_at_or_near_the_limit():
    bars = [
        QuotaBar("cpu", "CPU", CPU, 900, 1000),
        QuotaBar("memory", "Memory", BYTES, 2 * 2**30, 2 * 2**30),
        QuotaBar("storage", "Storage", BYTES, None, 10 * 2**30),
        QuotaBar("pods", "Pods", COUNT, 3, 10),
    ]
    html = _drawn(bars)
    assert '<tr class="bar-near" data-resource="cpu">' in html
    assert "<td>0.9 cores / 1 core</td>" in _row(html, "cpu")
    assert 'value="90">90%</meter>' in _row(html, "cpu")
    assert '<strong class="bar-flag">near limit</strong>' in _row(html, "cpu")
    assert '<tr class="bar-full" data-resource="memory">' in html
    assert '<strong class="bar-flag">at limit</strong>' in _row(html, "memory")
    assert '<tr class="bar-unknown" data-resource="storage">' in html
    assert '<td><span class="muted">no data</span> / 10 GiB</td>' in _row(html, "storage")
    assert '<tr class="bar-ok" data-resource="pods">' in html
    assert "bar-flag" not in _row(html, "pods") + _row(html, "storage")


def test_labels_are_escaped_and_words_translated():
    bars = [QuotaBar("cpu", "CPU <b>", CPU, None, 1000), QuotaBar("pods", "Pods", COUNT, 10, 10)]
    with translation.override("zh-hans"):
        html = _drawn(bars)
    assert "CPU &lt;b&gt;" in html
    assert "no data" not in html and "at limit" not in html


def _rows_as_format_html_drew_them(bars) -> str:
    """The rows as the filter drew them with ``format_html`` (before f-strings), to compare."""
    from django.utils.html import conditional_escape, format_html, format_html_join
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext

    from metering import quantities

    def flag(state):
        if state == "full":
            return format_html(' <strong class="bar-flag">{}</strong>', gettext("at limit"))
        if state == "near":
            return format_html(' <strong class="bar-flag">{}</strong>', gettext("near limit"))
        return mark_safe("")

    rows = []
    for bar in bars:
        percent, state = bar.percent, bar.state
        used = (
            format_html('<span class="muted">{}</span>', gettext("no data"))
            if bar.used is None
            else conditional_escape(quantities.readable(bar.used, bar.kind))
        )
        allocated = quantities.readable(bar.allocated, bar.kind)
        rows.append((state, bar.key, bar.label, used, allocated, percent, percent, percent, flag(state)))
    return format_html_join(
        "\n",
        '<tr class="bar-{}" data-resource="{}">\n  <th scope="row">{}</th>\n  <td>{} / {}</td>\n'
        '  <td class="bar-cell"><meter min="0" max="100" low="80" high="99" optimum="0" value="{}">{}%</meter>\n'
        '    <span class="bar-figure">{}%</span>{}</td>\n</tr>',
        rows,
    )


def test_rows_are_byte_for_byte_what_format_html_drew():
    from django.utils.translation import gettext_lazy

    bars = [
        QuotaBar("cpu", "CPU <b>&\"'", CPU, 900, 1000),
        QuotaBar("memory", gettext_lazy("Memory"), BYTES, 2 * 2**30, 2 * 2**30),
        QuotaBar("storage", "Storage", BYTES, None, 10 * 2**30),
        QuotaBar("gpus", "GPUs", COUNT, 0, 0),
        QuotaBar("pods", "Pods", COUNT, 3, 10),
        QuotaBar("load_balancers", "LBs", COUNT, 5, 0),
        QuotaBar("x<y", "Odd", BYTES, 1536, 1024),
    ]
    for language in ("en", "zh-hans"):
        with translation.override(language):
            drawn = quota_bar_rows(bars)
            assert drawn == _rows_as_format_html_drew_them(bars)
    assert quota_bar_rows([]) == ""
