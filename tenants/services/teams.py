"""Creating teams, including the personal team every new account gets."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from tenants.models import Team, TeamMembership, TeamRole, TrustLevel
from tenants.services.audit import audit_record


def unique_slug(base: str, *, taken, max_length: int = 50) -> str:
    """A DNS-1123 label from ``base`` that ``taken(slug)`` reports free, suffixed -2, -3… if needed."""
    root = slugify(re.sub(r"[._+]+", "-", base)).strip("-")[: max_length - 4].strip("-") or "team"
    candidate, n = root, 1
    while taken(candidate):
        n += 1
        candidate = f"{root}-{n}"
    return candidate


@transaction.atomic
def team_create(
    *,
    actor,
    name: str,
    slug: str = "",
    trust_level: str = TrustLevel.PUBLIC,
    is_personal: bool = False,
) -> Team:
    """Create a team owned by ``actor``."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the team a name."})
    if slug:
        if Team.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": f"The address '{slug}' is taken; choose another."})
    else:
        slug = unique_slug(name, taken=lambda s: Team.objects.filter(slug=s).exists())
    team = Team(name=name, slug=slug, trust_level=trust_level, is_personal=is_personal)
    team.full_clean()
    team.save()
    TeamMembership.objects.create(team=team, user=actor, role=TeamRole.OWNER)
    audit_record(actor=actor, action="team.created", target=team, data={"slug": team.slug})
    return team
