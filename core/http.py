from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request as ``HtmxMiddleware`` leaves it; views that read ``request.htmx`` take this."""

    htmx: HtmxDetails


def redirect_back(request: HttpRequest, url: str, *, fallback: str) -> HttpResponseRedirect:
    """A redirect to ``url`` (a form's ``next``, a Referer) when it is a path or an address on
    this site, otherwise to ``fallback``.

    Not ``redirect(url)``: it takes a string without a slash or a dot for the name of a view and
    fails (a 500) when no view has that name, so ``next=0`` would break the page.
    """
    allowed = url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure())
    if not allowed or not (url.startswith("/") or urlsplit(url).scheme):
        url = fallback
    return HttpResponseRedirect(url)
