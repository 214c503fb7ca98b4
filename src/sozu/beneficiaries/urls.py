"""Beneficiarias pages of the dashboard (the single payout, beneficiarias/<id>/pagar/, is
the Pagos pages')."""

from django.urls import path

from sozu.beneficiaries import views as v

app_name = "beneficiaries"

urlpatterns = [
    path("beneficiarias/", v.beneficiary_list_page, name="list"),
    path("beneficiarias/nueva/", v.beneficiary_new, name="new"),
    path("beneficiarias/importar/", v.beneficiary_import, name="import"),
    path("beneficiarias/verificar/", v.beneficiaries_check_view, name="check-all"),
    path("beneficiarias/<int:beneficiary_id>/", v.beneficiary_detail_page, name="detail"),
    path("beneficiarias/<int:beneficiary_id>/editar/", v.beneficiary_edit, name="edit"),
    path("beneficiarias/<int:beneficiary_id>/aprobar/", v.beneficiary_approve_view, name="approve"),
    path("beneficiarias/<int:beneficiary_id>/rechazar/", v.beneficiary_reject_view, name="reject"),
    path(
        "beneficiarias/<int:beneficiary_id>/desactivar/",
        v.beneficiary_deactivate_view,
        name="deactivate",
    ),
    path(
        "beneficiarias/<int:beneficiary_id>/reactivar/",
        v.beneficiary_reactivate_view,
        name="reactivate",
    ),
    path("beneficiarias/<int:beneficiary_id>/reabrir/", v.beneficiary_reopen_view, name="reopen"),
    path("beneficiarias/<int:beneficiary_id>/verificar/", v.beneficiary_check_view, name="check"),
    path(
        "beneficiarias/<int:beneficiary_id>/adjuntos/", v.attachment_add_view, name="attachment-add"
    ),
    path("beneficiarias/adjuntos/<int:attachment_id>/", v.attachment_download, name="attachment"),
    path(
        "beneficiarias/adjuntos/<int:attachment_id>/quitar/",
        v.attachment_remove_view,
        name="attachment-remove",
    ),
]
