from django.urls import path

from metering import views

app_name = "metering"

urlpatterns = [
    path("namespaces/<str:name>/usage/", views.namespace_usage, name="namespace_usage"),
    path("namespaces/<str:name>/runtime/", views.namespace_runtime_policy, name="namespace_runtime_policy"),
    path("teams/<slug:slug>/quota/", views.team_quota, name="team_quota"),
    path("teams/<slug:slug>/quota/team/", views.team_quota_edit, name="team_quota_edit"),
    path("teams/<slug:slug>/quota/requests/", views.quota_request_new, name="quota_request_new"),
    path(
        "teams/<slug:slug>/quota/requests/<int:request_id>/<str:decision>/",
        views.quota_request_decide,
        name="quota_request_decide",
    ),
    path(
        "teams/<slug:slug>/quota/allocations/<str:name>/",
        views.namespace_allocation,
        name="namespace_allocation",
    ),
    path("staff/capacity/", views.staff_capacity, name="staff_capacity"),
    path("staff/runtimes/", views.staff_runtimes, name="staff_runtimes"),
]
