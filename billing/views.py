"""Billing pages: team billing, statements, finance drill-down, staff price books and runs."""

import csv
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import selectors
from billing.forms import RUNTIME_PREFIX, STORAGE_PREFIX, FinanceFilterForm, LedgerEntryForm, PriceBookForm
from billing.models import PriceBook, Statement
from billing.money import format_amount
from billing.periods import local_date
from billing.services.accounts import ledger_record
from billing.services.pricebooks import EARLIEST_ZONE, pricebook_create, pricebook_is_locked, pricebook_update
from billing.services.statements import statement_mark_paid
from core.errors import add_service_errors, message_service_errors
from core.http import redirect_back
from core.pages import paginate
from core.urls import row_urls
from tenants import permissions
from tenants.models import BillingMode, Team

CSV_HEADER = [
    "key", "kind", "adjusts", "day", "namespace", "metric", "storage_class", "runtime_class", "quantity",
    "unit", "multiplier", "billable_quantity", "unit_price", "amount", "currency", "price_version",
    "window_start", "window_end", "coverage", "provisional",
]  # fmt: skip


def _with_links(statements: list[Statement], team: Team) -> list[tuple[Statement, str, str]]:
    """Each statement with its printable and CSV links, from one reverse() each."""
    if not statements:
        return []
    printable, csv_of = row_urls("billing:statement", team.slug), row_urls("billing:statement_csv", team.slug)
    return [(s, printable(s.pk), csv_of(s.pk)) for s in statements]


@login_required
def team_billing(request: HttpRequest, slug: str) -> HttpResponse:
    team, account = selectors.billing_team_and_account_for_user(user=request.user, slug=slug)
    now = timezone.now()
    # The statements and the sum of the recent days the forecast averages, in one query.
    first, last = selectors.recent_full_days(team=team, now=now, account=account)
    statements, recent_total = selectors.statements_and_recent_usage(team=team, first=first, last=last)
    statement = selectors.current_of(statements, team=team, now=now)
    daily = selectors.daily_totals(statement=statement) if statement else []
    prepaid = team.billing_mode == BillingMode.PREPAID
    context = {
        "team": team,
        "statement": statement,
        # A row per namespace and metric (1,200 for 200 namespaces): a page at a time, with
        # its total from the same query.
        "costs": paginate(
            request,
            selectors.cost_by_namespace_metric(statement=statement),
            param="costs_page",
            one_query=True,
        )
        if statement
        else [],
        "daily": daily,
        "chart": {
            "labels": [d["day"].isoformat() for d in daily],
            "amounts": [str(d["amount"]) for d in daily],
        },
        "forecast": selectors.month_forecast(
            team=team, now=now, account=account, current=statement, recent_total=recent_total
        ),
        "statements": _with_links(statements, team),
        "prepaid": prepaid,
        "account": account,
        "ledger": selectors.page_ledger(team=team) if prepaid else [],  # shown to prepaid teams
        "notices": selectors.page_notices(team=team),
    }
    return render(request, "billing/team_billing.html", context)


@login_required
def statement_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    statement = selectors.team_statement_for_user(user=request.user, slug=slug, pk=pk)
    rows, total = selectors.statement_rows(statement=statement)
    return render(request, "billing/statement.html", {"statement": statement, "rows": rows, "total": total})


def _statement_csv(statement) -> HttpResponse:
    rows, total = selectors.statement_rows(statement=statement)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = (
        f'attachment; filename="{statement.team.slug}-{statement.month:%Y-%m}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([
            r.key, r.kind, r.adjusts.key if r.adjusts else "", r.day, r.namespace.name, r.metric,
            r.storage_class, r.runtime_class, r.quantity, r.unit, r.multiplier if r.multiplier is not None else "",
            r.billable_quantity, r.unit_price, format_amount(r.amount, r.currency), r.currency, r.price_book.version,
            r.window_start.isoformat(), r.window_end.isoformat(), r.coverage, r.provisional,
        ])  # fmt: skip
    writer.writerow(
        [
            "TOTAL",
            *[""] * (CSV_HEADER.index("amount") - 1),
            format_amount(total, statement.currency),
            statement.currency,
        ]
    )
    return response


@login_required
def statement_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _statement_csv(selectors.team_statement_for_user(user=request.user, slug=slug, pk=pk))


def _month(raw: str) -> date | None:
    try:
        return date.fromisoformat(f"{raw}-01") if raw else None
    except ValueError:
        return None


@login_required
def finance_index(request: HttpRequest) -> HttpResponse:
    permissions.require_finance(request.user)
    form = FinanceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    statements = selectors.finance_statements(
        month=_month(filters.get("month", "")),
        team=filters.get("team", ""),
        currency=filters.get("currency", ""),
        status=filters.get("status", ""),
    )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="statements.csv"'
        writer = csv.writer(response)
        writer.writerow(["team", "month", "currency", "status", "lines", "total"])
        for s in statements.iterator(chunk_size=2000):
            count, total = s.line_count, s.line_total  # type: ignore[attr-defined]  # annotated
            writer.writerow(
                [
                    s.team.slug,
                    f"{s.month:%Y-%m}",
                    s.currency,
                    s.status,
                    count,
                    format_amount(total, s.currency),
                ]
            )
        return response
    # Every team's statements of every month: a page at a time, the totals over all of them.
    totals = selectors.statement_totals(statements)
    page = paginate(request, statements, count=totals.count)
    rows = []
    if page.object_list:  # each with its link, from one reverse()
        drill_down = row_urls("billing:finance_statement")
        rows = [(s, drill_down(s.pk)) for s in page]
    context = {"form": form, "statements": page, "rows": rows, "totals": totals.by_currency}
    return render(request, "billing/finance_index.html", context)


