"""Billing API: a team's charges, statements, balance and ledger (same rules as the pages),
and the finance endpoint that records top-ups, credits and payments."""

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from billing import selectors
from billing.api.serializers import (
    BalanceSerializer,
    ChargeSerializer,
    LedgerEntrySerializer,
    LedgerRecordSerializer,
    StatementSerializer,
)
from billing.money import format_amount
from billing.services.accounts import ledger_record
from tenants import permissions


class TeamChargeList(generics.ListAPIView):
    """Charge lines of a team, newest day first; ``?month=YYYY-MM`` filters by statement month."""

    serializer_class = ChargeSerializer

    def get_queryset(self):
        team = selectors.billing_team_for_user(user=self.request.user, slug=self.kwargs["slug"])
        month = self.request.query_params.get("month")
        try:
            first_day = date.fromisoformat(f"{month}-01") if month else None
        except ValueError as exc:
            raise serializers.ValidationError({"month": _("Use YYYY-MM.")}) from exc
        return selectors.charges_for_team(team=team, month=first_day)


class TeamStatementList(generics.ListAPIView):
    serializer_class = StatementSerializer

    def get_queryset(self):
        team = selectors.billing_team_for_user(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.statements_for_team(team=team)


class TeamLedgerList(generics.ListAPIView):
    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        team = selectors.billing_team_for_user(user=self.request.user, slug=self.kwargs["slug"])
        return selectors.ledger_for_team(team=team)


@extend_schema(responses=BalanceSerializer)
@api_view(["GET"])
def team_balance(request: Request, slug: str) -> Response:
    team = selectors.billing_team_for_user(user=request.user, slug=slug)
    account = selectors.account_of(team=team)
    return Response(
        {
            "team": team.slug,
            "billing_mode": team.billing_mode,
            "currency": team.currency,
            "balance": format_amount(account.balance if account else 0, team.currency),
            "band": account.band if account else "normal",
            "suspended_at": account.suspended_at if account else None,
        }
    )


@extend_schema(request=LedgerRecordSerializer, responses={201: LedgerEntrySerializer})
@api_view(["POST"])
def finance_ledger_record(request: Request, slug: str) -> Response:
    permissions.require_finance(request.user)
    team = selectors.billing_team_for_user(user=request.user, slug=slug)
    payload = LedgerRecordSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    try:
        entry = ledger_record(actor=request.user, team=team, **payload.validated_data)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
