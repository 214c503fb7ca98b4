from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "sozu.observability"
    verbose_name = "Observability"
