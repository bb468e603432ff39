"""Hostnames a team may serve: its own subdomain by construction, and custom domains it proved.

A custom domain belongs to one team at most (unique name); routes may use it only once
verified by a DNS TXT record. The team's subdomain of the apps domain needs no record.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from tenants.models import Team

# A DNS name of two or more labels, lowercase, at most 253 characters (no wildcard: a verified
# domain covers its subdomains).
DOMAIN_NAME = RegexValidator(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$",
    "Enter a domain name such as shop.example.com: lowercase letters, digits, '-' and dots.",
)


class Domain(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253, validators=[DOMAIN_NAME])
    # The value the team publishes at _tenantry-challenge.<name> to prove it controls the domain.
    challenge = models.CharField(max_length=64)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="uniq_domain_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def record_name(self) -> str:
        return f"_tenantry-challenge.{self.name}"


class RouteClaim(models.Model):
    """One host+path a namespace's route serves, as the reconcile last read it from the cluster.

    The console's record of who serves what: each namespace's admission policy is told the
    host+paths other namespaces hold under its hosts, so no second namespace (of this team or
    another) serves the same one. ``host_reversed`` lets "hosts under a suffix" be an index
    range instead of a scan.
    """

    namespace = models.ForeignKey("tenants.Namespace", on_delete=models.CASCADE, related_name="route_claims")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="route_claims")
    kind = models.CharField(max_length=20)
    name = models.CharField(max_length=253)
    host = models.CharField(max_length=253)
    host_reversed = models.CharField(max_length=253)
    path = models.CharField(max_length=1024)
    # What the controller says of the route: an address, accepted, or why not ("" before it says).
    status = models.CharField(max_length=300, blank=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["host", "path", "kind", "name"]
        indexes = [
            models.Index(fields=["host_reversed"]),
            models.Index(fields=["team", "host"]),
        ]

    def __str__(self) -> str:
        return f"{self.host}{self.path} ({self.kind} {self.namespace_id}/{self.name})"

    @property
    def key(self) -> str:
        return f"{self.host}{self.path}"
