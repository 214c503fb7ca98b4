from django.apps import AppConfig


class BeneficiariesConfig(AppConfig):
    name = "sozu.beneficiaries"
    verbose_name = "Beneficiaries"
