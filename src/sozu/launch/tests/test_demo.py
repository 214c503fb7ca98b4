"""The demo data `sozu start` makes on the local network: ready to pay from the first page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sozu.beneficiaries.models import Beneficiary
from sozu.launch.demo import DEMO_BENEFICIARIES, demo_ensure
from sozu.web.tests.helpers import staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_beneficiaries_are_ready_to_receive_as_the_network_says(
    tmp_path: Path, net_settings: Any
) -> None:
    demo = demo_ensure(var_dir=tmp_path, actor="test")

    assert len(demo.beneficiaries) == len(DEMO_BENEFICIARIES)
    for b in demo.beneficiaries:
        assert b.ready_to_receive is True and b.readiness_code == ""
        assert b.readiness_checked_at is not None
    viewer = staff(demo.organization, "viewer")
    client = Client()
    client.force_login(viewer.user)
    page = client.get(reverse("beneficiaries:list")).content.decode()
    assert "Sin verificar" not in page
    assert page.count('<span class="badge">Sí</span>') == len(DEMO_BENEFICIARIES)

    # A second start asks nothing again: every demo beneficiary has been checked.
    checked = {b.pk: b.readiness_checked_at for b in demo.beneficiaries}
    demo_ensure(var_dir=tmp_path, actor="test")
    again = Beneficiary.objects.filter(organization=demo.organization)
    assert {b.pk: b.readiness_checked_at for b in again} == checked
