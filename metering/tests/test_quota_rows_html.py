"""The quota page's allocation rows are drawn in Python (``_allocation_rows_html``) from
``values()`` rows: the HTML must be byte for byte what the template loop drew from the
namespaces and their allocations before, the row being edited and a team without namespaces
included, storage class names escaped, in both languages. The template it replaced is kept
here and rendered beside the page."""

import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from metering import selectors
from metering.amounts import parse_amounts
from metering.forms import AmountsForm
from metering.models import NamespaceQuota, TeamQuota
from metering.services.quotas import namespace_quota_set, team_quota_ensure
from metering.templatetags.metering_tags import amounts_text
from tenants.models import Team
from tests.factories import NamespaceFactory

pytestmark = pytest.mark.django_db

ZH = "zh-hans"
HOSTILE_CLASS = "<b>\"fast\"&'ssd'</b>"

# metering/templates/metering/team_quota.html before the rows were drawn in Python.
OLD_TBODY = """{% load i18n metering_tags %}<tbody>
  {% translate "Edit" as edit_label %}{% with page_number=allocations.number %}
  {% for row in rows %}
    {% if row == editing %}
    <tr class="allocation" id="allocation-{{ row.namespace.name }}"><td colspan="3">
      <form method="post" action="{% url 'metering:namespace_allocation' team.slug row.namespace.name %}">
        {% csrf_token %}
        <fieldset><legend><a href="{% url 'metering:namespace_usage' row.namespace.name %}">{{ row.namespace.name }}</a></legend>
          {{ allocation_form.as_div }}
          <button type="submit" class="btn btn-primary">{% blocktranslate with name=row.namespace.name %}Save {{ name }}{% endblocktranslate %}</button>
          <a href="?allocations={{ allocations.number }}#allocation-{{ row.namespace.name }}">{% translate "Cancel" %}</a>
        </fieldset>
      </form>
    </td></tr>
    {% else %}
    {% with name=row.namespace.name %}<tr class="allocation" id="allocation-{{ name }}"><th scope="row"><a href="{{ row.usage_url }}">{{ name }}</a></th><td>{{ row.amounts|amounts_text }}</td>{% if may_manage %}<td class="actions"><a href="?allocations={{ page_number }}&amp;edit={{ name }}#allocation-{{ name }}">{{ edit_label }}<span class="visually-hidden"> · {{ name }}</span></a></td>{% endif %}</tr>{% endwith %}
    {% endif %}
  {% empty %}
    <tr><td colspan="{% if may_manage %}3{% else %}2{% endif %}" class="empty">{% translate "No namespaces yet" %}</td></tr>
  {% endfor %}{% endwith %}
  </tbody>"""

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _tbody(body: str) -> str:
    part = body.split('<section class="card" aria-labelledby="alloc-h">', 1)[1]
    return "<tbody>" + part.split("<tbody>", 1)[1].split("</tbody>", 1)[0] + "</tbody>"


def _old(user, team: Team, *, page: int, edit: str | None, language: str) -> str:
    """The table body as the template drew it, from the namespaces as the page read them."""
    request = RequestFactory().get("/", {"allocations": page, **({"edit": edit} if edit else {})})
    request.user = user
    from core.pages import paginate
    from tenants import permissions

    with translation.override(language):
        overview = selectors.team_quota_overview(team=Team.objects.get(pk=team.pk), user=user)
        allocations = paginate(
            request, overview.namespaces, param="allocations", count=overview.visible_count
        )
        rows = selectors.allocation_rows(allocations.object_list)
        for row in rows:
            row.usage_url = reverse("metering:namespace_usage", args=[row.namespace.name])
        may_manage = permissions.has_team_perm(user, permissions.MANAGE_NAMESPACES, team)
        editing = next((row for row in rows if may_manage and row.namespace.name == edit), None)
        context = {
            "team": team,
            "rows": rows,
            "editing": editing,
            "may_manage": may_manage,
            "allocations": allocations,
            "allocation_form": AmountsForm(initial_amounts=editing.amounts, prefix=editing.namespace.name)
            if editing
            else None,
        }
        return engines["django"].from_string(OLD_TBODY).render(context, request)


