"""The quota page's request form is drawn from the form's declared fields
(``QuotaRequestForm.unbound_html``) instead of being built and drawn by Django: the HTML must be
byte for byte ``QuotaRequestForm(namespaces=...).as_div()``, with Django's own templates and
with the project's renderer, in both languages, with labels to escape; and the page must show
it with the namespaces of its page of allocations."""

import pytest
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils import translation

from core.formrender import FormRenderer
from metering.forms import AmountsForm, QuotaRequestForm, TeamQuotaForm
from metering.selectors import AllocationNamespace
from tests.factories import NamespaceFactory

ZH = "zh-hans"
HOSTILE = "<b>\"Tom\" & 'Jerry'</b>"

NAMESPACE_LISTS = [
    [AllocationNamespace("acme-dev", "")],
    [AllocationNamespace("acme-dev", HOSTILE), AllocationNamespace("a&b", ""), AllocationNamespace("x", "y")],
    [AllocationNamespace(f"acme-{n}", f"Acme {n}" if n % 2 else "") for n in range(25)],
]


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("renderer", [FormRenderer, DjangoTemplates])
@pytest.mark.parametrize("namespaces", range(len(NAMESPACE_LISTS)))
def test_the_drawn_request_form_is_the_html_django_draws(language, renderer, namespaces):
    offered = NAMESPACE_LISTS[namespaces]
    with translation.override(language):
        django = QuotaRequestForm(namespaces=offered, renderer=renderer()).as_div()
        drawn = QuotaRequestForm.unbound_html(iter(offered))
    assert drawn == str(django)
    assert drawn.count("<option ") == len(offered)
    if namespaces == 1:
        assert "&lt;b&gt;&quot;Tom&quot; &amp; &#x27;Jerry&#x27;&lt;/b&gt;" in drawn and "<b>" not in drawn
    if language == ZH:
        assert "最多" in drawn  # the help texts are translated when drawn, not when declared


def test_the_amounts_fields_are_the_resources_then_the_classes_each_form_its_own_copy():
    keys = ["cpu", "memory", "storage", "gpus", "pods", "pvcs", "load_balancers", "storage_classes"]
    assert list(AmountsForm().fields) == keys
    assert list(QuotaRequestForm().fields) == [*keys, "namespace", "reason"]
    assert list(TeamQuotaForm().fields) == [*keys, "max_namespaces"]
    staff = TeamQuotaForm()
    assert all(staff.fields[key].required for key in keys[:-1])
    assert not any(AmountsForm().fields[key].required for key in keys)  # a copy was made required
    assert not QuotaRequestForm.base_fields["cpu"].required


def test_a_form_that_draws_a_widget_not_drawn_here_is_refused():
    from metering.forms import _unbound_as_div

    with pytest.raises(TypeError, match="max_namespaces"):
        _unbound_as_div(TeamQuotaForm, {})


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", ZH])
def test_the_page_shows_the_form_of_its_namespaces(client, world, settings, language):
    settings.TENANTRY_PAGE_SIZE = 3
    for n in range(4):
        NamespaceFactory(team=world.team, name=f"acme-{n}", display_name=HOSTILE if n == 1 else "")
    client.force_login(world.owner)
    url = reverse("metering:team_quota", args=["acme"])
    for page in (1, 2):
        body = client.get(url, {"allocations": page}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        form = body.split('id="quota-request-form"')[1].split("</form>")[0]
        names = [part.split('"')[0] for part in body.split('<tr class="allocation" id="allocation-')[1:]]
        offered = [AllocationNamespace(name, HOSTILE if name == "acme-1" else "") for name in names]
        with translation.override(language):
            assert QuotaRequestForm(namespaces=offered).as_div() in form


@pytest.mark.parametrize("language", ["en", ZH])
@pytest.mark.parametrize("renderer", [FormRenderer, DjangoTemplates])
def test_the_drawn_runtime_policy_form_is_the_html_django_draws(language, renderer):
    from metering.forms import RuntimePolicyForm

    isolations = [value for value, _label in RuntimePolicyForm.base_fields["min_isolation"].choices]
    assert "" in isolations and len(isolations) >= 3
    with translation.override(language):
        for min_isolation in isolations:
            for needs_gpu in (False, True):
                initial = {"min_isolation": min_isolation, "needs_gpu": needs_gpu}
                django = RuntimePolicyForm(initial=initial, renderer=renderer()).as_div()
                drawn = RuntimePolicyForm.unbound_html(**initial)
                assert drawn == str(django), initial
                assert drawn.count(" selected>") == 1 and (" checked>" in drawn) == needs_gpu


def test_the_usage_page_shows_the_policy_form_with_the_namespaces_policy_to_its_admins(client, world):
    from metering.models import NamespaceRuntimePolicy

    NamespaceRuntimePolicy.objects.update_or_create(
        namespace=world.namespace, defaults={"min_isolation": "microvm", "needs_gpu": True}
    )
    url = reverse("metering:namespace_usage", args=["acme-dev"])
    client.force_login(world.ns_admin)
    body = client.get(url).content.decode()
    assert (
        '<option value="microvm" selected>' in body and 'name="needs_gpu" id="id_needs_gpu" checked>' in body
    )
    client.force_login(world.viewer)
    assert 'name="min_isolation"' not in client.get(url).content.decode()
