from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: what every app shares (htmx pages, error display, email, work claims)."""

    name = "core"
