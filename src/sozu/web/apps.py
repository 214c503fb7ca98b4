from django.apps import AppConfig


class WebConfig(AppConfig):
    """The dashboard's shell: base template, navigation, security headers, template filters."""

    name = "sozu.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"
