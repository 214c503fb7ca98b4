"""`sozu apikey create|list|revoke`: an organization's keys for the JSON API."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from sozu.errors import SozuError
from sozu.orgs.management.base import SozuCommand, operator, organization_by_slug, table
from sozu.orgs.models import ApiKey
from sozu.orgs.services import API_KEY_PREFIX, apikey_create, apikey_revoke


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class Command(SozuCommand):
    help = "Create, list and revoke an organization's API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = sub.add_parser("create", help="a new key, printed once")
        create.add_argument(
            "--org",
            required=True,
            metavar="SLUG",
            help="the organization's slug (as in `sozu createorg SLUG`)",
        )
        create.add_argument("--name", default="", help="what the key is for")
        listing = sub.add_parser("list", help="the organization's keys (never the keys themselves)")
        listing.add_argument(
            "--org",
            required=True,
            metavar="SLUG",
            help="the organization's slug (as in `sozu createorg SLUG`)",
        )
        revoke = sub.add_parser("revoke", help="stop a key from working, at once")
        revoke.add_argument("prefix", help="the key's prefix (as in `apikey list`) or the key")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        org = organization_by_slug(options["org"])
        key, token = apikey_create(organization=org, name=options["name"], actor=operator())
        self.note(f"API key {key.prefix} created for “{org.slug}”. It is shown only this once:")
        self.show_once(token)

    def _list(self, options: dict[str, Any]) -> None:
        org = organization_by_slug(options["org"])
        keys = ApiKey.objects.filter(organization=org).order_by("created_at")
        rows = [
            [
                k.prefix,
                k.name or "—",
                _when(k.created_at),
                _when(k.last_used_at),
                f"revoked {_when(k.revoked_at)}" if k.revoked_at else "active",
            ]
            for k in keys
        ]
        if not rows:
            self.say(f"“{org.slug}” has no API keys: sozu apikey create --org {org.slug}")
            return
        self.say(table(["PREFIX", "NAME", "CREATED", "LAST USED", "STATUS"], rows))

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = options["prefix"]
        parts = prefix.split("_", 2)
        if len(parts) == 3 and parts[0] == API_KEY_PREFIX:  # the whole key was pasted
            prefix = parts[1]
        key = ApiKey.objects.select_related("organization").filter(prefix=prefix).first()
        if key is None:
            raise SozuError("not_found")
        if key.revoked_at is not None:
            self.say(f"API key {key.prefix} of “{key.organization.slug}” was already revoked.")
            return
        apikey_revoke(key=key, actor=operator())
        self.say(f"API key {key.prefix} of “{key.organization.slug}” revoked.")
