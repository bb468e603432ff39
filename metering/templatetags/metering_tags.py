from django import template

from metering import quantities

register = template.Library()


@register.filter
def quantity(amount, kind):
    """Base units shown in Kubernetes notation (``500m``, ``2Gi``)."""
    return quantities.format_quantity(amount, kind)


@register.filter
def readable(amount, kind):
    """Base units with a unit people read (``8 cores``, ``4.04 GiB``)."""
    return quantities.readable(amount, kind)
