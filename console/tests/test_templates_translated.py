"""No template shows English outside {% translate %} / {% blocktranslate %}.

The check reads every template of the project as text: after removing comments, scripts,
styles, translated blocks, variables and tags, no English word may be left in the page text or
in the attributes a person reads (aria-label, title, placeholder, alt); and no string literal
handed to a tag or filter (``with label="Teams"``, ``default:"someone"``) may be English unless
wrapped in ``_()``. Technical terms that stay in English in Chinese pages are allowed.
"""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]

# Words that stay as they are in every language: Kubernetes and API terms, units, names.
ALLOWED = {
    "ci",
    "pvc",
    "pvcs",
    "email",
    "iso",
    "context",
    "server",
    "handler",
    "swagger",
    "api",
    "cpu",
    "gpu",
    "gpus",
    "gib",
    "mib",
    "kib",
    "tib",
    "vcpu",
    "kubeconfig",
    "kubectl",
    "kubernetes",
    "uid",
    "id",
    "url",
    "json",
    "yaml",
    "http",
    "https",
    "totp",
    "oidc",
    "sso",
    "rest",
    "runc",
    "gvisor",
    "kata",
    "utc",
    "ok",
    "runtimeclass",
    "resourcequota",
    "limitrange",
    "networkpolicy",
    "storageclass",
    "serviceaccount",
    "rolebinding",
    "csv",
    "pdf",
    "ip",
    "bearer",
    "authorization",
    "django",
    "tenantry",
    "github",
    "microvm",
    "pod",
    "pods",
    "ingress",
    "gateway",
    "httproute",
    "grpcroute",
    "tlsroute",
}

COMMENT = re.compile(
    r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#[^\n]*?#}|{%\s*block \w*class\s*%}[\w -]*{%\s*endblock", re.S
)
CLASS = re.compile(r"""\bclass=(["']).*?\1""", re.S)
RAW = re.compile(r"<(script|style|pre|code)\b.*?</\1>", re.S | re.I)
BLOCKTRANS = re.compile(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S)
TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)
LITERAL = re.compile(r"""(?<![\w(])(["'])((?:(?!\1).)*)\1""")
DEFAULT = re.compile(r"""\|default:(["'])((?:(?!\1).)*)\1""")
READ_ATTRS = re.compile(r"""\b(aria-label|title|placeholder|alt)=(["'])(.*?)\2""", re.S)
HTML_TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&#?\w+;")
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]+")
# Literal arguments that are not prose: formats, URL names, template names, CSS, states.
NOT_PROSE = re.compile(r"^[a-z0-9_:.,\-/#*= ]*$|\.html|\.txt|^[YmdHisjnNfaAPDlFbMGgTUeOcrWwzLt :\-/.\\,]+$")


PATH = re.compile(r"\S*/\S*")


def _english(text: str) -> list[str]:
    return [
        w
        for w in WORD.findall(PATH.sub(" ", ENTITY.sub(" ", text)))
        if w.lower().strip("'\u2019-") not in ALLOWED
    ]


def problems_in(source: str) -> list[str]:
    found = []
    source = CLASS.sub(" ", COMMENT.sub(" ", source))
    for tag in TAG.findall(source):
        if re.match(r"{%\s*(translate|trans|blocktrans|blocktranslate|url|extends|load)\b", tag):
            continue
        for _quote, literal in LITERAL.findall(tag):
            if literal and not NOT_PROSE.search(literal) and _english(literal):
                found.append(f"literal {literal!r} in {tag.strip()}")
        for _quote, literal in DEFAULT.findall(tag):
            if _english(literal):
                found.append(f"default {literal!r} in {tag.strip()}")
    text = BLOCKTRANS.sub(" ", source)
    text = RAW.sub(" ", text)
    text = TAG.sub(" ", text)
    for _name, _quote, value in READ_ATTRS.findall(text):
        if _english(value):
            found.append(f"attribute {value.strip()!r}")
    for chunk in HTML_TAG.sub("\n", text).split("\n"):
        if _english(chunk):
            found.append(f"text {chunk.strip()!r}")
    return found


def all_problems() -> dict[str, list[str]]:
    result = {}
    for directory in TEMPLATE_DIRS:
        for path in sorted(directory.rglob("*")):
            if path.suffix in {".html", ".txt"} and path.is_file():
                problems = problems_in(path.read_text())
                if problems:
                    result[str(path.relative_to(ROOT))] = problems
    return result


def test_the_check_catches_english():
    assert problems_in("<p>Hello there</p>")
    assert problems_in('<a aria-label="Main menu"></a>')
    assert problems_in('{% include "x.html" with label="Team pages" %}')
    assert problems_in('{{ email|default:"someone" }}')
    assert not problems_in('{% load i18n %}<p>{% translate "Hello there" %}</p>')
    assert not problems_in('{% include "x.html" with label=_("Team pages") status="ready" %}')
    assert not problems_in('<td>{{ when|date:"Y-m-d H:i" }}</td><code>kubectl get pods</code>')
    assert not problems_in("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}")
    assert problems_in("{# a comment\nover two lines #}")  # Django renders it as text


def test_no_template_shows_untranslated_english():
    assert all_problems() == {}