@pytest.fixture
def allocations(world, settings):
    """Seven namespaces, three pages of three: allocations with storage classes (one with a name
    to escape, stored as it is), one without any allocation."""
    settings.TENANTRY_PAGE_SIZE = 3
    team_quota_ensure(team=world.team)
    TeamQuota.objects.filter(team=world.team).update(
        cpu_millicores=64000,
        storage_bytes=1024**4,
        storage_classes={"standard": 100 * 1024**3, "fast": 100 * 1024**3},
    )
    for n in range(6):
        namespace = NamespaceFactory(team=world.team, name=f"acme-{n}")
        if n != 3:
            namespace_quota_set(
                actor=world.owner,
                namespace=namespace,
                amounts=parse_amounts(
                    {
                        "cpu": f"{n + 1}",
                        "storage": "2Gi",
                        "storage_classes": {"standard": "1Gi", "fast": "1Gi"},
                    }
                ),
            )
    NamespaceQuota.objects.filter(namespace__name="acme-0").update(
        storage_classes={"standard": 1024**3, HOSTILE_CLASS: 1024**3}
    )


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("persona", ["owner", "developer"])
@pytest.mark.parametrize(("page", "edit"), [(1, None), (2, None), (3, None), (1, "acme-1"), (2, "acme-3")])
def test_allocation_rows_are_the_html_the_template_drew(
    client, world, allocations, language, persona, page, edit
):
    user = getattr(world, persona)
    client.force_login(user)
    query = {"allocations": page, **({"edit": edit} if edit else {})}
    response = client.get(reverse("metering:team_quota", args=["acme"]), query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    new = _tbody(response.content.decode())
    old = _old(user, world.team, page=page, edit=edit, language=language)
    assert CSRF.sub("CSRF", new) == CSRF.sub("CSRF", old)
    assert new.count('class="allocation"') >= 1
    if persona == "owner" and page == 1:
        assert "&lt;b&gt;&quot;fast&quot;&amp;&#x27;ssd&#x27;&lt;/b&gt;" in new and "<b>" not in new
    if edit and persona == "owner":
        assert 'name="csrfmiddlewaretoken"' in new  # the edited row's form


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("persona", ["owner", "member"])
def test_a_team_without_namespaces_says_so_as_the_template_did(client, world, language, persona):
    user = getattr(world, persona)
    world.namespace.status = "deleted"
    world.namespace.save()
    client.force_login(user)
    response = client.get(reverse("metering:team_quota", args=["acme"]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    new = _tbody(response.content.decode())
    assert new == _old(user, world.team, page=1, edit=None, language=language)
    assert 'class="empty"' in new


# metering/templates/metering/team_quota.html's facts before they were drawn in Python.
OLD_FACTS = """{% load i18n %}<dl class="facts">
  <dt>{% translate "Team quota" %}</dt><dd>{{ totals.limit }}</dd>
  <dt>{% translate "Allocated" %}</dt><dd>{{ totals.allocated }}</dd>
  <dt>{% translate "Remaining" %}</dt><dd id="remaining">{{ totals.remaining }}</dd>
  <dt>{% translate "Namespaces" %}</dt><dd>{% blocktranslate with count=overview.namespace_count max=overview.team_quota.max_namespaces %}{{ count }} of {{ max }}{% endblocktranslate %}</dd>
  <dt>{% translate "Bandwidth per pod" %}</dt><dd id="plan-bandwidth">{% blocktranslate with egress=network.egress ingress=network.ingress %}out {{ egress }}, in {{ ingress }}{% endblocktranslate %} <span class="muted">({% blocktranslate with plan=team.plan %}plan {{ plan }}; shaped where the cluster's network plugin honours it{% endblocktranslate %})</span></dd>
  <dt>{% translate "Gateways" %}</dt><dd>{% for gateway in network.gateways %}{{ gateway }}{% if not forloop.last %}, {% endif %}{% empty %}{% translate "none" %}{% endfor %}</dd>
</dl>"""


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("persona", ["owner", "developer", "admin"])
@pytest.mark.parametrize("gateways", [[], ["shared"], ["a<b>&'c'", "public", "x"]])
def test_quota_facts_are_the_html_the_template_drew(
    client, world, allocations, settings, language, persona, gateways
):
    plans = {name: dict(spec) for name, spec in settings.TENANTRY_PLANS.items()}
    plans["starter"]["gateways"] = gateways
    plans["starter"]["bandwidth"] = {"egress": "20M", "ingress": "<5G>"}
    settings.TENANTRY_PLANS = plans
    Team.objects.filter(pk=world.team.pk).update(plan="st<ar>ter & 'co'")  # unknown: starter's figures
    user = getattr(world, persona)
    client.force_login(user)
    response = client.get(reverse("metering:team_quota", args=["acme"]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    new = body[body.index('<dl class="facts">') : body.index("</dl>") + len("</dl>")]
    team = Team.objects.get(pk=world.team.pk)
    with translation.override(language):
        overview = selectors.team_quota_overview(team=team, user=user)
        context = {
            "team": team,
            "overview": overview,
            "network": selectors.plan_network_figures(team=team),
            "totals": {
                key: amounts_text(getattr(overview, key)) for key in ("limit", "allocated", "remaining")
            },
        }
        old = engines["django"].from_string(OLD_FACTS).render(context)
    assert new == old
    assert "st&lt;ar&gt;ter &amp; &#x27;co&#x27;" in new and ("a&lt;b&gt;&amp;" in new) == (
        len(gateways) == 3
    )


def test_a_tables_lines_are_drawn_once_for_each_distinct_allocation():
    from metering.templatetags.metering_tags import AmountsWords

    base = parse_amounts({"cpu": "1", "storage_classes": {"a": "1Gi", "b": "2Gi"}})
    variants = [
        base,
        {**base, "pods": 1},
        {**base, "storage_classes": {"b": 2 * 1024**3, "a": 1024**3}},  # another order, another line
        {**base, "storage_classes": {"a": 1024**3, "b": 1024**3}},
        {**base, "storage_classes": {}},
    ]
    for language in ("en", ZH):
        with translation.override(language):
            words = AmountsWords()
            lines = [words.line(amounts) for amounts in variants]
            assert lines == [amounts_text(amounts) for amounts in variants]
            assert len(set(lines)) == len(variants)
            assert words.line(dict(base)) is lines[0]
