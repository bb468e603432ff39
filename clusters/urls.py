from django.urls import path

from clusters import views, workload_views

urlpatterns = [
    path("access/", views.access, name="access"),
    path("access/kubeconfig/", views.access_kubeconfig, name="access_kubeconfig"),
    path("access/revoke/", views.access_revoke, name="access_revoke"),
    path("namespaces/<str:name>/status/", views.namespace_status, name="namespace_status"),
    path("namespaces/<str:name>/retry/", views.namespace_retry, name="namespace_retry"),
    path("namespaces/<str:name>/objects/", views.namespace_objects, name="namespace_objects"),
    path("namespaces/<str:name>/workloads/", workload_views.namespace_workloads, name="namespace_workloads"),
    path(
        "namespaces/<str:name>/pods/<str:pod>/logs/",
        workload_views.namespace_pod_logs,
        name="namespace_pod_logs",
    ),
    path("clusters/", views.cluster_list, name="cluster_list"),
    path("clusters/new/", views.cluster_new, name="cluster_new"),
    path("clusters/<int:pk>/edit/", views.cluster_edit, name="cluster_edit"),
    path("clusters/<int:pk>/check/", views.cluster_check, name="cluster_check"),
    path("clusters/<int:pk>/recheck/", views.cluster_recheck, name="cluster_recheck"),
    path("clusters/<int:pk>/delete/", views.cluster_remove, name="cluster_delete"),
    path("clusters/<int:pk>/disable/", views.cluster_enable, {"enabled": False}, name="cluster_disable"),
    path("clusters/<int:pk>/enable/", views.cluster_enable, {"enabled": True}, name="cluster_enable"),
    path("clusters/teams/<slug:slug>/placement/", views.team_placement_edit, name="team_placement"),
    path("clusters/failed-namespaces/", views.namespace_error_list, name="namespace_error_list"),
    path(
        "clusters/failed-namespaces/<int:pk>/retry/",
        views.namespace_error_retry,
        name="namespace_error_retry",
    ),
]
