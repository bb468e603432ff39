"""The namespace header of every namespace page is drawn in Python
(``console_tags.namespace_header``): the HTML must be byte for byte what the template drew
before, each tab open, with and without a section (a translated literal, a hostile value), a
namespace with and without a display name, the namespace page's actions, hostile team and
display names, in English and Chinese. The template it replaced is kept here and rendered
beside the new one."""

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

ZH = "zh-hans"
HOSTILE = "<b>Acme</b> & 'co' \"%s\" %(role)s {{ x }}"

# templates/console/_namespace_header.html before it was drawn in Python.
OLD_HEADER = """{% load i18n %}{# Header and tabs of every namespace page: Overview · Workloads · Usage · Kubernetes objects · Access. #}
<div class="page-head">
  <div>
    <nav class="crumbs" aria-label="{% translate 'Breadcrumb' %}"><ol>
      <li><a href="{% url 'team_detail' namespace.team.slug %}">{{ namespace.team.name }}</a></li>
      {% if section %}<li><a href="{% url 'namespace_detail' namespace.name %}">{{ namespace.name }}</a></li><li aria-current="page">{{ section }}</li>{% else %}<li aria-current="page">{{ namespace.name }}</li>{% endif %}
    </ol></nav>
    <h1><code>{{ namespace.name }}</code>{% if namespace.display_name %} <span class="muted">{{ namespace.display_name }}</span>{% endif %}</h1>
  </div>
  {% if actions_template %}<div class="actions">{% include actions_template %}</div>{% endif %}
</div>
<nav class="subnav" aria-label="{% translate 'Namespace' %}">
  <ul>
    <li><a href="{% url 'namespace_detail' namespace.name %}"{% if active == 'overview' %} aria-current="page"{% endif %}>{% translate "Overview" %}</a></li>
    <li><a href="{% url 'namespace_workloads' namespace.name %}"{% if active == 'workloads' %} aria-current="page"{% endif %}>{% translate "Workloads" %}</a></li>
    <li><a href="{% url 'metering:namespace_usage' namespace.name %}"{% if active == 'usage' %} aria-current="page"{% endif %}>{% translate "Usage" %}</a></li>
    <li><a href="{% url 'namespace_objects' namespace.name %}"{% if active == 'objects' %} aria-current="page"{% endif %}>{% translate "Kubernetes objects" %}</a></li>
    <li><a href="{% url 'namespace_access' namespace.name %}"{% if active == 'access' %} aria-current="page"{% endif %}>{% translate "Access" %}</a></li>
  </ul>
</nav>
"""
ACTIONS = "tenants/_namespace_actions.html"


def _render(source: str, context: dict) -> str:
    request = RequestFactory().get("/")
    return engines["django"].from_string(source).render(context, request)


@pytest.mark.parametrize("language", ["en", ZH])
def test_namespace_header_is_the_html_the_template_drew(world, language):
    include = '{% include "console/_namespace_header.html" with active=active section=section actions_template=actions %}'
    namespace = world.namespace
    drawn = 0
    with translation.override(language):
        for team_name, display_name in (("Acme", ""), (HOSTILE, HOSTILE), (HOSTILE, "Dev")):
            world.team.name = team_name
            namespace.display_name = display_name
            for active in ("overview", "workloads", "usage", "objects", "access", ""):
                for section in ("", translation.gettext("Usage"), HOSTILE):
                    for actions, can_delete in ((None, False), (ACTIONS, False), (ACTIONS, True)):
                        context = {
                            "namespace": namespace, "active": active, "section": section,
                            "actions": actions, "can_delete": can_delete,
                        }  # fmt: skip
                        old = _render(OLD_HEADER.replace("actions_template", "actions"), context)
                        assert _render(include, context) == old, (active, section, actions)
                        drawn += 1
        assert "<b>" not in old and "&lt;b&gt;Acme&lt;/b&gt;" in old
        if language == ZH:
            assert translation.gettext("Workloads") != "Workloads"
        # A section given as a translated literal in the template is marked safe: not escaped again.
        for literal in ('_("Usage")', '_("Kubernetes objects")'):
            source = (
                '{% load i18n %}{% include "console/_namespace_header.html" with active="usage" section='
                + literal
                + " %}"
            )
            old_source = (
                OLD_HEADER.replace(
                    "{% load i18n %}", '{% load i18n %}{% with active="usage" section=' + literal + " %}", 1
                )
                + "{% endwith %}"
            )
            assert _render(source, {"namespace": namespace}) == _render(old_source, {"namespace": namespace})
    assert drawn == 162


def test_namespace_pages_answer_with_the_header(client, world):
    """Each page that includes the header answers with it: its tabs, and on the namespace page
    the delete button for who may delete."""
    client.force_login(world.owner)
    for view in ("namespace_detail", "metering:namespace_usage", "namespace_access"):
        body = client.get(reverse(view, args=["acme-dev"])).content.decode()
        assert body.count('<nav class="subnav" aria-label="Namespace">') == 1, view
        assert reverse("namespace_workloads", args=["acme-dev"]) in body
    body = client.get(reverse("namespace_detail", args=["acme-dev"])).content.decode()
    assert (
        '<div class="actions"><a class="btn btn-danger" href="'
        + reverse("namespace_delete", args=["acme-dev"])
        in body
    )
