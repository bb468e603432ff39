from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request as ``HtmxMiddleware`` leaves it; views that read ``request.htmx`` take this."""

    htmx: HtmxDetails
