"""REST endpoints; the same selectors, services and permission checks as the pages.

Services raise django ``ValidationError``; the API's exception handler answers it as a 400
with field details, so the views let it through.
"""

from datetime import UTC, datetime, timedelta

from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from metering import selectors
from metering.amounts import format_amounts, parse_amounts
from metering.api.serializers import (
    DecisionSerializer,
    QuotaRequestCreateSerializer,
    QuotaRequestSerializer,
    RuntimeClassProfileSerializer,
    RuntimePolicySerializer,
)
from metering.models import Metric, QuotaRequestStatus
from metering.runtime_selection import namespace_runtime, runtime_policy_of
from metering.services.quotas import (
    namespace_quota_set,
    quota_request_approve,
    quota_request_create,
    quota_request_deny,
)
from metering.services.runtime import namespace_runtime_policy_set
from tenants import permissions
from tenants.selectors import namespace_for_user, team_for_user, team_namespace, team_namespaces_for_user


def _body_object(request: Request):
    """The body as parsed: a form's fields as one value each, JSON as sent (maybe not an object)."""
    data = request.data
    return data.dict() if isinstance(data, QueryDict) else data


def _selection_data(namespace) -> dict:
    selection, policy = namespace_runtime(namespace), runtime_policy_of(namespace)
    return {
        "min_isolation": policy.min_isolation,
        "needs_gpu": policy.needs_gpu,
        "required_isolation": selection.required_isolation,
        "chosen": selection.chosen,
        "allowed": list(selection.allowed),
        "excluded": [{"name": e.name, "reason": e.reason} for e in selection.exclusions],
        "refusal": selection.refusal,
        "install_hint": selection.install_hint,
    }


@extend_schema(responses=RuntimeClassProfileSerializer(many=True))
@api_view(["GET"])
def runtime_catalog(request: Request) -> Response:
    return Response(RuntimeClassProfileSerializer(selectors.runtime_catalog(), many=True).data)


@extend_schema(request=RuntimePolicySerializer, responses=dict)
@api_view(["GET", "PUT"])
def runtime_policy(request: Request, name: str) -> Response:
    namespace = namespace_for_user(user=request.user, name=name)
    if request.method == "PUT":
        permissions.require_namespace_perm(request.user, permissions.ADMIN_NAMESPACE, namespace)
        serializer = RuntimePolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        namespace_runtime_policy_set(actor=request.user, namespace=namespace, **serializer.validated_data)
        namespace.refresh_from_db()
    return Response(_selection_data(namespace))


@extend_schema(responses=dict)
@api_view(["GET"])
def team_quota(request: Request, slug: str) -> Response:
    team = team_for_user(user=request.user, slug=slug)
    overview = selectors.team_quota_overview(team=team, user=request.user)
    return Response(
        {
            "team": team.slug,
            "quota": format_amounts(overview.limit),
            "max_namespaces": overview.team_quota.max_namespaces,
            "allocated": format_amounts(overview.allocated),
            "remaining": format_amounts(overview.remaining),
            "allocations": [
                {"namespace": r.namespace.name, **format_amounts(r.amounts)} for r in overview.rows
            ],
        }
    )


@extend_schema(request=dict, responses=dict)
@api_view(["PUT"])
def namespace_allocation(request: Request, slug: str, name: str) -> Response:
    team = team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_NAMESPACES)
    namespace = team_namespace(team=team, name=name)
    allocation = namespace_quota_set(
        actor=request.user, namespace=namespace, amounts=parse_amounts(_body_object(request))
    )
    return Response({"namespace": namespace.name, **format_amounts(allocation.amounts)})


