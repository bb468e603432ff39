"""Helpers for REST API tests."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient


def client_for(user) -> APIClient:
    """An API client with ``user``'s session."""
    client = APIClient()
    client.force_login(user)
    return client


def count_queries(client, url) -> int:
    """How many queries a successful GET of ``url`` takes."""
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)
