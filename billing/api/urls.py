from django.urls import path

from billing.api import views

app_name = "billing-api"
urlpatterns = [
    path("teams/<slug:slug>/charges/", views.TeamChargeList.as_view(), name="charges"),
    path("teams/<slug:slug>/statements/", views.TeamStatementList.as_view(), name="statements"),
    path("teams/<slug:slug>/balance/", views.team_balance, name="balance"),
    path("teams/<slug:slug>/ledger/", views.TeamLedgerList.as_view(), name="ledger"),
    path("finance/teams/<slug:slug>/ledger/", views.finance_ledger_record, name="finance-ledger"),
]
