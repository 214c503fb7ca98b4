"""The site's URLs, plus a stand-in for the Pagos pages' single payout when they are absent
(a test checks where the beneficiary page sends "Pagarle")."""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path

from sozu import urls as site

urlpatterns: list[URLPattern | URLResolver] = list(site.urlpatterns)


def _stand_in(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    return HttpResponse("single payout form")


if "payouts" not in get_resolver("sozu.urls").namespace_dict:
    urlpatterns.append(
        path(
            "",
            include(
                (
                    [path("beneficiarias/<int:beneficiary_id>/pagar/", _stand_in, name="new")],
                    "payouts",
                )
            ),
        )
    )
