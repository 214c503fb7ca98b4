"""`sozu audit verify [--org SLUG]`: recompute the audit chains' hashes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from sozu.audit.models import AuditEvent
from sozu.audit.services import audit_verify_chain
from sozu.orgs.management.base import SozuCommand, organization_by_slug
from sozu.orgs.models import Organization


class Command(SozuCommand):
    help = "Check the audit log: every event's hash matches its content and the one before it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = sub.add_parser("verify", help="verify one organization's chain, or all of them")
        verify.add_argument("--org", metavar="SLUG", help="only this organization")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["org"]:
            chains: list[tuple[str, int | None]] = [
                (options["org"], organization_by_slug(options["org"]).pk)
            ]
        else:
            chains = [("(platform)", None)] + [
                (o.slug, o.pk) for o in Organization.objects.order_by("slug")
            ]
        broken = 0
        for name, org_id in chains:
            count = AuditEvent.objects.filter(organization_id=org_id).count()  # type: ignore[misc]
            bad = audit_verify_chain(organization_id=org_id)
            if bad is None:
                self.say(f"{name}: intact ({count} events)")
            else:
                broken += 1
                self.say(f"{name}: BROKEN at event #{bad} ({count} events)")
        if broken:
            self.fail(f"{broken} audit chain(s) do not verify.")
