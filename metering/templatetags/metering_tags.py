from django import template
from django.template.defaulttags import CsrfTokenNode
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.html import text as _escape
from core.translations import per_language
from core.urls import url_of
from metering import quantities
from metering.amounts import RESOURCES, Amounts
from metering.quantities import BYTES, CPU

register = template.Library()


@register.filter
def quantity(amount, kind):
    """Base units shown in Kubernetes notation (``500m``, ``2Gi``)."""
    return quantities.format_quantity(amount, kind)


@register.filter
def readable(amount, kind):
    """Base units with a unit people read (``8 cores``, ``4.04 GiB``)."""
    return quantities.readable(amount, kind)


def _count(value) -> str:
    """A whole number as ``{{ value }}`` shows it (no grouping: ``USE_THOUSAND_SEPARATOR`` is off)."""
    return str(int(value))


@register.filter
def amounts_text(amounts: Amounts) -> SafeString:
    """Amounts on one line: ``2 CPU · 4Gi memory · 10Gi storage (fast 5Gi) · 0 GPUs · …``.

    Drawn here rather than by an included template: the quota page shows one per allocation
    row, and an include with two ``blocktranslate`` tags cost about 100 µs a row."""
    return amounts_text_in(amounts, AmountsWords())


class AmountsWords:
    """The two sentences ``amounts_text`` fills, translated once for a table of amounts (the
    two ``gettext`` calls were half of a row's 11 µs)."""

    def __init__(self) -> None:
        self.sizes = gettext("%(cpu)s CPU · %(memory)s memory · %(storage)s storage")
        self.counts = gettext("%(gpus)s GPUs · %(pods)s pods · %(pvcs)s PVCs · %(lbs)s LBs")
        self._lines: dict[tuple, SafeString] = {}

    def line(self, amounts: Amounts) -> SafeString:
        """``amounts_text_in(amounts, self)``, each distinct allocation drawn once for the
        table that holds these words (most namespaces hold their plan's default: a line costs
        3.4 µs, looking it up 1)."""
        key = (*(amounts[key] for key in _KEYS), tuple(amounts["storage_classes"].items()))
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = amounts_text_in(amounts, self)
        return line


# The amounts a line shows, besides the storage classes.
_KEYS = tuple(resource.key for resource in RESOURCES)


def amounts_text_in(amounts: Amounts, words: AmountsWords) -> SafeString:
    """``amounts_text`` with its sentences translated already."""
    sizes = words.sizes % {
        "cpu": quantities.format_quantity(amounts["cpu"], CPU),
        "memory": quantities.format_quantity(amounts["memory"], BYTES),
        "storage": quantities.format_quantity(amounts["storage"], BYTES),
    }
    # A class name is a JSON object's key, a string: escaped as ``{{ }}`` escapes one (Django's
    # localize() leaves strings as they are); a quantity is digits and a unit suffix.
    classes = "".join(
        f" ({_escape(name)} {quantities.format_quantity(size, BYTES)})"
        for name, size in amounts["storage_classes"].items()
    )
    counts = words.counts % {
        "gpus": _count(amounts["gpus"]),
        "pods": _count(amounts["pods"]),
        "pvcs": _count(amounts["pvcs"]),
        "lbs": _count(amounts["load_balancers"]),
    }
    # Quantities and counts are digits and unit suffixes; the class names are escaped.
    return mark_safe(f"{sizes}{classes} · {counts}")  # noqa: S308


@per_language
def _quota_bars_head() -> str:
    """The quota bars table up to its rows, with its column heads."""
    heads = "".join(
        f'<th scope="col">{head}</th>'
        for head in (gettext("Resource"), gettext("Used / allocated"), gettext("Share"))
    )
    return f'\n<table class="quota-bars">\n  <thead><tr>{heads}</tr></thead>\n  <tbody>\n  '


