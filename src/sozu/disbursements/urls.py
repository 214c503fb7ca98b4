"""URLs of the disbursement API."""

urlpatterns: list[object] = []