@login_required
def finance_teams(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    teams = paginate(request, selectors.prepaid_teams_for_finance(user=request.user, search=search))
    return render(request, "billing/finance_teams.html", {"teams": teams, "search": search})


@login_required
def finance_team(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_finance(user=request.user, slug=slug)
    prepaid = team.billing_mode == BillingMode.PREPAID
    context = {
        "team": team,
        "prepaid": prepaid,
        "account": selectors.account_of(team=team),
        "statements": selectors.statements_for_team(team=team)[:24],
        "ledger": selectors.page_ledger(team=team) if prepaid else [],  # shown to prepaid teams
        "ledger_form": LedgerEntryForm(),
    }
    return render(request, "billing/finance_team.html", context)


@login_required
def finance_statement(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.statement_for_finance(user=request.user, pk=pk)
    namespaces = selectors.statement_namespaces(statement=statement)
    context = {
        "statement": statement,
        "namespaces": namespaces,
        "total": sum((n["amount"] for n in namespaces), 0),
        "ledger_form": LedgerEntryForm(),
        "prepaid": statement.team.billing_mode == BillingMode.PREPAID,
        "account": selectors.account_of(team=statement.team),
    }
    return render(request, "billing/finance_statement.html", context)


@login_required
def finance_statement_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _statement_csv(selectors.statement_for_finance(user=request.user, pk=pk))


@login_required
def finance_namespace(request: HttpRequest, pk: int, namespace_id: int) -> HttpResponse:
    statement = selectors.statement_for_finance(user=request.user, pk=pk)
    namespace = selectors.statement_namespace_for_finance(statement=statement, namespace_id=namespace_id)
    lines = list(selectors.namespace_lines(statement=statement, namespace=namespace))
    total = sum((line.amount for line in lines), 0)
    context = {"statement": statement, "namespace": namespace, "lines": lines, "total": total}
    return render(request, "billing/finance_namespace.html", context)


@login_required
def finance_charge(request: HttpRequest, pk: int) -> HttpResponse:
    charge = selectors.charge_for_finance(user=request.user, pk=pk)
    context = {
        "charge": charge,
        "hourly": selectors.charge_hourly_rows(charge=charge),
        "samples": selectors.charge_samples(charge=charge)[:2000],
    }
    return render(request, "billing/finance_charge.html", context)


@login_required
@require_POST
def finance_ledger_record(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_finance(user=request.user, slug=slug)
    form = LedgerEntryForm(request.POST)
    if form.is_valid():
        try:
            entry = ledger_record(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as exc:
            message_service_errors(request, exc)
        else:
            messages.success(
                request,
                _("Recorded %(kind)s of %(amount)s %(currency)s.")
                % {
                    "kind": entry.get_kind_display().lower(),
                    "amount": format_amount(entry.amount, entry.currency),
                    "currency": entry.currency,
                },
            )
    else:
        messages.error(request, _("Check the amount, kind and reason."))
    fallback = reverse("billing:finance_team", args=[team.slug])
    return redirect_back(request, request.POST.get("next", ""), fallback=fallback)


@login_required
@require_POST
def finance_statement_paid(request: HttpRequest, pk: int) -> HttpResponse:
    statement = selectors.statement_for_finance(user=request.user, pk=pk)
    try:
        statement_mark_paid(actor=request.user, statement=statement)
        messages.success(request, _("Marked paid."))
    except ValidationError as exc:
        message_service_errors(request, exc)
    return redirect("billing:finance_statement", pk=statement.pk)


def _pricebook_form(request: HttpRequest, book: PriceBook | None = None, initial=None) -> PriceBookForm:
    multipliers, storage = selectors.pricebook_form_rates(book=book)
    initial = {
        **{RUNTIME_PREFIX + name: value for name, value in multipliers.items()},
        **{STORAGE_PREFIX + name: value for name, value in storage.items()},
        **(initial or {}),
    }
    return PriceBookForm(
        request.POST or None, initial=initial, runtimes=list(multipliers), storage_classes=list(storage)
    )


@login_required
def pricebook_list(request: HttpRequest) -> HttpResponse:
    permissions.require_staff(request.user)
    form = _pricebook_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            book = pricebook_create(
                actor=request.user, currency=data["currency"].upper(), effective_from=data["effective_from"],
                prices=form.prices(), runtime_multipliers=form.runtime_multipliers(),
                storage_prices=form.storage_prices(), note=data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Price book %(book)s created.") % {"book": book})
            return redirect("billing:pricebooks")
    context = {
        "form": form,
        "books": selectors.price_books(),
        "begun": local_date(timezone.now(), EARLIEST_ZONE),
    }
    return render(request, "billing/pricebooks.html", context)


@login_required
def pricebook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    permissions.require_staff(request.user)
    book = get_object_or_404(PriceBook, pk=pk)
    locked = pricebook_is_locked(book)
    initial = {f: getattr(book, f) for f in PriceBookForm.base_fields if hasattr(book, f)}
    initial["effective_from"] = book.effective_from
    form = _pricebook_form(request, book, initial)
    if request.method == "POST" and not locked and form.is_valid():
        try:
            pricebook_update(
                actor=request.user, pricebook=book, prices=form.prices(),
                runtime_multipliers=form.runtime_multipliers(), storage_prices=form.storage_prices(),
                effective_from=form.cleaned_data["effective_from"], note=form.cleaned_data["note"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Price book %(book)s updated.") % {"book": book})
            return redirect("billing:pricebooks")
    return render(request, "billing/pricebook_edit.html", {"book": book, "form": form, "locked": locked})


@login_required
def bill_runs(request: HttpRequest) -> HttpResponse:
    permissions.require_staff(request.user)
    return render(request, "billing/bill_runs.html", {"runs": selectors.bill_runs()[:100]})
