import pytest
from django.core.exceptions import ValidationError

from namespaces.services import namespace_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "Upper",
        "under_score",
        "-lead",
        "trail-",
        "dot.ted",
        "a" * 64,
        "kube-system",
        "default",
        "tenantry-x",
        "sp ace",
    ],
)
def test_invalid_namespace_names_are_refused_with_a_field_error(world, name):
    with pytest.raises(ValidationError) as excinfo:
        namespace_create(actor=world.owner, team=world.team, name=name.replace("Upper", "UPPER!"))
    assert "name" in excinfo.value.message_dict


@pytest.mark.parametrize("name", ["a", "web-1", "x" * 63, "0abc"])
def test_valid_dns1123_labels_are_accepted(world, name):
    assert namespace_create(actor=world.owner, team=world.team, name=name).name == name


def test_duplicate_namespace_name_is_refused(world):
    with pytest.raises(ValidationError, match="already exists"):
        namespace_create(actor=world.owner, team=world.team, name="globex-prod")
