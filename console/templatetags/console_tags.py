"""Template helpers that weave the apps' pages together (team and namespace headers)."""

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.html import text
from core.urls import urls
from tenants import permissions
from tenants.models import TeamRole

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
    slug, name, url_of = team.slug, text(team.name), urls()
    # The words are translated outside the f-strings, where makemessages finds them.
    if tabs["member"]:
        home_url, home_label, team_url = url_of("team_list"), _("Teams"), ("team_detail", slug)
    elif context.get("IS_STAFF"):
        home_url, home_label, team_url = url_of("staff_overview"), _("Admin overview"), ("staff_team", slug)
    else:
        home_url, home_label = url_of("billing:finance_index"), _("Finance")
        team_url = ("billing:finance_index",)
    home = f'<li><a href="{text(home_url)}">{home_label}</a></li>'
    if section:
        section = text(section)
        crumb = (
            f'<li><a href="{text(url_of(*team_url))}">{name}</a></li><li aria-current="page">{section}</li>'
        )
        heading = f'{name} <span class="muted">· {section}</span>'
    else:
        crumb = f'<li aria-current="page">{name}</li>'
        heading = name
    you = _("You are %(role)s") % {"role": text(tabs["role"])} + " · " if tabs["role"] else ""
    actions_html = f'<div class="actions">{text(actions)}</div>' if actions else ""
    nav = ""
    if tabs["member"]:
        items = "".join(
            "    "
            + (
                f'<li><a href="{text(url_of(view, slug))}"'
                f"{_CURRENT if active == tab else ''}>{_(label)}</a></li>"
                if shown is None or tabs[shown]
                else ""
            )
            + "\n"
            for tab, view, shown, label in _TEAM_TABS
        )
        team_label = _("Team")
        nav = f'\n<nav class="subnav" aria-label="{team_label}">\n  <ul>\n{items}  </ul>\n</nav>\n'
    breadcrumb = _("Breadcrumb")
    trust, billing = text(team.get_trust_level_display()), text(team.get_billing_mode_display())
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
