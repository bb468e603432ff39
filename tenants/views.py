from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tenants.services.invitations import invitation_by_token, invitation_problem


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(raw_token=token)
    problem = invitation_problem(invitation=invitation, now=timezone.now())
    return render(request, "tenants/invitation_accept.html", {"invitation": invitation, "problem": problem})
