from django.urls import path

from metering.api import views

urlpatterns = [
    path("runtimes/", views.runtime_catalog, name="api-runtime-catalog"),
    path("namespaces/<str:name>/runtime-policy/", views.runtime_policy, name="api-runtime-policy"),
    path("namespaces/<str:name>/usage/", views.usage_series, name="api-usage-series"),
    path("teams/<slug:slug>/quota/", views.team_quota, name="api-team-quota"),
    path(
        "teams/<slug:slug>/quota/allocations/<str:name>/",
        views.namespace_allocation,
        name="api-namespace-allocation",
    ),
    path("teams/<slug:slug>/quota-requests/", views.quota_requests, name="api-quota-requests"),
    path(
        "teams/<slug:slug>/quota-requests/<int:request_id>/<str:decision>/",
        views.quota_request_decide,
        name="api-quota-request-decide",
    ),
]
