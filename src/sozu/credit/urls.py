"""The credit pages of the dashboard (issue 12): the simulator."""

from django.urls import path

from sozu.credit import views

app_name = "credit"

urlpatterns = [
    path("simulador/", views.simulator, name="simulator"),
    path("simulador/csv/", views.simulator_csv, name="simulator_csv"),
    path("simulador/pdf/", views.simulator_pdf, name="simulator_pdf"),
]
