"""The credit pages of the dashboard (issue 12): the simulator."""

from django.urls import path

from sozu.credit import views, views_reports

app_name = "credit"

urlpatterns = [
    path("simulador/", views.simulator, name="simulator"),
    path("simulador/csv/", views.simulator_csv, name="simulator_csv"),
    path("simulador/pdf/", views.simulator_pdf, name="simulator_pdf"),
    # reports (G)
    path("creditos/reportes/", views_reports.reports, name="reports"),
    path("creditos/reportes/cartera/", views_reports.portfolio, name="report_portfolio"),
    path("creditos/reportes/cobranzas/", views_reports.repayments, name="report_repayments"),
    path(
        "creditos/reportes/desembolsos/",
        views_reports.disbursements,
        name="report_disbursements",
    ),
    path("creditos/reportes/estado-de-cuenta/", views_reports.statement, name="report_statement"),
]
