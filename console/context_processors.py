from django.conf import settings
from django.http import HttpRequest


def console(request: HttpRequest) -> dict:
    return {"SITE_NAME": settings.SITE_NAME, "KUBE_EMULATED": bool(settings.KUBE_EMULATOR_URL)}