@extend_schema(
    methods=["GET"],
    parameters=[OpenApiParameter("status", enum=QuotaRequestStatus.values, description="Only these.")],
    responses=QuotaRequestSerializer(many=True),
)
@extend_schema(
    methods=["POST"], request=QuotaRequestCreateSerializer, responses={201: QuotaRequestSerializer}
)
@api_view(["GET", "POST"])
def quota_requests(request: Request, slug: str) -> Response:
    team = team_for_user(user=request.user, slug=slug)
    if request.method == "POST":
        serializer = QuotaRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        namespace = get_object_or_404(
            team_namespaces_for_user(user=request.user, team=team),
            name=serializer.validated_data["namespace"],
        )
        created = quota_request_create(
            actor=request.user,
            namespace=namespace,
            increments=parse_amounts(serializer.validated_data["increments"]),
            reason=serializer.validated_data["reason"],
        )
        return Response(QuotaRequestSerializer(created).data, status=status.HTTP_201_CREATED)
    wanted = request.query_params.get("status") or None
    if wanted is not None and wanted not in QuotaRequestStatus.values:
        raise ApiValidationError(
            {"status": _("One of: %(choices)s.") % {"choices": ", ".join(QuotaRequestStatus.values)}}
        )
    rows = selectors.team_quota_requests(team=team, user=request.user, status=wanted)
    return Response(QuotaRequestSerializer(rows[:200], many=True).data)


@extend_schema(
    request=DecisionSerializer,
    responses=QuotaRequestSerializer,
    operation_id="v1_teams_quota_requests_decide",
)
@api_view(["POST"])
def quota_request_decide(request: Request, slug: str, request_id: int, decision: str) -> Response:
    if decision not in ("approve", "deny"):
        raise Http404("Unknown decision.")
    team = team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_QUOTA)
    quota_request = selectors.team_quota_request(team=team, request_id=request_id)
    serializer = DecisionSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    decide = quota_request_approve if decision == "approve" else quota_request_deny
    decided = decide(actor=request.user, quota_request=quota_request, note=serializer.validated_data["note"])
    return Response(QuotaRequestSerializer(decided).data)


def _moment(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        # None when it does not look like a date-time; ValueError when it does but is no
        # real moment (month 13, 30 February, offset +25:00).
        parsed = parse_datetime(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ApiValidationError({"detail": _("'%(raw)s' is not an ISO 8601 date-time.") % {"raw": raw}})
    moment = parsed if parsed.tzinfo else timezone.make_aware(parsed)
    try:
        moment.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+14:00 is before the year 1 in UTC
        raise ApiValidationError({"detail": _("'%(raw)s' is out of range.") % {"raw": raw}}) from exc
    return moment


MAX_STEP = 366 * 24 * 3600  # a step of a year at most: the database's integers hold it


@extend_schema(responses=dict)
@api_view(["GET"])
def usage_series(request: Request, name: str) -> Response:
    """``?metric=cpu_usage&from=<iso>&to=<iso>&step=<seconds>``; null values are gaps."""
    namespace = namespace_for_user(user=request.user, name=name)
    metric = request.query_params.get("metric", "")
    if metric not in Metric.values:
        raise ApiValidationError(
            {"metric": _("One of: %(choices)s.") % {"choices": ", ".join(Metric.values)}}
        )
    end = _moment(request.query_params.get("to")) or timezone.now()
    start = _moment(request.query_params.get("from"))
    if start is None:
        try:
            start = end - timedelta(hours=24)
        except OverflowError as exc:
            raise ApiValidationError(
                {"detail": _("'to' is too early for the default day; give 'from'.")}
            ) from exc
    try:
        step = int(request.query_params.get("step", 300))
    except ValueError as exc:
        raise ApiValidationError({"step": _("Seconds, a whole number.")}) from exc
    if step > MAX_STEP:
        raise ApiValidationError({"step": _("At most %(max)s seconds (366 days).") % {"max": MAX_STEP}})
    if start >= end or (end - start).total_seconds() / max(step, 60) > 5000:
        raise ApiValidationError({"step": _("Choose a later 'to' or a larger step (at most 5000 points).")})
    series = selectors.usage_series(namespace=namespace, metrics=[metric], start=start, end=end, step=step)
    return Response(
        {"namespace": namespace.name, "metric": metric, "step": max(60, step), "points": series[metric]}
    )
