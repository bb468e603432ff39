from django import template

from metering import quantities

register = template.Library()


@register.filter
def quantity(amount, kind):
    """Base units shown in Kubernetes notation (``500m``, ``2Gi``)."""
    return quantities.format_quantity(amount, kind)
