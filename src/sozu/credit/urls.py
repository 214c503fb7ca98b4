"""The credit pages of the dashboard (issue 12): the simulator."""

from django.urls import path

from sozu.credit import views, views_portfolio

app_name = "credit"

urlpatterns = [
    path("simulador/", views.simulator, name="simulator"),
    path("simulador/csv/", views.simulator_csv, name="simulator_csv"),
    path("simulador/pdf/", views.simulator_pdf, name="simulator_pdf"),
    # portfolio (F): mora (arrears, follow-ups, the arrears report) and indicators
    path("creditos/mora/", views_portfolio.arrears, name="arrears"),
    *[
        path(
            f"creditos/mora/reporte.{kind}",
            views_portfolio.arrears_export,
            {"kind": kind},
            name=f"arrears_{kind}",
        )
        for kind in ("csv", "xlsx", "pdf")
    ],
    path(
        "creditos/mora/<int:loan_id>/seguimiento/",
        views_portfolio.loan_follow_up,
        name="loan_follow_up",
    ),
    path("creditos/indicadores/", views_portfolio.indicators_page, name="indicators"),
]
