import pytest

from kubeemu import controls, validation
from kubeemu.merge import merge_patch
from kubeemu.registry import by_kind
from kubeemu.selectors import from_label_selector_object, parse_field_selector, parse_label_selector
from kubeemu.store import Store


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", {}, True),
        ("a=b", {"a": "b"}, True),
        ("a=b", {"a": "c"}, False),
        ("a!=b", {}, True),
        ("a in (b,c),d", {"a": "c", "d": ""}, True),
        ("a notin (b)", {}, True),
        ("!a", {"a": "x"}, False),
        ("app.kubernetes.io/name=web", {"app.kubernetes.io/name": "web"}, True),
    ],
)
def test_label_selectors(selector, labels, expected):
    assert parse_label_selector(selector)(labels) is expected


@pytest.mark.parametrize("selector", ["a in (b", "=b", "a=b=c"])
def test_malformed_label_selectors_raise(selector):
    with pytest.raises(ValueError):
        parse_label_selector(selector)


def test_field_selectors_walk_dotted_paths():
    pod = {"metadata": {"name": "web"}, "status": {"phase": "Running"}}
    assert parse_field_selector("metadata.name=web,status.phase!=Failed")(pod)
    assert not parse_field_selector("spec.nodeName=node-1")(pod)


def test_label_selector_objects():
    match = from_label_selector_object(
        {"matchLabels": {"a": "b"}, "matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}
    )
    assert match({"a": "b"})
    assert not match({"a": "b", "c": "d"})


def test_merge_patch_follows_rfc_7386():
    target = {"a": {"b": 1, "c": 2}, "list": [1, 2]}
    assert merge_patch(target, {"a": {"b": None, "d": 3}, "list": [3]}) == {
        "a": {"c": 2, "d": 3},
        "list": [3],
    }
    assert target == {"a": {"b": 1, "c": 2}, "list": [1, 2]}


def test_seeded_nodes_are_schema_valid():
    node = controls.add_node(Store(), "node-1", {"cpu": "4", "memory": "8Gi"})
    validation.validate(by_kind("v1", "Node"), node)
