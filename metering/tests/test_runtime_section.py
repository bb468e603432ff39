"""The usage page's runtime section is drawn in Python (``metering_tags.runtime_section`` and
its ``runtime_selection``): byte for byte what the template drew, for a runtime chosen (with
GPUs, the nodes' default handler, others allowed, the GPU quota warning) and for none, with
runtimes left out, hostile names, with and without the policy form, in English and Chinese.
The template parts it replaced are kept here."""

from dataclasses import replace

import pytest
from django.template import engines
from django.utils import translation
from django.utils.safestring import mark_safe

from metering.runtime_selection import Exclusion, Selection
from metering.templatetags.metering_tags import runtime_selection

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
# The section around that part before it was drawn in Python (``runtime_section``), the part
# given as ``outcome``.
OLD_SECTION = """{% load i18n %}<section class="card" aria-labelledby="runtime-h" id="runtime">
  <h2 id="runtime-h">{% translate "Runtime" %}</h2>
  {{ outcome }}
  {% if may_edit_policy %}
  <form method="post" action="{{ policy_url }}">
    {% csrf_token %}
    {{ policy_form }}
    <button type="submit" class="btn btn-primary">{% translate "Save runtime policy" %}</button>
  </form>
  {% endif %}
</section>"""
NEW_SECTION = (
    "{% load metering_tags %}{% runtime_section selection namespace lacks_gpu_quota=lacks_gpu_quota"
    " may_edit=may_edit_policy policy_form=policy_form policy_url=policy_url %}"
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
                assert _new(context) == old, (selection, lacks_gpu_quota)
        assert "<b>kata</b>" not in old
        quota = _new({"selection": CHOSEN, "namespace": world.namespace, "lacks_gpu_quota": True})
        assert f'<a href="/teams/{world.team.slug}/quota/">' in quota


def _new(context: dict) -> str:
    """The part as ``runtime_section`` draws it, where the template's tag stood."""
    return f"  {runtime_selection(context['selection'], context['namespace'], lacks_gpu_quota=context['lacks_gpu_quota'])}\n"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_section_around_it_is_the_html_the_template_drew(world, language):
    drawn = 0
    with translation.override(language):
        for selection in SELECTIONS[:2]:
            for may_edit in (False, True):
                for form, url, token in (
                    (mark_safe('<div class="field">fields</div>'), "/namespaces/acme-dev/runtime/", "tok"),
                    (HOSTILE, HOSTILE, HOSTILE),
                    ("", "", ""),
                    ("", "", None),
                ):
                    context = {
                        "selection": selection, "namespace": world.namespace, "lacks_gpu_quota": True,
                        "may_edit_policy": may_edit, "policy_form": form, "policy_url": url,
                    }  # fmt: skip
                    if token is not None:
                        context["csrf_token"] = token
                    outcome = runtime_selection(selection, world.namespace, lacks_gpu_quota=True)
                    old = _render(OLD_SECTION, {**context, "outcome": outcome})
                    assert _render(NEW_SECTION, context) == old, (may_edit, form, token)
                    assert ("<form" in old) is may_edit
                    drawn += 1
        assert "csrfmiddlewaretoken" in _render(
            OLD_SECTION, {**context, "may_edit_policy": True, "csrf_token": "t"}
        )
        if language == "zh-hans":
            assert translation.gettext("Save runtime policy") != "Save runtime policy"
    assert drawn == 16
