from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sozu.audit"
    verbose_name = "Audit log"
