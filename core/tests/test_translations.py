"""``per_language``: words translated once per process and language."""

from django.utils import translation
from django.utils.translation import gettext

from core.translations import per_language


def test_words_are_translated_once_per_language_and_kept_for_each():
    calls = []

    @per_language
    def words() -> str:
        calls.append(translation.get_language())
        return gettext("Cancel")

    with translation.override("en"):
        assert words() == "Cancel"
        assert words() == "Cancel"
    with translation.override("zh-hans"):
        chinese = words()
        assert words() == chinese
    with translation.override("en"):
        assert words() == "Cancel"
    assert chinese != "Cancel"
    assert calls == ["en", "zh-hans"]
    assert words.__name__ == "words"
