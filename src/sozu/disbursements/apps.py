from django.apps import AppConfig


class DisbursementsConfig(AppConfig):
    name = "sozu.disbursements"
    verbose_name = "Disbursements"
