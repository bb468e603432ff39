"""Reconcile namespaces with their clusters now, in this process, and say how each went."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clusters.kube.errors import TransientKubeError
from clusters.models import NamespaceProvisioning
from clusters.provisioning import Outcome, namespace_provision, namespaces_due_for_reconcile
from tenants.models import Namespace


class Command(BaseCommand):
    help = (
        "Provision namespaces synchronously: one (--namespace), every live one (--all), or by default "
        "those the periodic reconcile would pick. Exits non-zero when any failed."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--namespace", metavar="NAME", help="Only this namespace.")
        which.add_argument("--all", action="store_true", dest="everything", help="Every live namespace.")

    def handle(self, *args, namespace=None, everything=False, **options):
        ids = self._namespace_ids(namespace, everything=everything)
        if not ids:
            self.stdout.write("Nothing to reconcile.")
            return
        names = dict(Namespace.objects.filter(pk__in=ids).values_list("pk", "name"))
        failed = 0
        for namespace_id in ids:
            outcome, detail = self._reconcile(namespace_id)
            failed += outcome == Outcome.FAILED
            style = self.style.ERROR if outcome == Outcome.FAILED else self.style.SUCCESS
            line = f"{names[namespace_id]}: {outcome}" + (f" ({detail})" if detail else "")
            self.stdout.write(style(line))
        if failed:
            raise CommandError(f"{failed} of {len(ids)} namespace(s) failed.")

    def _namespace_ids(self, name: str | None, *, everything: bool) -> list[int]:
        if name:
            found = Namespace.objects.live().filter(name=name).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"No live namespace called '{name}'.")
            return [found]
        if everything:
            return list(Namespace.objects.live().order_by("name").values_list("pk", flat=True))
        interval = timedelta(seconds=settings.TENANTRY_RECONCILE_INTERVAL_SECONDS)
        return namespaces_due_for_reconcile(
            now=timezone.now(), interval=interval, limit=settings.TENANTRY_RECONCILE_BATCH
        )

    def _reconcile(self, namespace_id: int) -> tuple[Outcome, str]:
        try:
            outcome = namespace_provision(namespace_id=namespace_id)
        except TransientKubeError as exc:
            return Outcome.FAILED, f"cluster unavailable: {exc}"
        if outcome == Outcome.FAILED:
            return outcome, NamespaceProvisioning.objects.values_list("last_error", flat=True).get(
                pk=namespace_id
            )
        return outcome, ""
