"""URLs of the disbursement API (every one is described in api_schema.py)."""

from django.urls import path, re_path

from sozu.disbursements import api
from sozu.webhooks import api as webhooks_api

app_name = "disbursements"

urlpatterns = [
    path("api/v1/openapi.json", api.openapi_api, name="openapi"),
    path("api/v1/payouts", api.payouts_api, name="payouts"),
    path("api/v1/payouts/<int:payout_id>", api.payout_detail_api, name="payout"),
    path("api/v1/batches", api.batches_api, name="batches"),
    path("api/v1/batches/<int:batch_id>", api.batch_detail_api, name="batch"),
    path("api/v1/batches/<int:batch_id>/lines", api.batch_lines_api, name="batch-lines"),
    path("api/v1/batches/<int:batch_id>/export.csv", api.batch_export_api, name="batch-export"),
    path("api/v1/batches/<int:batch_id>/execute", api.batch_execute_api, name="batch-execute"),
    path("api/v1/batches/<int:batch_id>/pause", api.batch_pause_api, name="batch-pause"),
    path("api/v1/batches/<int:batch_id>/resume", api.batch_resume_api, name="batch-resume"),
    path("api/v1/batches/<int:batch_id>/cancel", api.batch_cancel_api, name="batch-cancel"),
    path("api/v1/batches/<int:batch_id>/retry", api.batch_retry_api, name="batch-retry"),
    path("api/v1/webhooks", webhooks_api.webhooks_api, name="webhooks"),
    path("api/v1/webhooks/<int:webhook_id>", webhooks_api.webhook_detail_api, name="webhook"),
    # Anything else under the API answers a problem+json 404, never an HTML page.
    re_path(r"^api/v1/.*$", api.not_found_api, name="not-found"),
]
