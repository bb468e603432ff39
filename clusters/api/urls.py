"""Routes under /api/v1/ for cluster access."""

from django.urls import path

from clusters.api import views

urlpatterns = [
    path("kubeconfig/", views.KubeconfigView.as_view(), name="api-kubeconfig"),
    path("kubeconfig/revoke/", views.KubeconfigRevokeView.as_view(), name="api-kubeconfig-revoke"),
]
