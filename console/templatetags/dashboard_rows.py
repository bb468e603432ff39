from django import template
from django.utils.safestring import SafeString, mark_safe

from console.dashboard import NamespaceRow
from core.html import text as e

register = template.Library()


@register.filter
def namespace_table_rows(rows: list[NamespaceRow]) -> SafeString:
    """The dashboard's namespace rows (``console/dashboard.html``, "My namespaces"), each its
    link, display name, team and status, as the template's loop drew them, byte for byte.

    Drawn here rather than by the template: a row's six lookups and its condition cost about
    20 µs in the template, a page of 25 rows half a millisecond. Every value is escaped as
    ``{{ }}`` escapes it."""

    return mark_safe(  # noqa: S308  # every value is escaped above
        "".join(
            f'\n    <tr>\n      <td><a href="{e(row.url)}">{e(row.name)}</a>'
            + (f'<div class="muted">{e(row.display_name)}</div>' if row.display_name else "")
            + f"</td>\n      <td>{e(row.team_name)}</td>\n"
            f'      <td><span class="badge badge-{e(row.status)}">{e(row.status_label)}</span></td>\n    </tr>\n    '
            for row in rows
        )
    )
