"""Personal API tokens: create (the secret is shown once), list, revoke."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.http import HtmxHttpRequest
from core.pages import paginate, redirect_to, render_page
from tenants import selectors
from tenants.forms import ApiTokenForm
from tenants.services.tokens import api_token_create, api_token_revoke


@login_required
def token_list(request: HtmxHttpRequest) -> HttpResponse:
    """GET lists the tokens; POST creates one and shows its secret in this response only."""
    form = ApiTokenForm(request.POST or None)
    new_token = raw_token = None
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        new_token, raw_token = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        form = ApiTokenForm()
    context = {
        "form": form,
        "new_token": new_token,
        "raw_token": raw_token,
        "tokens": paginate(request, selectors.api_tokens_for_user(user=request.user)),
        "now": timezone.now(),
    }
    return render_page(request, "tenants/token_list.html", context, partials=["tokens"])


@login_required
def token_revoke(request: HtmxHttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_for_user(user=request.user, token_id=token_id)
    if request.method == "POST":
        api_token_revoke(token=token, actor=request.user, now=timezone.now())
        messages.success(
            request, _("Token %(token)s was revoked; requests using it now fail.") % {"token": token.name}
        )
        return redirect_to(request, reverse("token_list"))
    return render(
        request,
        "tenants/confirm.html",
        {
            "title": _("Revoke token %(token)s") % {"token": token.name},
            "question": _("Scripts using %(prefix)s… stop working immediately.") % {"prefix": token.prefix},
            "button": _("Revoke token"),
            "danger": True,
            "cancel_url": reverse("token_list"),
        },
    )
