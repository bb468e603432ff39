"""The one way the console sends email: rendered by the service, sent after its transaction commits.

Mail goes through the ``core.send_email`` task, which retries a mail server that is down. Mail
that carries a credential (an invitation's token) is sent by the committing process instead,
so the secret never rests in the broker; so is any mail when the broker is unreachable.
"""

import logging
import smtplib

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


def deliver(*, subject: str, body: str, to: list[str]) -> None:
    send_mail(subject=subject, message=body, from_email=None, recipient_list=to)


@shared_task(
    name="core.send_email",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=MAX_RETRIES,
)
def send_email(*, subject: str, body: str, to: list[str]) -> None:
    deliver(subject=subject, body=body, to=to)


def email_on_commit(*, subject: str, body: str, to: list[str], secret: bool = False) -> None:
    """Send once the current transaction commits (at once outside one); nothing if it rolls back."""
    if not to:
        return

    def send() -> None:
        if secret:
            deliver(subject=subject, body=body, to=to)
            return
        try:
            send_email.delay(subject=subject, body=body, to=to)
        except OperationalError:
            logger.warning("broker unreachable; sending %r from this process", subject)
            deliver(subject=subject, body=body, to=to)

    transaction.on_commit(send)
