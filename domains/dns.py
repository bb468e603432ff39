"""Looking up TXT records, behind a setting so tests (and air-gapped installs) can swap it."""

from collections.abc import Callable

import dns.exception
import dns.resolver
from django.conf import settings
from django.utils.module_loading import import_string

TxtResolver = Callable[[str], list[str]]


class LookupFailed(Exception):
    """DNS could not answer (timeout, no server); unlike "no record", worth trying again."""


def public_txt_records(name: str) -> list[str]:
    """The TXT strings at ``name``; empty when the name or the record does not exist."""
    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=5.0)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise LookupFailed(str(exc) or exc.__class__.__name__) from exc
    return [b"".join(rdata.strings).decode(errors="replace") for rdata in answer]


def txt_resolver() -> TxtResolver:
    return import_string(settings.TENANTRY_TXT_RESOLVER)
