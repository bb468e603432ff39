"""The dashboard's namespace rows drawn by a filter are the HTML the template's loop drew."""

from django.template import Context, Template

from console.dashboard import NamespaceRow
from console.templatetags.dashboard_rows import namespace_table_rows

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
