"""Template helpers that weave the apps' pages together (team and namespace headers)."""

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.html import text
from core.translations import per_language
from core.urls import urls
from tenants import permissions
from tenants.models import BillingMode, TeamRole, TrustLevel

register = template.Library()


@register.filter
def team_tabs(team, user) -> dict:
    """Which team tabs ``user`` may open, asked of ``tenants.permissions`` (roles are cached)."""
    role = permissions.team_role(user, team)
    return {
        "role": TeamRole(role).label if role else "",
        "member": permissions.can_see_team(user, team),
        "billing": permissions.has_team_perm(user, permissions.VIEW_BILLING, team),
        "audit": permissions.has_team_perm(user, permissions.VIEW_AUDIT, team),
        "owner": role == TeamRole.OWNER,
    }


# The team pages' tabs: the page's ``active`` name, its view, which of ``team_tabs`` shows it
# (None: every member) and its label, translated when drawn.
_TEAM_TABS = (
    ("overview", "team_detail", None, gettext_noop("Overview")),
    ("quota", "metering:team_quota", None, gettext_noop("Quota")),
    ("domains", "domains:team_domains", None, gettext_noop("Domains")),
    ("billing", "billing:team", "billing", gettext_noop("Billing")),
    ("audit", "team_audit", "audit", gettext_noop("Audit log")),
    ("settings", "team_settings", "owner", gettext_noop("Settings")),
)
_CURRENT = ' aria-current="page"'


@per_language
def _header_words() -> dict:
    """The team header's words (16 lookups cost about 40 µs on every team page)."""
    return {
        "teams": _("Teams"),
        "admin": _("Admin overview"),
        "finance": _("Finance"),
        "breadcrumb": _("Breadcrumb"),
        "team": _("Team"),
        "you": _("You are %(role)s"),
        "tabs": {label: _(label) for *_ignored, label in _TEAM_TABS},
        "roles": {value: str(label) for value, label in TeamRole.choices},
        "trust": {value: str(label) for value, label in TrustLevel.choices},
        "billing": {value: str(label) for value, label in BillingMode.choices},
    }


@register.simple_tag(takes_context=True)
def team_header(context, *, active: str = "", section="", actions="") -> SafeString:
    """The head of every team page: breadcrumbs, the team's name, the viewer's role, the
    actions (``actions``: HTML) and, for the team's members, the team's tabs with ``active``
    marked. Drawn in Python (about a fifth of what the template cost: its ten ``{% url %}``
    and forty nodes on every team page), byte for byte the HTML ``console/_team_header.html``
    drew (``console/tests/test_team_header.py`` keeps it and compares). Words from the
    template's ``{% translate %}`` are not escaped, as the template did not escape them;
    values are escaped as ``{{ }}`` escapes them."""
    team, user = context["team"], context.get("user")
    tabs = team_tabs(team, user)
    words = _header_words()
    slug, name, url_of = team.slug, text(team.name), urls()
    # The words are translated outside the f-strings, where makemessages finds them.
    if tabs["member"]:
        home = f'<li><a href="{text(url_of("team_list"))}">{words["teams"]}</a></li>'
        team_url = url_of("team_detail", slug)
    elif context.get("IS_STAFF"):
        home = f'<li><a href="{text(url_of("staff_overview"))}">{words["admin"]}</a></li>'
        team_url = url_of("staff_team", slug)
    else:
        home = f'<li><a href="{text(url_of("billing:finance_index"))}">{words["finance"]}</a></li>'
        team_url = url_of("billing:finance_index")
    if section:
        section = text(section)
        crumb = f'<li><a href="{text(team_url)}">{name}</a></li><li aria-current="page">{section}</li>'
        heading = f'{name} <span class="muted">· {section}</span>'
    else:
        crumb = f'<li aria-current="page">{name}</li>'
        heading = name
    role = permissions.team_role(user, team)
    you = words["you"] % {"role": text(words["roles"][role])} + " · " if role else ""
    actions_html = f'<div class="actions">{text(actions)}</div>' if actions else ""
    nav = ""
    if tabs["member"]:
        items = "".join(
            "    "
            + (
                f'<li><a href="{text(url_of(view, slug))}"'
                f"{_CURRENT if active == tab else ''}>{words['tabs'][label]}</a></li>"
                if shown is None or tabs[shown]
                else ""
            )
            + "\n"
            for tab, view, shown, label in _TEAM_TABS
        )
        nav = f'\n<nav class="subnav" aria-label="{words["team"]}">\n  <ul>\n{items}  </ul>\n</nav>\n'
    breadcrumb = words["breadcrumb"]
    trust = text(words["trust"].get(team.trust_level, team.trust_level))
    billing = text(words["billing"].get(team.billing_mode, team.billing_mode))
    return SafeString(
        f"""
<div class="page-head">
  <div>
    <nav class="crumbs" aria-label="{breadcrumb}"><ol>
      {home}
      {crumb}
    </ol></nav>
    <h1>{heading}</h1>
    <p class="muted">{you}{trust} · {billing}</p>
  </div>
  {actions_html}
</div>
{nav}
"""
    )


