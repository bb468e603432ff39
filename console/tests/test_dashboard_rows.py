"""The dashboard's team rows, namespace rows and rows of namespaces near their limits, drawn
by filters, are the HTML the template's loops drew."""

import pytest
from django.template import Context, Template
from django.utils import translation

from console.dashboard import NamespaceRow, TeamRow
from console.templatetags.dashboard_rows import (
    namespace_table_rows,
    near_limit_table_rows,
    team_list_rows,
)
from metering.quantities import BYTES, COUNT, CPU
from metering.selectors import NearLimit

LOOP = (
    "{% for namespace in namespace_rows %}\n"
    "    <tr>\n"
    '      <td><a href="{{ namespace.url }}">{{ namespace.name }}</a>{% if namespace.display_name %}'
    '<div class="muted">{{ namespace.display_name }}</div>{% endif %}</td>\n'
    "      <td>{{ namespace.team_name }}</td>\n"
    '      <td><span class="badge badge-{{ namespace.status }}">{{ namespace.status_label }}</span></td>\n'
    "    </tr>\n"
    "    {% endfor %}"
)


def test_namespace_rows_are_the_loops_html_byte_for_byte():
    rows = [
        NamespaceRow("acme-dev", "", "Acme", "ready", "Ready", "/namespaces/acme-dev/"),
        NamespaceRow("x-1", "<b>&\"'x</b>", "R&D <Lab>", "error", "Error «x»", "/namespaces/x-1/?a=1&b=2"),
        NamespaceRow("y", "Ünïcode", "T'eam", "pending", "Pending", "/namespaces/y/"),
    ]
    expected = Template(LOOP).render(Context({"namespace_rows": rows}))
    assert namespace_table_rows(rows) == expected
    assert "&lt;b&gt;&amp;&quot;&#x27;x&lt;/b&gt;" in expected
    assert namespace_table_rows([]) == ""


# templates/console/dashboard.html's loop over the namespaces near their limits, before a
# filter drew it.
NEAR_LIMITS_LOOP = (
    "{% load i18n metering_tags %}"
    '{% for warning in near_limits|slice:":10" %}\n'
    '    <tr class="bar-{{ warning.state }}">\n'
    "      <td><a href=\"{% url 'metering:namespace_usage' warning.namespace %}\">{{ warning.namespace }}</a></td>\n"
    "      <td>{{ warning.label }}</td>\n"
    "      <td>{{ warning.used|readable:warning.kind }} / {{ warning.allocated|readable:warning.kind }}"
    ' <strong class="bar-flag">{% if warning.state == "full" %}{% translate "at limit" %}'
    "{% else %}{{ warning.percent }}%{% endif %}</strong></td>\n"
    "    </tr>\n"
    "    {% endfor %}"
)


def _warnings() -> list[NearLimit]:
    return [
        NearLimit("acme-dev", "cpu", "CPU", 2000, 2000, CPU),  # at its limit
        NearLimit("acme-prod", "memory", "Memory", 7 * 2**30 + 12345, 8 * 2**30, BYTES),
        NearLimit("x-1", "pods", "Pods <&\"'>", 5, 0, COUNT),  # no allocation: full
        NearLimit("y", "cpu", "CPU", 1250, 1000, CPU),  # beyond it
        NearLimit("z", "storage", "Storage", 900, 1000, BYTES),
        NearLimit("big", "pods", "Pods", 123456789, 1000, COUNT),  # a percent in thousands
        NearLimit("half", "cpu", "CPU", 500, 600, CPU),
        *(NearLimit(f"ns-{n}", "pods", "Pods", 9, 10, COUNT) for n in range(6)),  # past ten
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_near_limit_rows_are_the_loops_html_byte_for_byte(language):
    for warnings in (_warnings(), _warnings()[:3], _warnings()[1:2], []):
        with translation.override(language):
            expected = Template(NEAR_LIMITS_LOOP).render(Context({"near_limits": warnings}))
            assert near_limit_table_rows(warnings) == expected
    with translation.override(language):
        drawn = near_limit_table_rows(_warnings())
    assert drawn.count("<tr ") == 10 and "ns-4" not in drawn
    assert "Pods &lt;&amp;&quot;&#x27;&gt;" in drawn
    assert ("at limit" in drawn) is (language == "en")
    assert near_limit_table_rows([]) == ""


# templates/console/dashboard.html's loop over the teams, before a filter drew it.
TEAMS_LOOP = (
    "{% load i18n %}{% for team in team_rows %}\n"
    '    <li class="list-row"><a href="{{ team.url }}">{{ team.name }}</a> <span class="muted">'
    "{% blocktranslate count counter=team.member_count %}{{ counter }} member{% plural %}"
    "{{ counter }} members{% endblocktranslate %}</span></li>\n"
    "    {% endfor %}"
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_team_rows_are_the_loops_html_byte_for_byte(language):
    rows = [
        TeamRow("Acme", 1, "/teams/acme/"),
        TeamRow("<b>R&D</b> 'x' \"y\" %(counter)s", 2, "/teams/r-d/?a=1&b=2"),
        TeamRow("Ünïcode", 0, "/teams/u/"),
        TeamRow("Big", 123456, "/teams/big/"),
    ]
    with translation.override(language):
        expected = Template(TEAMS_LOOP).render(Context({"team_rows": rows}))
        assert team_list_rows(rows) == expected
        assert team_list_rows(rows[:1]) == Template(TEAMS_LOOP).render(Context({"team_rows": rows[:1]}))
    assert "&lt;b&gt;R&amp;D&lt;/b&gt; &#x27;x&#x27; &quot;y&quot; %(counter)s" in expected
    assert ("1 member<" in expected) is (language == "en")
    assert team_list_rows([]) == ""
