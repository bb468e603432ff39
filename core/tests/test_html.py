"""``core.html``: what it draws is what the template language draws for the same value."""

import json

from django.utils.html import json_script

from core.html import json_script_of_text


def test_json_written_elsewhere_is_embedded_as_json_script_embeds_it():
    value = {"label": "</script><b>&amp;", "points": {"0": 1.5, "7": None}, "中": ["x'y\"z"]}
    assert json_script_of_text(json.dumps(value), "usage-charts") == json_script(value, "usage-charts")
    assert "</script><b>" not in json_script_of_text(json.dumps(value), "usage-charts")[:-9]


def test_json_with_any_one_of_the_escaped_characters_or_none_is_embedded_alike():
    for text in ("<", ">", "&", "a</script>", "x & y", "plain", ""):
        value = {"label": text, "points": {"0": 1.5}}
        assert json_script_of_text(json.dumps(value), "usage-charts") == json_script(value, "usage-charts")
