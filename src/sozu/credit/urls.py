"""The credit pages of the dashboard (issue 12): the simulator."""

from django.urls import path

from sozu.credit import views, views_groups, views_ranking, views_reminders

app_name = "credit"

urlpatterns = [
    path("simulador/", views.simulator, name="simulator"),
    path("simulador/csv/", views.simulator_csv, name="simulator_csv"),
    path("simulador/pdf/", views.simulator_pdf, name="simulator_pdf"),
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
]
