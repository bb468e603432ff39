"""The console's URLs plus ``/_bench/base``: the base template and nothing else, the yardstick
the scale check divides each page's median by."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from console.urls import urlpatterns as console_urlpatterns


@login_required
def bare(request):
    return render(request, "base.html", {})


urlpatterns = [path("_bench/base", bare, name="bench-base"), *console_urlpatterns]
