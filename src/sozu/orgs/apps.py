from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "sozu.orgs"
    verbose_name = "Organizations"
