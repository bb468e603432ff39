from django.apps import AppConfig


class KubeemuConfig(AppConfig):
    name = "kubeemu"
    verbose_name = "Kubernetes API emulator"