# The namespace pages' tabs: the page's ``active`` name, its view and its label, translated
# when drawn.
_NAMESPACE_TABS = (
    ("overview", "namespace_detail", gettext_noop("Overview")),
    ("workloads", "namespace_workloads", gettext_noop("Workloads")),
    ("usage", "metering:namespace_usage", gettext_noop("Usage")),
    ("objects", "namespace_objects", gettext_noop("Kubernetes objects")),
    ("access", "namespace_access", gettext_noop("Access")),
)


@per_language
def _namespace_header_words() -> dict:
    """The namespace header's words."""
    return {
        "breadcrumb": _("Breadcrumb"),
        "namespace": _("Namespace"),
        "tabs": {label: _(label) for *_ignored, label in _NAMESPACE_TABS},
    }


@register.simple_tag(takes_context=True)
def namespace_header(context, *, active: str = "", section="", actions_template="") -> SafeString:
    """The head of every namespace page: breadcrumbs (the team, the namespace, ``section``),
    the namespace's name, the actions (``actions_template``, rendered with the page's context
    as ``{% include %}`` renders it) and the tabs with ``active`` marked. Drawn in Python,
    byte for byte the HTML ``console/_namespace_header.html`` drew
    (``console/tests/test_namespace_header.py`` keeps it and compares): its six ``{% url %}``
    and thirty nodes cost about 0.3 ms on every namespace page. Words from the template's
    ``{% translate %}`` are not escaped, as the template did not escape them; values are
    escaped as ``{{ }}`` escapes them."""
    namespace = context["namespace"]
    words = _namespace_header_words()
    url_of, name = urls(), text(namespace.name)
    team = f'<li><a href="{text(url_of("team_detail", namespace.team.slug))}">{text(namespace.team.name)}</a></li>'
    if section:
        detail = text(url_of("namespace_detail", namespace.name))
        crumb = f'<li><a href="{detail}">{name}</a></li><li aria-current="page">{text(section)}</li>'
    else:
        crumb = f'<li aria-current="page">{name}</li>'
    shown = f' <span class="muted">{text(namespace.display_name)}</span>' if namespace.display_name else ""
    actions = ""
    if actions_template:
        template = actions_template
        if isinstance(template, str):
            template = context.template.engine.get_template(template)
        template = getattr(template, "template", template)  # a backend's template: its own
        with context.push():
            actions = f'<div class="actions">{template.render(context)}</div>'
    tabs = "".join(
        f'    <li><a href="{text(url_of(view, namespace.name))}"'
        f"{_CURRENT if active == tab else ''}>{words['tabs'][label]}</a></li>\n"
        for tab, view, label in _NAMESPACE_TABS
    )
    return SafeString(
        f"""
<div class="page-head">
  <div>
    <nav class="crumbs" aria-label="{words["breadcrumb"]}"><ol>
      {team}
      {crumb}
    </ol></nav>
    <h1><code>{name}</code>{shown}</h1>
  </div>
  {actions}
</div>
<nav class="subnav" aria-label="{words["namespace"]}">
  <ul>
{tabs}  </ul>
</nav>"""  # the template's own line ends it
    )
