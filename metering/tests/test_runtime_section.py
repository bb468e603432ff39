"""The usage page's runtime section is drawn in Python (``metering_tags.runtime_selection``):
byte for byte what the template drew, for a runtime chosen (with GPUs, the nodes' default
handler, others allowed, the GPU quota warning) and for none, with runtimes left out, hostile
names, in English and Chinese. The template part it replaced is kept here."""

from dataclasses import replace

import pytest
from django.template import engines
from django.utils import translation

from metering.runtime_selection import Exclusion, Selection

pytestmark = pytest.mark.django_db

# metering/templates/metering/namespace_usage.html's runtime part before it was drawn in Python.
OLD = """{% load i18n %}  {% if selection.ok %}
    <p>{% blocktranslate with runtime=selection.chosen isolation=selection.required_isolation_label %}New pods run with <strong>{{ runtime }}</strong> (needs {{ isolation }} isolation){% endblocktranslate %}{% if selection.needs_gpu %} · GPU{% endif %}
    {% if selection.chosen_needs_no_runtime_class %}{% blocktranslate %}It is the nodes' default handler, so pods leave <code>runtimeClassName</code> unset.{% endblocktranslate %}{% endif %}
    {% if selection.allowed|length > 1 %}{% blocktranslate with others=selection.allowed|slice:"1:"|join:", " %}Also allowed: {{ others }}.{% endblocktranslate %}{% endif %}</p>
    {% if lacks_gpu_quota %}<p class="msg msg-warning" role="status">{% url 'metering:team_quota' namespace.team.slug as quota_url %}{% blocktranslate %}This namespace's quota holds no GPUs, so pods asking for one will be refused. <a href="{{ quota_url }}">Ask for GPUs with a quota request.</a>{% endblocktranslate %}</p>{% endif %}
  {% else %}
    <p class="msg msg-error" role="alert">{{ selection.refusal }} {{ selection.install_hint }}</p>
  {% endif %}
  {% if selection.exclusions %}
  <details><summary>{% translate "Why not the others" %}</summary>
    <ul>{% for exclusion in selection.exclusions %}<li>{{ exclusion }}</li>{% endfor %}</ul>
  </details>
  {% endif %}
"""
NEW = (
    "{% load metering_tags %}  {% runtime_selection selection namespace lacks_gpu_quota=lacks_gpu_quota %}\n"
)
HOSTILE = "<b>kata</b> & 'co' \"%s\" %(runtime)s {{ x }}"

CHOSEN = Selection(
    required_isolation="microvm", needs_gpu=False, cluster_name="default", chosen="gvisor",
    allowed=("gvisor",), exclusions=(),
)  # fmt: skip
SELECTIONS = [
    CHOSEN,
    replace(CHOSEN, needs_gpu=True, allowed=("gvisor", "kata", HOSTILE)),
    replace(CHOSEN, required_isolation="container", chosen="runc", allowed=("runc",), node_default=("runc",)),
    replace(
        CHOSEN,
        chosen=HOSTILE,
        allowed=(HOSTILE, "x"),
        exclusions=(Exclusion("runc", "too weak"), Exclusion(HOSTILE, HOSTILE)),
    ),
    replace(CHOSEN, chosen=None, allowed=(), refusal=HOSTILE, install_hint="Install <kata>."),
    replace(
        CHOSEN, chosen=None, allowed=(), refusal="None fits.", exclusions=(Exclusion("runc", "too weak"),)
    ),
]


def _render(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_runtime_section_is_the_html_the_template_drew(world, language):
    with translation.override(language):
        for selection in SELECTIONS:
            for lacks_gpu_quota in (False, True):
                context = {
                    "selection": selection,
                    "namespace": world.namespace,
                    "lacks_gpu_quota": lacks_gpu_quota,
                }
                old = _render(OLD, context)
                assert _render(NEW, context) == old, (selection, lacks_gpu_quota)
        assert "<b>kata</b>" not in old
        quota = _render(NEW, {"selection": CHOSEN, "namespace": world.namespace, "lacks_gpu_quota": True})
        assert f'<a href="/teams/{world.team.slug}/quota/">' in quota
