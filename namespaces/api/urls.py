"""Namespace routes under /api/v1/."""

from django.urls import path

from namespaces.api import views

urlpatterns = [
    path("namespaces/", views.NamespaceListView.as_view(), name="api-namespaces"),
    path("namespaces/<str:name>/", views.NamespaceDetailView.as_view(), name="api-namespace"),
    path(
        "namespaces/<str:name>/members/",
        views.NamespaceMemberListView.as_view(),
        name="api-namespace-members",
    ),
    path(
        "namespaces/<str:name>/members/<int:pk>/",
        views.NamespaceMemberDetailView.as_view(),
        name="api-namespace-member",
    ),
]
