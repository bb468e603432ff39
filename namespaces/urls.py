from django.urls import path

from namespaces import views

urlpatterns = [
    path("teams/<slug:slug>/namespaces/new/", views.namespace_create, name="namespace_create"),
    path("teams/<slug:slug>/delete/", views.team_delete, name="team_delete"),
    path("namespaces/<str:name>/", views.namespace_detail, name="namespace_detail"),
    path("namespaces/<str:name>/access/", views.namespace_access, name="namespace_access"),
    path("namespaces/<str:name>/delete/", views.namespace_delete, name="namespace_delete"),
    path("namespaces/<str:name>/members/add/", views.namespace_member_add, name="namespace_member_add"),
    path(
        "namespaces/<str:name>/members/<int:membership_id>/role/",
        views.namespace_member_role,
        name="namespace_member_role",
    ),
    path(
        "namespaces/<str:name>/members/<int:membership_id>/remove/",
        views.namespace_member_remove,
        name="namespace_member_remove",
    ),
]
