from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from console import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
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
