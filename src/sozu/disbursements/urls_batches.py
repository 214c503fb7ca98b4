"""Lotes pages of the dashboard."""

from django.urls import path

from sozu.disbursements.views import batches as v

app_name = "batches"

urlpatterns = [
    path("lotes/", v.batch_list_page, name="list"),
    path("lotes/nuevo/", v.batch_new, name="new"),
    path("lotes/elegir/", v.batch_pick, name="pick"),
    path("lotes/<int:batch_id>/", v.batch_detail, name="detail"),
    path("lotes/<int:batch_id>/lote.csv", v.batch_export, name="export"),
    path("lotes/<int:batch_id>/enviar/", v.batch_submit, name="submit"),
    path("lotes/<int:batch_id>/aprobar/", v.batch_approve_view, name="approve"),
    path("lotes/<int:batch_id>/ejecutar/", v.batch_execute_view, name="execute"),
    path("lotes/<int:batch_id>/pausar/", v.batch_pause_view, name="pause"),
    path("lotes/<int:batch_id>/reanudar/", v.batch_resume_view, name="resume"),
    path("lotes/<int:batch_id>/cancelar/", v.batch_cancel_view, name="cancel"),
    path("lotes/<int:batch_id>/reintentar/", v.batch_retry_view, name="retry"),
]
