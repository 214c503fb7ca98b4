from django.apps import AppConfig


class WebConfig(AppConfig):
    """The dashboard's shell: base template, navigation, security headers, template filters."""

    name = "sozu.web"
    label = "web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sozu.web import signals  # noqa: F401 - connects the audit of sign-ins
