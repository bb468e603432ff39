from celery import shared_task
from django.utils import timezone

from tenants.services.invitations import invitations_expire


@shared_task
def expire_invitations() -> int:
    return invitations_expire(now=timezone.now())
