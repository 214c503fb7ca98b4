from django.apps import AppConfig


class WalletConfig(AppConfig):
    name = "sozu.wallet"
    label = "wallet"
    verbose_name = "Sozu Wallet"
    default_auto_field = "django.db.models.BigAutoField"