@register.filter
def quota_bars(bars) -> SafeString:
    """The quota bars table of the namespace overview and its usage page: the column heads and
    ``quota_bar_rows``. Drawn here, byte for byte what the included ``metering/_quota_bars.html``
    drew (``metering/tests/test_quota_bar_rows.py`` keeps it and compares), its closing line end
    included: the include and its three ``{% translate %}`` cost about 0.1 ms a page. The heads
    are the translations as the template wrote them, as ``{% translate %}`` leaves a literal's."""
    # The rows are escaped or whole numbers; the heads, translations of the code's literals.
    return mark_safe(f"{_quota_bars_head()}{quota_bar_rows(bars)}\n  </tbody>\n</table>\n")  # noqa: S308


@per_language
def _quota_section_words() -> tuple[str, str]:
    """The usage page's quota section's heading and link."""
    return gettext("Quota used / allocated"), gettext("Team quota and requests")


@register.simple_tag
def usage_quota_section(bars, quota_url) -> SafeString:
    """The usage page's quota section: its heading, a link to the team's quota (``quota_url``)
    and the quota bars table (``quota_bars``). Drawn here, byte for byte what the template drew
    (``metering/tests/test_quota_bar_rows.py`` keeps it and compares): its two
    ``{% translate %}`` cost about 20 µs a page. The words are the translations as the template
    wrote them; the URL is escaped."""
    heading, link = _quota_section_words()
    # The table is drawn escaped; the words are the translations.
    return mark_safe(  # noqa: S308
        f'<section class="card" aria-labelledby="quota-h">\n  <div class="card-head">\n'
        f'    <h2 id="quota-h">{heading}</h2>\n    <a href="{_escape(quota_url)}">{link}</a>\n  </div>\n'
        f"  {quota_bars(bars)}\n</section>"
    )


def quota_bar_rows(bars) -> SafeString:
    """The rows of the quota bars table (``quota_bars``): resource, used against allocated, and
    a meter with its share and a flag near or at the limit.

    Drawn here rather than by the template: a row's dozen lookups, two filters and conditions
    cost about 50 µs in the template, on the namespace overview and its usage page alike; with
    f-strings and ``html.escape()`` (as ``{{ }}`` escapes) about 2 µs a row, the words translated
    once a table (``format_html`` per row cost 14 µs)."""
    # Translated outside the f-strings, where xgettext (makemessages) finds them.
    words = {
        "no data": gettext("no data"),
        "at limit": gettext("at limit"),
        "near limit": gettext("near limit"),
    }
    no_data = f'<span class="muted">{_escape(words["no data"])}</span>'
    flags = {
        "full": f' <strong class="bar-flag">{_escape(words["at limit"])}</strong>',
        "near": f' <strong class="bar-flag">{_escape(words["near limit"])}</strong>',
    }
    rows = []
    for bar in bars:
        percent, state = int(bar.percent), bar.state
        used = no_data if bar.used is None else _escape(quantities.readable(bar.used, bar.kind))
        allocated = _escape(quantities.readable(bar.allocated, bar.kind))
        rows.append(
            f'<tr class="bar-{_escape(state)}" data-resource="{_escape(bar.key)}">\n'
            f'  <th scope="row">{_escape(bar.label)}</th>\n  <td>{used} / {allocated}</td>\n'
            '  <td class="bar-cell"><meter min="0" max="100" low="80" high="99" optimum="0"'
            f' value="{percent}">{percent}%</meter>\n'
            f'    <span class="bar-figure">{percent}%</span>{flags.get(state, "")}</td>\n</tr>'
        )
    # Every value above is escaped or a whole number.
    return mark_safe("\n".join(rows))  # noqa: S308


@per_language
def _figure_words() -> tuple[str, str]:
    """The charts' words."""
    return gettext("Not measured in this range."), gettext("%(title)s over the last %(range)s")


