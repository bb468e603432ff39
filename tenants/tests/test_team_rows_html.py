"""The team page's member and namespace rows are drawn in Python (``member_row_html``,
``namespace_rows_html``): the HTML must be byte for byte what the template loops drew before,
hostile names escaped the same way, in both languages. The templates they replaced are kept
here and rendered beside the page."""

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from clusters.models import Cluster
from tenants import selectors
from tenants.models import TeamMembership
from tenants.views.members import member_labels, member_row_html, member_rows
from tenants.views.teams import NAMESPACE_ROW_FIELDS, namespace_rows
from tests.factories import NamespaceFactory, TeamMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ZH = "zh-hans"
HOSTILE = "<script>alert('x')</script>&\"amp;\""

# templates/tenants/team_detail.html before the rows were drawn in Python.
OLD_MEMBER_ROW = """{% load i18n %}
    <tr id="member-row-{{ row.pk }}">
      <td>{{ row.email }}{% if row.is_me %} <span class="muted">{% translate "(you)" %}</span>{% endif %}</td>
      <td>
        {% if row.may_manage %}
        <form method="get" action="{{ row.role_url }}" class="inline"
              hx-post="{{ row.role_url }}" hx-trigger="change" hx-target="#member-row-{{ row.pk }}" hx-swap="outerHTML">
          <label class="visually-hidden" for="role-{{ row.pk }}">{{ row.role_field_label }}</label>
          <select id="role-{{ row.pk }}" name="role">
            {{ row.role_options }}
          </select>
          <noscript><button type="submit" class="btn btn-small">{{ member_labels.change }}</button></noscript>
        </form>
        {% else %}{{ row.role_label }}{% endif %}
        {% if row_status %}<span class="row-status" role="status">{{ row_status }}</span>{% endif %}
        {% if row_errors %}<span class="row-error" role="alert">{% for error in row_errors %}{{ error }} {% endfor %}</span>{% endif %}
      </td>
      <td>{{ row.joined }}</td>
      {% if can_manage %}
      <td class="actions">
        {% if row.may_manage %}<a href="{{ row.remove_url }}">{{ member_labels.remove }}</a>{% endif %}
      </td>
      {% endif %}
    </tr>
    """

OLD_MEMBER_TBODY = (
    """{% load i18n partials %}<tbody>
    {% for row in member_rows %}
    {% partialdef member-row inline %}"""
    + OLD_MEMBER_ROW.removeprefix("{% load i18n %}")
    + """{% endpartialdef %}
    {% endfor %}
    </tbody>"""
)

OLD_NAMESPACE_TBODY = """{% load i18n %}<tbody>
    {% translate "Usage" as usage_label %}{% for row in namespace_rows %}
    <tr>
      <td><a href="{{ row.detail_url }}"><code>{{ row.name }}</code></a></td>
      <td>{{ row.display_name }}</td>
      <td><span class="badge badge-{{ row.status }}">{{ row.status_label }}</span>{% if row.cluster_unreachable %} <span class="badge badge-error">{% blocktranslate with cluster=row.cluster_name %}{{ cluster }} unreachable{% endblocktranslate %}</span>{% endif %}</td>
      <td>{{ row.created }}</td>
      <td class="actions"><a href="{{ row.usage_url }}">{{ usage_label }}<span class="visually-hidden"> · {{ row.name }}</span></a></td>
    </tr>
    {% endfor %}
    </tbody>"""


