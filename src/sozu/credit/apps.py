from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "sozu.credit"
    verbose_name = "Credit"

    def ready(self) -> None:
        # Registers the credit refusals in the shared error table.
        from sozu.credit import errors  # noqa: F401