def usage_figures(usage) -> SafeString:
    """The usage page's charts, a figure each: its title, and its canvas (labelled with the
    title and range) or, for a chart with no measurement, a sentence that says so. Drawn here,
    byte for byte what the page's ``{% for %}`` loop drew (``metering/tests/test_usage_figures.py``
    keeps it and compares): with a ``blocktranslate`` a chart it cost about 0.3 ms a page."""
    unmeasured, over = _figure_words()
    range_key = _escape(usage.range_key)
    figures = []
    for number, chart in enumerate(usage.charts, start=1):
        title = _escape(chart["title"])
        if chart["empty"]:
            drawn = f'<p class="chart-empty">{unmeasured}</p>'
        else:
            label = over % {"title": title, "range": range_key}
            drawn = f'<canvas id="chart-{number}" data-chart="{number - 1}" role="img" aria-label="{label}"></canvas>'
        figures.append(
            f'\n    <figure class="chart">\n      <figcaption>{title}</figcaption>\n      \n      {drawn}\n      \n    </figure>\n  '
        )
    # The titles and range are escaped; the words are the translations the template wrote as they are.
    return mark_safe("".join(figures))  # noqa: S308


@per_language
def _charts_words() -> dict[str, str]:
    """The charts section's sentences."""
    return {
        "heading": gettext("Usage, last %(range)s"),
        "ranges": gettext("Time range"),
        "gaps": gettext("Gaps in a line are windows that could not be measured; they are not zero."),
        "no data": gettext(
            "No data yet: the first samples arrive within a minute of the namespace being ready."
        ),
        "nothing": gettext("Nothing was measured in the last %(range)s."),
    }


@register.simple_tag
def usage_charts(usage, ranges) -> SafeString:
    """The usage page's charts section and its scripts: the heading, a link per range of
    ``ranges`` (the current one marked), the figures (``usage_figures``) and what the chart
    script reads, or why there is nothing to draw. Drawn here, byte for byte what the template
    drew (``metering/tests/test_usage_charts.py`` keeps it and compares): its translations,
    loop and ``{% static %}`` cost about 0.2 ms a page. The sentences are the translations as
    the template wrote them; every value is escaped."""
    words = _charts_words()
    range_key = _escape(usage.range_key)
    current = ' aria-current="page"'
    links = "".join(
        f'<a href="?range={_escape(key)}"{current if key == usage.range_key else ""}>{_escape(key)}</a>'
        for key in ranges
    )
    head = (
        '<section class="card" aria-labelledby="charts-h">\n  <div class="card-head">\n'
        f'    <h2 id="charts-h">{words["heading"] % {"range": range_key}}</h2>\n'
        f'    <nav aria-label="{words["ranges"]}" class="segmented">\n      {links}\n    </nav>\n  </div>\n  '
    )
    if not usage.has_data:
        said = words["no data"] if usage.never_measured else words["nothing"] % {"range": range_key}
        return mark_safe(f'{head}\n  <p class="chart-empty" id="usage-empty">{said}</p>\n  \n</section>\n')  # noqa: S308
    scripts = "".join(
        f'<script src="{_escape(static(path))}" defer></script>\n'
        for path in ("js/chart.umd.min.js", "js/charts.js")
    )
    # The figures and the chart script are drawn escaped (usage_figures, chart_script).
    return mark_safe(  # noqa: S308
        f'{head}\n  <div class="charts">\n  {usage_figures(usage)}\n  </div>\n  {usage.chart_script}\n'
        f'  <p class="muted"><small>{words["gaps"]}</small></p>\n  \n</section>\n\n{scripts}'
    )


