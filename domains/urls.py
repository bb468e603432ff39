from django.urls import path

from domains import views

app_name = "domains"
urlpatterns = [
    path("teams/<slug:slug>/domains/", views.team_domains, name="team_domains"),
    path("teams/<slug:slug>/domains/<int:pk>/verify/", views.domain_verify, name="domain_verify"),
    path("teams/<slug:slug>/domains/<int:pk>/remove/", views.domain_remove, name="domain_remove"),
]
