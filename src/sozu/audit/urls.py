"""Auditoría pages of the dashboard."""

from django.urls import path

from sozu.audit import views

app_name = "audit"

urlpatterns = [
    path("auditoria/", views.events, name="events"),
    path("auditoria/export.csv", views.export, name="export"),
    path("auditoria/verificar/", views.verify, name="verify"),
]
