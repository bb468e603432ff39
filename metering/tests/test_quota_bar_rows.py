"""The quota bars table's rows, drawn by the ``quota_bar_rows`` filter."""

from django.template.loader import render_to_string
from django.utils import translation

from metering.quantities import BYTES, COUNT, CPU
from metering.selectors import QuotaBar


def _row(html: str, key: str) -> str:
    return html.split(f'data-resource="{key}">')[1].split("</tr>")[0]


def test_each_bar_shows_used_against_allocated_its_share_and_a_flag_at_or_near_the_limit():
    bars = [
        QuotaBar("cpu", "CPU", CPU, 900, 1000),
        QuotaBar("memory", "Memory", BYTES, 2 * 2**30, 2 * 2**30),
        QuotaBar("storage", "Storage", BYTES, None, 10 * 2**30),
        QuotaBar("pods", "Pods", COUNT, 3, 10),
    ]
    html = render_to_string("metering/_quota_bars.html", {"bars": bars})
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
        html = render_to_string("metering/_quota_bars.html", {"bars": bars})
    assert "CPU &lt;b&gt;" in html
    assert "no data" not in html and "at limit" not in html
