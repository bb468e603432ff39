import smtplib

import pytest
from django.core import mail
from django.db import transaction
from kombu.exceptions import OperationalError

from core import email


@pytest.mark.django_db(transaction=True)
def test_email_goes_out_after_commit_and_not_after_rollback():
    with transaction.atomic():
        email.email_on_commit(subject="kept", body="b", to=["a@example.com"])
        assert mail.outbox == []
    with pytest.raises(RuntimeError), transaction.atomic():
        email.email_on_commit(subject="dropped", body="b", to=["a@example.com"])
        raise RuntimeError
    assert [m.subject for m in mail.outbox] == ["kept"]
    assert mail.outbox[0].to == ["a@example.com"]


@pytest.mark.django_db
def test_mail_with_a_secret_never_passes_through_the_broker(monkeypatch, django_capture_on_commit_callbacks):
    def refuse(**kwargs):
        raise AssertionError("a secret went to the broker")

    monkeypatch.setattr(email.send_email, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        email.email_on_commit(subject="token", body="https://x/t0ken", to=["a@example.com"], secret=True)
    assert [m.body for m in mail.outbox] == ["https://x/t0ken"]


@pytest.mark.django_db
def test_an_unreachable_broker_sends_from_the_committing_process(
    monkeypatch, django_capture_on_commit_callbacks
):
    def down(**kwargs):
        raise OperationalError("no broker")

    monkeypatch.setattr(email.send_email, "delay", down)
    with django_capture_on_commit_callbacks(execute=True):
        email.email_on_commit(subject="s", body="b", to=["a@example.com"])
    assert len(mail.outbox) == 1


def test_the_task_retries_a_mail_server_that_is_down(monkeypatch):
    real, attempts = email.deliver, []

    def flaky(**kwargs):
        attempts.append(kwargs)
        if len(attempts) < 3:
            raise smtplib.SMTPServerDisconnected("down")
        real(**kwargs)

    monkeypatch.setattr(email, "deliver", flaky)
    conf = email.send_email.app.conf
    conf.task_eager_propagates = False  # eager retries run in place only when not re-raised at once
    try:
        email.send_email.apply(kwargs={"subject": "s", "body": "b", "to": ["a@example.com"]}).get()
    finally:
        conf.task_eager_propagates = True
    assert len(attempts) == 3
    assert len(mail.outbox) == 1


def test_no_recipients_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email.email_on_commit(subject="s", body="b", to=[])
    assert callbacks == []
    assert mail.outbox == []
