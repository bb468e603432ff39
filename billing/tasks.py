"""Thin Celery tasks: load by id, call a service."""

from celery import shared_task

from billing.services.runs import teams_bill_due
from billing.services.statements import statements_finalize_due
from billing.services.suspension import suspensions_enforce


@shared_task
def billing_hourly() -> dict:
    """Bill teams whose local day ended, finalize closed months, enforce suspension."""
    run = teams_bill_due(trigger="beat")
    finalized = statements_finalize_due()
    suspension = suspensions_enforce()
    return {"run": run.pk, "finalized": finalized, **suspension}