def _render(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


def _tbody(body: str, section: str) -> str:
    """The ``<tbody>`` of the page's section with that id."""
    part = body.split(f'<section id="{section}"', 1)[1]
    return "<tbody>" + part.split("<tbody>", 1)[1].split("</tbody>", 1)[0] + "</tbody>"


@pytest.fixture
def hostile(world):
    """A member and a namespace with names to escape, on an unreachable cluster with one."""
    user = UserFactory(username="hostile", email=f"{HOSTILE}@example.com")
    TeamMembershipFactory(team=world.team, user=user, role="billing")
    NamespaceFactory(team=world.team, name="acme-hostile", display_name=HOSTILE)
    Cluster.objects.filter(pk=world.namespace.cluster_id).update(name=HOSTILE, reachable=False)
    return user


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("persona", ["owner", "manager", "viewer"])
def test_team_page_rows_are_the_html_the_templates_drew(client, world, hostile, language, persona):
    user = getattr(world, persona)
    client.force_login(user)
    response = client.get(reverse("team_detail", args=["acme"]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    body = response.content.decode()
    with translation.override(language):
        # As the page read them before: memberships with their users, and namespace values.
        memberships = selectors.team_members(team=world.team)
        old_members = _render(
            OLD_MEMBER_TBODY,
            {
                "member_rows": member_rows(user, world.team, memberships),
                "member_labels": member_labels(),
                "can_manage": persona in ("owner", "manager"),
                "row_status": "",
                "row_errors": (),
            },
        )
        visible = selectors.team_namespaces_for_user(user=user, team=world.team)
        old_namespaces = _render(
            OLD_NAMESPACE_TBODY, {"namespace_rows": namespace_rows(visible.values(*NAMESPACE_ROW_FIELDS))}
        )
        words = (translation.gettext("Usage"), translation.gettext("Remove"))
    assert _tbody(body, "members") == old_members
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;amp;&quot;" in old_members
    assert "<script>" not in old_members
    assert _tbody(body, "namespaces") == old_namespaces
    assert old_namespaces.count("<tr>") == visible.count() >= 1
    if persona != "viewer":  # a viewer sees only the namespace they are in, not the hostile one
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in old_namespaces
    assert 'class="badge badge-error"' in old_namespaces  # acme-dev's cluster is unreachable
    assert words[0] in old_namespaces
    if language == ZH:
        assert words != ("Usage", "Remove")


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("is_me", [False, True])
@pytest.mark.parametrize("may_manage", [False, True])
@pytest.mark.parametrize("can_manage", [False, True])
def test_member_row_is_the_partial_the_template_drew(world, hostile, language, is_me, may_manage, can_manage):
    membership = TeamMembership.objects.select_related("user").get(user=hostile)
    with translation.override(language):
        row = member_rows(world.owner, world.team, [membership])[0]
        row = type(row)(**{**vars(row), "is_me": is_me, "may_manage": may_manage})
        for status, errors in (("", ()), (HOSTILE, [HOSTILE, "Second <error>"])):
            old = _render(
                OLD_MEMBER_ROW,
                {
                    "row": row,
                    "member_labels": member_labels(),
                    "can_manage": can_manage,
                    "row_status": status,
                    "row_errors": errors,
                },
            )
            new = member_row_html(row, member_labels(), can_manage=can_manage, status=status, errors=errors)
            assert new == old
            assert "<script>" not in new and "<error>" not in new


@pytest.mark.parametrize("language", ["en", ZH])
def test_role_change_with_htmx_answers_the_row_the_partial_drew(client, world, hostile, language):
    membership = TeamMembership.objects.get(user=hostile)
    client.force_login(world.owner)
    response = client.post(
        reverse("member_role", args=["acme", membership.pk]),
        {"role": "manager"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"member-row-{membership.pk}",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    membership = TeamMembership.objects.select_related("user").get(pk=membership.pk)
    assert membership.role == "manager"
    with translation.override(language):
        old = _render(
            OLD_MEMBER_ROW,
            {
                "row": member_rows(world.owner, world.team, [membership])[0],
                "member_labels": member_labels(),
                "can_manage": True,
                "row_status": translation.gettext("Role changed to %(role)s.")
                % {"role": membership.get_role_display()},
                "row_errors": [],
            },
        )
    assert response.content.decode() == old


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("viewer", ["owner", "manager"])
def test_role_options_are_the_ones_format_html_join_drew(world, hostile, language, viewer):
    """Each row's ``<option>``s, drawn with f-strings, as ``format_html_join`` drew them before."""
    from django.utils.html import format_html_join
    from django.utils.safestring import mark_safe

    from tenants.forms import team_role_choices

    user = getattr(world, viewer)
    with translation.override(language):
        choices = team_role_choices(user, world.team)
        rows = member_rows(user, world.team, selectors.team_members(team=world.team))
        for row, membership in zip(rows, selectors.team_members(team=world.team), strict=True):
            old = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((v, mark_safe(" selected") if v == membership.role else "", label) for v, label in choices),
            )
            assert row.role_options == (old if membership.role in dict(choices) else "")
