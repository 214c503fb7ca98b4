"""The credit pages of the dashboard (issue 12)."""

from django.urls import path

from sozu.credit import (
    loan_views,
    views,
    views_groups,
    views_portfolio,
    views_ranking,
    views_reminders,
    views_reports,
    views_review,
)

app_name = "credit"

urlpatterns = [
    path("simulador/", views.simulator, name="simulator"),
    path("simulador/csv/", views.simulator_csv, name="simulator_csv"),
    path("simulador/pdf/", views.simulator_pdf, name="simulator_pdf"),
    # loans (D)
    path("creditos/", loan_views.loan_list_page, name="loans"),
    path("creditos/nuevo/", loan_views.loan_new, name="loan_new"),
    path("creditos/productos/", loan_views.product_list_page, name="products"),
    path(
        "creditos/productos/<int:product_id>/desactivar/",
        loan_views.product_deactivate,
        name="product_deactivate",
    ),
    path("creditos/<int:loan_id>/", loan_views.loan_detail_page, name="loan_detail"),
    path("creditos/<int:loan_id>/enviar/", loan_views.loan_submit_view, name="loan_submit"),
    path("creditos/<int:loan_id>/cancelar/", loan_views.loan_cancel_view, name="loan_cancel"),
    path("creditos/<int:loan_id>/devolver/", loan_views.loan_return_view, name="loan_return"),
    path("creditos/<int:loan_id>/aprobar/", loan_views.loan_approve_view, name="loan_approve"),
    path("creditos/<int:loan_id>/pagos/", loan_views.repayment_new, name="repayment_new"),
    path(
        "creditos/<int:loan_id>/pagos/revertir/",
        loan_views.repayment_reverse_view,
        name="repayment_reverse",
    ),
    path("creditos/<int:loan_id>/prepago/", loan_views.loan_prepay_view, name="loan_prepay"),
    path(
        "creditos/<int:loan_id>/castigo/",
        loan_views.write_off_request_view,
        name="write_off_request",
    ),
    path(
        "creditos/<int:loan_id>/castigo/aprobar/",
        loan_views.write_off_approve_view,
        name="write_off_approve",
    ),
    path(
        "creditos/<int:loan_id>/castigo/retirar/",
        loan_views.write_off_withdraw_view,
        name="write_off_withdraw",
    ),
]

# borrowers (E): reminders, solidarity groups, ranking and renewal
urlpatterns += [
    path("creditos/recordatorios/", views_reminders.reminders_page, name="reminders"),
    path(
        "creditos/recordatorios/politica/",
        views_reminders.reminders_policy,
        name="reminders_policy",
    ),
    path(
        "creditos/recordatorios/baja/<int:beneficiary_id>/",
        views_reminders.reminders_opt_out_view,
        name="reminders_opt_out",
    ),
    # Twilio's webhook for answers (BAJA): signed by Twilio, not a dashboard page.
    path(
        "creditos/recordatorios/respuesta/<slug:org_slug>/",
        views_reminders.reminders_reply,
        name="reminders_reply",
    ),
    path("creditos/grupos/", views_groups.groups_page, name="groups"),
    path("creditos/grupos/nuevo/", views_groups.group_new, name="group_new"),
    path("creditos/grupos/<int:group_id>/", views_groups.group_detail, name="group_detail"),
    path(
        "creditos/grupos/<int:group_id>/otorgar/",
        views_groups.group_grant_view,
        name="group_grant",
    ),
    path(
        "creditos/grupos/<int:group_id>/cerrar/",
        views_groups.group_deactivate_view,
        name="group_deactivate",
    ),
    path("creditos/ranking/", views_ranking.ranking_page, name="ranking"),
    path("creditos/ranking/renovacion/", views_ranking.renewal_rule_view, name="renewal_rule"),
    path(
        "creditos/ranking/<int:beneficiary_id>/",
        views_ranking.borrower_cycles,
        name="borrower_cycles",
    ),
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
    path("creditos/a-revisar/", views_review.review_list, name="review"),
    path(
        "creditos/a-revisar/<int:review_id>/asignar/",
        views_review.review_assign,
        name="review_assign",
    ),
    path(
        "creditos/a-revisar/<int:review_id>/devolver/",
        views_review.review_return,
        name="review_return",
    ),
    path(
        "creditos/a-revisar/<int:review_id>/descartar/",
        views_review.review_dismiss,
        name="review_dismiss",
    ),
]
