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
