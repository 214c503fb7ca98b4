"""Pagos pages of the dashboard, and the single payout to a beneficiary."""

from django.urls import path

from sozu.disbursements.views import payouts as v

app_name = "payouts"

urlpatterns = [
    path("pagos/", v.payout_list_page, name="list"),
    path("pagos/<int:payout_id>/", v.payout_detail, name="detail"),
    path("beneficiarias/<int:beneficiary_id>/pagar/", v.payout_new, name="new"),
]
