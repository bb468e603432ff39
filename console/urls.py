from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from console import staff_views, views

# The admin site signs in through allauth, so its sign-in asks for the second factor too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    # Browsers and feed readers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True), name="favicon"),
    path("staff/overview/", staff_views.staff_overview, name="staff_overview"),
    path("staff/teams/<slug:slug>/", staff_views.staff_team, name="staff_team"),
    path("staff/teams/<slug:slug>/settings/", staff_views.staff_team_settings, name="staff_team_settings"),
    path(
        "staff/trust-requests/<int:pk>/<str:decision>/",
        staff_views.staff_trust_request_decide,
        name="staff_trust_request_decide",
    ),
    path("staff/users/<int:pk>/disable/", staff_views.staff_user_disable, name="staff_user_disable"),
    path("staff/users/<int:pk>/enable/", staff_views.staff_user_enable, name="staff_user_enable"),
    path("accounts/", include("allauth.urls")),
    path("", include("tenants.urls")),
    path("", include("namespaces.urls")),
    path("", include("domains.urls")),
    path("", include("metering.urls")),
    path("", include("clusters.urls")),
    path("billing/", include("billing.urls")),
    path("api/v1/billing/", include("billing.api.urls")),
    path("api/v1/", include("tenants.api.urls")),
    path("api/v1/", include("namespaces.api.urls")),
    path("api/v1/", include("metering.api.urls")),
    path("api/v1/", include("clusters.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler403 = views.permission_denied
handler404 = views.page_not_found
