"""Inviting people, managing pending invitations, and accepting or declining them."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import add_service_errors, message_service_errors
from core.http import HtmxHttpRequest
from core.pages import paginate, redirect_to
from tenants import permissions, selectors
from tenants.forms import InvitationForm
from tenants.locale import SESSION_LANGUAGE, supported_language
from tenants.services import invitations as invitation_services
from tenants.services.invitations import invitation_by_token, invitation_problem

# Set when a visitor signs up or in from an invitation link; the account adapter sends them back.
SESSION_INVITATION_TOKEN = "tenantry_invitation_token"  # noqa: S105 - a session key, not a secret


@login_required
def invitation_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
    namespaces = selectors.team_namespaces_for_user(user=request.user, team=team)
    form = InvitationForm(request.POST or None, user=request.user, team=team, namespaces=namespaces)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_services.invitation_create(
                actor=request.user, team=team, now=timezone.now(), **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect_to(request, reverse("team_detail", args=[team.slug]) + "#invitations")
    template = "tenants/invitation_form.html#invite-form" if request.htmx else "tenants/invitation_form.html"
    return render(request, template, {"team": team, "invite_form": form})


@login_required
def invitation_revoke(request: HtmxHttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
    invitation = selectors.invitation_for_team(team=team, invitation_id=invitation_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            invitation_services.invitation_revoke(actor=request.user, invitation=invitation)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request, _("The invitation for %(email)s was revoked.") % {"email": invitation.email}
            )
            return redirect_to(request, reverse("team_detail", args=[team.slug]) + "#invitations")
    return render(
        request,
        "tenants/confirm.html",
        {
            "team": team,
            "title": _("Revoke the invitation for %(email)s") % {"email": invitation.email},
            "question": _("The link in the email stops working. You can invite the address again later."),
            "errors": errors,
            "button": _("Revoke invitation"),
            "danger": True,
            "cancel_url": reverse("team_detail", args=[team.slug]),
        },
    )


@login_required
@require_POST
def invitation_resend(request: HtmxHttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    team = selectors.team_for_user(user=request.user, slug=slug, perm=permissions.MANAGE_MEMBERS)
    invitation = selectors.invitation_for_team(team=team, invitation_id=invitation_id)
    try:
        invitation_services.invitation_resend(actor=request.user, invitation=invitation, now=timezone.now())
    except ValidationError as exc:
        message_service_errors(request, exc)
    else:
        messages.success(
            request,
            _("A new link was sent to %(email)s; the old one no longer works.") % {"email": invitation.email},
        )
    return redirect_to(request, reverse("team_detail", args=[team.slug]) + "#invitations")


def _speak_invitation_language(request: HtmxHttpRequest, language: str) -> None:
    """A visitor who chose no language (no cookie, no account) sees the link's pages, and then the
    sign-in or sign-up pages it leads to, in the language the invitation was sent in."""
    language = supported_language(language)
    if not language or request.user.is_authenticated or settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    request.session.setdefault(SESSION_LANGUAGE, language)
    translation.activate(request.session[SESSION_LANGUAGE])
    request.LANGUAGE_CODE = translation.get_language()


def invitation_accept(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The link from the email. Anyone may look; accepting needs the invited, verified address."""
    invitation = invitation_by_token(raw_token=token)
    if invitation is not None:
        _speak_invitation_language(request, invitation.language)
    problem = invitation_problem(invitation=invitation, now=timezone.now())
    if invitation is not None and not problem and request.user.is_authenticated:
        if not selectors.user_has_verified_email(user=request.user, email=invitation.email):
            problem = _(
                "This invitation is for %(invited)s, but you are signed in as %(current)s. "
                "Sign in with %(invited)s (verified) to accept it."
            ) % {"invited": invitation.email, "current": request.user.email}
        elif request.method == "POST":
            try:
                invitation_services.invitation_accept(
                    user=request.user, invitation=invitation, now=timezone.now()
                )
            except ValidationError as exc:
                problem = " ".join(exc.messages)
            else:
                request.session.pop(SESSION_INVITATION_TOKEN, None)
                messages.success(request, _("Welcome to %(team)s.") % {"team": invitation.team.name})
                return redirect("team_detail", invitation.team.slug)
    next_query = urlencode({"next": request.path})
    context = {"invitation": invitation, "problem": problem, "token": token, "next_query": next_query}
    return render(request, "tenants/invitation_accept.html", context)


def invitation_signup(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Create an account from the link: the address is proven by the emailed token, so no second email."""
    from allauth.account.adapter import get_adapter

    invitation = invitation_by_token(raw_token=token)
    problem = invitation_problem(invitation=invitation, now=timezone.now())
    if invitation is None or problem or request.user.is_authenticated:
        return redirect("invitation_accept", token)
    get_adapter(request).stash_verified_email(request, invitation.email)
    request.session[SESSION_INVITATION_TOKEN] = token
    accept_url = reverse("invitation_accept", args=[token])
    return redirect(reverse("account_signup") + "?" + urlencode({"next": accept_url}))


def dashboard_invitations_context(request: HtmxHttpRequest) -> dict:
    """The dashboard's "my invitations" block, also re-rendered alone after a decline."""
    count = selectors.pending_invitation_count_for_user(user=request.user)
    # Nothing to read when none is pending: the queryset is built only when some are.
    invitations = selectors.pending_invitations_for_user(user=request.user) if count else []
    return {"invitations": paginate(request, invitations, param="invitations_page", count=count)}


@require_POST
def invitation_decline(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Whoever holds the emailed link may decline it."""
    invitation = invitation_by_token(raw_token=token)
    if invitation is None or invitation_problem(invitation=invitation, now=timezone.now()):
        return redirect("invitation_accept", token)
    actor = request.user if request.user.is_authenticated else None
    invitation_services.invitation_decline(actor=actor, invitation=invitation)
    request.session.pop(SESSION_INVITATION_TOKEN, None)
    messages.info(request, _("You declined the invitation to %(team)s.") % {"team": invitation.team.name})
    return redirect("dashboard" if actor else "account_login")


@login_required
@require_POST
def my_invitation_accept(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_for_invitee(user=request.user, invitation_id=invitation_id)
    try:
        invitation_services.invitation_accept(user=request.user, invitation=invitation, now=timezone.now())
    except ValidationError as exc:
        message_service_errors(request, exc)
        return redirect_to(request, reverse("dashboard"))
    messages.success(request, _("Welcome to %(team)s.") % {"team": invitation.team.name})
    return redirect_to(request, reverse("team_detail", args=[invitation.team.slug]))


@login_required
@require_POST
def my_invitation_decline(request: HtmxHttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_for_invitee(user=request.user, invitation_id=invitation_id)
    invitation_services.invitation_decline(actor=request.user, invitation=invitation)
    status = _("You declined the invitation to %(team)s.") % {"team": invitation.team.name}
    if request.htmx:
        context = {**dashboard_invitations_context(request), "invitations_status": status}
        return render(request, "console/dashboard.html#my-invitations", context)
    messages.info(request, status)
    return redirect("dashboard")
