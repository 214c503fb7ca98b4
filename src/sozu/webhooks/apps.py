from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "sozu.webhooks"
    verbose_name = "Webhooks"
