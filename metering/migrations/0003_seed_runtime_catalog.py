"""Seed the runtime catalog with the five runtimes the console knows out of the box."""

from decimal import Decimal

from django.db import migrations

CATALOG = [
    {
        "name": "runc",
        "handler": "runc",
        "isolation": "container",
        "supports_gpu": True,
        "gpu_note": "native device plugin",
        "price_multiplier": Decimal("1.0"),
        "description": "Plain containers sharing the node kernel.",
    },
    {
        "name": "gvisor",
        "handler": "runsc",
        "isolation": "sandbox",
        "supports_gpu": False,
        "gpu_note": "limited (nvproxy); turn on GPU support only where it is set up",
        "overhead_cpu": "50m",
        "overhead_memory": "64Mi",
        "price_multiplier": Decimal("1.1"),
        "description": "gVisor user-space kernel sandbox.",
    },
    {
        "name": "kata-qemu",
        "handler": "kata-qemu",
        "isolation": "microvm",
        "supports_gpu": True,
        "gpu_note": "PCI passthrough",
        "overhead_cpu": "250m",
        "overhead_memory": "160Mi",
        "price_multiplier": Decimal("1.3"),
        "description": "Kata Containers on QEMU.",
    },
    {
        "name": "kata-fc",
        "handler": "kata-fc",
        "isolation": "microvm",
        "supports_gpu": False,
        "gpu_note": "Firecracker has no device passthrough",
        "overhead_cpu": "250m",
        "overhead_memory": "130Mi",
        "price_multiplier": Decimal("1.2"),
        "description": "Kata Containers on Firecracker.",
    },
    {
        "name": "kata-clh",
        "handler": "kata-clh",
        "isolation": "microvm",
        "supports_gpu": True,
        "gpu_note": "VFIO",
        "overhead_cpu": "250m",
        "overhead_memory": "130Mi",
        "price_multiplier": Decimal("1.25"),
        "description": "Kata Containers on Cloud Hypervisor.",
    },
]


def seed(apps, schema_editor):
    profile = apps.get_model("metering", "RuntimeClassProfile")
    for entry in CATALOG:
        profile.objects.get_or_create(name=entry["name"], defaults=entry)


def unseed(apps, schema_editor):
    apps.get_model("metering", "RuntimeClassProfile").objects.filter(
        name__in=[entry["name"] for entry in CATALOG]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("metering", "0002_quotas_and_cluster_state")]

    operations = [migrations.RunPython(seed, unseed)]
