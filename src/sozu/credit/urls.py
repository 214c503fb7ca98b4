"""The credit pages of the dashboard (issue 12): the simulator, the payments to review."""

from django.urls import path

from sozu.credit import views, views_review

app_name = "credit"

urlpatterns = [
    path("simulador/", views.simulator, name="simulator"),
    path("simulador/csv/", views.simulator_csv, name="simulator_csv"),
    path("simulador/pdf/", views.simulator_pdf, name="simulator_pdf"),
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
