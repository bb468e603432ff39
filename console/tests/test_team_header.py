"""The team header of every team page is drawn in Python (``console_tags.team_header``), and
the team page's actions too (``tenants.views.teams.team_actions_html``): the HTML must be byte
for byte what the templates drew before, for every persona that reaches a team page, with and
without a section, each tab open, a hostile team name and section, in English and Chinese. The
templates they replaced are kept here and rendered beside the new ones."""

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from tenants.models import TeamMembership
from tenants.views.teams import team_actions_html
from tests.factories import TeamMembershipFactory

pytestmark = pytest.mark.django_db

ZH = "zh-hans"
HOSTILE = "<b>Acme</b> & 'co' \"%s\" %(role)s {{ x }}"

# templates/console/_team_header.html before it was drawn in Python.
OLD_HEADER = """{% load i18n %}{% load console_tags %}{% with tabs=team|team_tabs:user %}
<div class="page-head">
  <div>
    <nav class="crumbs" aria-label="{% translate 'Breadcrumb' %}"><ol>
      {% if tabs.member %}<li><a href="{% url 'team_list' %}">{% translate "Teams" %}</a></li>{% elif IS_STAFF %}<li><a href="{% url 'staff_overview' %}">{% translate "Admin overview" %}</a></li>{% else %}<li><a href="{% url 'billing:finance_index' %}">{% translate "Finance" %}</a></li>{% endif %}
      {% if section %}<li><a href="{% if tabs.member %}{% url 'team_detail' team.slug %}{% elif IS_STAFF %}{% url 'staff_team' team.slug %}{% else %}{% url 'billing:finance_index' %}{% endif %}">{{ team.name }}</a></li><li aria-current="page">{{ section }}</li>{% else %}<li aria-current="page">{{ team.name }}</li>{% endif %}
    </ol></nav>
    <h1>{{ team.name }}{% if section %} <span class="muted">· {{ section }}</span>{% endif %}</h1>
    <p class="muted">{% if tabs.role %}{% blocktranslate with role=tabs.role %}You are {{ role }}{% endblocktranslate %} · {% endif %}{{ team.get_trust_level_display }} · {{ team.get_billing_mode_display }}</p>
  </div>
  {% if actions_template %}<div class="actions">{% include actions_template %}</div>{% endif %}
</div>
{% if tabs.member %}
<nav class="subnav" aria-label="{% translate 'Team' %}">
  <ul>
    <li><a href="{% url 'team_detail' team.slug %}"{% if active == 'overview' %} aria-current="page"{% endif %}>{% translate "Overview" %}</a></li>
    <li><a href="{% url 'metering:team_quota' team.slug %}"{% if active == 'quota' %} aria-current="page"{% endif %}>{% translate "Quota" %}</a></li>
    <li><a href="{% url 'domains:team_domains' team.slug %}"{% if active == 'domains' %} aria-current="page"{% endif %}>{% translate "Domains" %}</a></li>
    {% if tabs.billing %}<li><a href="{% url 'billing:team' team.slug %}"{% if active == 'billing' %} aria-current="page"{% endif %}>{% translate "Billing" %}</a></li>{% endif %}
    {% if tabs.audit %}<li><a href="{% url 'team_audit' team.slug %}"{% if active == 'audit' %} aria-current="page"{% endif %}>{% translate "Audit log" %}</a></li>{% endif %}
    {% if tabs.owner %}<li><a href="{% url 'team_settings' team.slug %}"{% if active == 'settings' %} aria-current="page"{% endif %}>{% translate "Settings" %}</a></li>{% endif %}
  </ul>
</nav>
{% endif %}
{% endwith %}
"""

# templates/tenants/_team_actions.html, the team page's actions, before they were drawn in Python.
OLD_ACTIONS = """{% load i18n %}{% if can_manage_owners %}<a class="btn" href="{% url 'team_transfer' team.slug %}">{% translate "Transfer ownership" %}</a>{% endif %}
<a class="btn" href="{% url 'team_leave' team.slug %}">{% translate "Leave team" %}</a>
{% if IS_STAFF %}<a class="btn" href="{% url 'team_placement' team.slug %}">{% translate "Cluster placement" %}</a>{% endif %}
"""

# Everyone who reaches some team page: its members in each team role, staff and finance.
PERSONAS = ("owner", "manager", "member", "billing", "viewer", "admin", "finance", "staff_member")


def _persona(world, name: str):
    if name == "staff_member":  # staff who are members too: the team page's placement button
        TeamMembershipFactory(team=world.team, user=world.admin, role="manager")
        return world.admin
    return getattr(world, name)


def _render(source: str, request, context: dict) -> str:
    return engines["django"].from_string(source).render(context, request)


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("persona", PERSONAS)
def test_team_header_is_the_html_the_template_drew(world, language, persona):
    user = _persona(world, persona)
    world.team.name = HOSTILE
    world.team.save()
    include = '{% include "console/_team_header.html" with active=active section=section %}'
    with translation.override(language):
        sections = ("", translation.gettext("Quota"), HOSTILE)
        for active in ("overview", "quota", "domains", "billing", "audit", "settings", ""):
            for section in sections:
                context = {"team": world.team, "active": active, "section": section}
                old = _render(OLD_HEADER, _request(user), context)
                new = _render(include, _request(user), context)
                assert new == old, (active, section)
        assert "<b>" not in old and "&lt;b&gt;Acme&lt;/b&gt;" in old
        if language == ZH and persona != "finance":
            assert translation.gettext("Overview") != "Overview"
    # A section given as a translated literal in the template is marked safe: not escaped again.
    with translation.override(language):
        literal = (
            '{% load i18n %}{% include "console/_team_header.html" with active="quota" section=_("Quota") %}'
        )
        old_literal = OLD_HEADER.replace("{% with tabs", '{% with section=_("Quota") active="quota" tabs', 1)
        assert _render(literal, _request(user), {"team": world.team}) == _render(
            old_literal, _request(user), {"team": world.team}
        )


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("persona", ["owner", "manager", "member", "billing", "viewer", "staff_member"])
def test_team_page_head_is_the_html_the_templates_drew(client, world, language, persona):
    """The whole head of the team page, its actions included, as the page answers it."""
    user = _persona(world, persona)
    world.team.name = HOSTILE
    world.team.save()
    client.force_login(user)
    response = client.get(reverse("team_detail", args=["acme"]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    can_manage_owners = TeamMembership.objects.get(team=world.team, user=user).role == "owner"
    with translation.override(language):
        actions = engines["django"].from_string(OLD_ACTIONS)
        old = _render(
            OLD_HEADER,
            _request(user),
            {
                "team": world.team,
                "active": "overview",
                "actions_template": actions,
                "can_manage_owners": can_manage_owners,
            },
        )
        old_actions = _render(
            OLD_ACTIONS, _request(user), {"team": world.team, "can_manage_owners": can_manage_owners}
        )
        new_actions = team_actions_html(user, world.team, can_manage_owners=can_manage_owners)
    assert new_actions == old_actions
    assert old in body
    assert body.split('<div class="page-head">', 1)[1].startswith(old.split('<div class="page-head">', 1)[1])
    assert ("/placement/" in old) == (persona == "staff_member")
    assert ("/transfer/" in old) == (persona == "owner")