@per_language
def _runtime_words() -> dict[str, str]:
    """The runtime section's sentences."""
    return {
        "runtime": gettext("Runtime"),
        "runs": gettext("New pods run with <strong>%(runtime)s</strong> (needs %(isolation)s isolation)"),
        "default": gettext(
            "It is the nodes' default handler, so pods leave <code>runtimeClassName</code> unset."
        ),
        "also": gettext("Also allowed: %(others)s."),
        "no gpus": gettext(
            "This namespace's quota holds no GPUs, so pods asking for one will be refused. "
            '<a href="%(quota_url)s">Ask for GPUs with a quota request.</a>'
        ),
        "why": gettext("Why not the others"),
        "save": gettext("Save runtime policy"),
    }


@register.simple_tag(takes_context=True)
def runtime_section(
    context, selection, namespace, *, lacks_gpu_quota: bool, may_edit: bool, policy_form="", policy_url=""
) -> SafeString:
    """The usage page's runtime section: its heading, the selection (``runtime_selection``) and,
    for who ``may_edit`` the policy, its form (``policy_form``: the fields, drawn) posting to
    ``policy_url`` with the page's CSRF token. Drawn here, byte for byte what the template drew
    around ``runtime_selection`` (``metering/tests/test_runtime_section.py`` keeps it and
    compares): its ``{% translate %}``, ``{% csrf_token %}`` and condition cost about 50 µs a
    page. The words are the translations as the template wrote them; the values are escaped."""
    words = _runtime_words()
    form = ""
    if may_edit:
        token = CsrfTokenNode().render(context)
        form = (
            f'\n  <form method="post" action="{_escape(policy_url)}">\n    {token}\n    {_escape(policy_form)}\n'
            f'    <button type="submit" class="btn btn-primary">{words["save"]}</button>\n  </form>\n  '
        )
    outcome = runtime_selection(selection, namespace, lacks_gpu_quota=lacks_gpu_quota)
    # The outcome and the token are drawn escaped; the words are the translations.
    return mark_safe(  # noqa: S308
        f'<section class="card" aria-labelledby="runtime-h" id="runtime">\n  <h2 id="runtime-h">{words["runtime"]}</h2>\n'
        f"  {outcome}\n  {form}\n</section>"
    )


def runtime_selection(selection, namespace, *, lacks_gpu_quota: bool) -> SafeString:
    """The usage page's runtime section up to its form (``runtime_section``): the runtime new pods get and why, or
    why none; the GPU quota warning; the runtimes left out and why. Drawn here, byte for byte
    what the template drew (``metering/tests/test_runtime_section.py`` keeps it and compares):
    its four ``blocktranslate`` cost about 0.2 ms a page. The sentences are the translations
    as the template wrote them; every value is escaped."""
    words = _runtime_words()
    if selection.ok:
        runs = words["runs"] % {
            "runtime": _escape(selection.chosen),
            "isolation": _escape(selection.required_isolation_label),
        }
        gpu = " · GPU" if selection.needs_gpu else ""
        default = words["default"] if selection.chosen_needs_no_runtime_class else ""
        also = ""
        if len(selection.allowed) > 1:
            also = words["also"] % {"others": ", ".join(_escape(name) for name in selection.allowed[1:])}
        warning = ""
        if lacks_gpu_quota:
            warning = (
                '<p class="msg msg-warning" role="status">'
                f"{words['no gpus'] % {'quota_url': _escape(url_of('metering:team_quota', namespace.team.slug))}}</p>"
            )
        outcome = f"    <p>{runs}{gpu}\n    {default}\n    {also}</p>\n    {warning}\n  "
    else:
        outcome = (
            f'    <p class="msg msg-error" role="alert">{_escape(selection.refusal)}'
            f" {_escape(selection.install_hint)}</p>\n  "
        )
    excluded = ""
    if selection.exclusions:
        items = "".join(f"<li>{_escape(exclusion)}</li>" for exclusion in selection.exclusions)
        excluded = f"\n  <details><summary>{words['why']}</summary>\n    <ul>{items}</ul>\n  </details>\n  "
    # Every value is escaped; the sentences are the translations, as the template wrote them.
    return mark_safe(f"\n{outcome}\n  {excluded}")  # noqa: S308
