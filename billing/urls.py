from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("teams/<slug:slug>/", views.team_billing, name="team"),
    path("teams/<slug:slug>/statements/<int:pk>/", views.statement_detail, name="statement"),
    path("teams/<slug:slug>/statements/<int:pk>.csv", views.statement_csv, name="statement_csv"),
    path("finance/", views.finance_index, name="finance_index"),
    path("finance/teams/", views.finance_teams, name="finance_teams"),
    path("finance/teams/<slug:slug>/", views.finance_team, name="finance_team"),
    path("finance/statements/<int:pk>/", views.finance_statement, name="finance_statement"),
    path("finance/statements/<int:pk>.csv", views.finance_statement_csv, name="finance_statement_csv"),
    path("finance/statements/<int:pk>/paid/", views.finance_statement_paid, name="finance_statement_paid"),
    path(
        "finance/statements/<int:pk>/namespaces/<int:namespace_id>/",
        views.finance_namespace,
        name="finance_namespace",
    ),
    path("finance/charges/<int:pk>/", views.finance_charge, name="finance_charge"),
    path("finance/teams/<slug:slug>/ledger/", views.finance_ledger_record, name="finance_ledger_record"),
    path("prices/", views.pricebook_list, name="pricebooks"),
    path("prices/<int:pk>/", views.pricebook_edit, name="pricebook_edit"),
    path("runs/", views.bill_runs, name="runs"),
]
