"""`sozu credit remind`: one pass of reminders (write today's, then deliver the outbox).

Kept apart from the `credit` command's module; that command only registers the parser and
calls `handle_remind`. Safe to run from several machines at once (the outbox rows are
claimed under row locks). `--now` injects the clock (an ISO date-time) for tests and replays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from sozu.credit.errors_borrowers import SozuError
from sozu.credit.services.reminders import reminders_deliver, reminders_enqueue
from sozu.orgs.management.base import SozuCommand, organization_by_slug


def add_remind_parser(sub: Any) -> None:
    remind = sub.add_parser(
        "remind",
        help="send payment reminders: write today's reminders, then deliver the outbox",
        description=(
            "One pass: write the reminders due today (days before each due date and days late, "
            "per the organization's or product's policy; opted-out borrowers are skipped), "
            "then send the queued messages through the notifier set by SOZU_NOTIFIER "
            "(console by default). Safe to run concurrently and more than once a day."
        ),
    )
    remind.add_argument("--organization", metavar="SLUG", help="only this organization")
    remind.add_argument(
        "--now",
        metavar="YYYY-MM-DDTHH:MM",
        help="the moment to act as (default: now); a date alone means 09:00 that day",
    )
    step = remind.add_mutually_exclusive_group()
    step.add_argument("--enqueue-only", action="store_true", help="write reminders, send none")
    step.add_argument("--deliver-only", action="store_true", help="only send the outbox")
    remind.add_argument(
        "--limit", type=int, default=500, help="most messages sent in this pass (default 500)"
    )


def _moment(text: str | None) -> dt.datetime:
    if not text:
        return timezone.now()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise SozuError("invalid_field", field="--now") from exc
    if len(text) == 10:
        value = value.replace(hour=9)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def handle_remind(command: SozuCommand, options: dict[str, Any]) -> None:
    now = _moment(options.get("now"))
    org_id = None
    if options.get("organization"):
        org_id = organization_by_slug(options["organization"]).pk
    if not options.get("deliver_only"):
        e = reminders_enqueue(now=now, organization_id=org_id)
        command.say(
            f"{e.created} aviso(s) nuevos, {e.already} ya estaban, "
            f"{e.opted_out} sin enviar por baja"
        )
    if not options.get("enqueue_only"):
        d = reminders_deliver(now=now, organization_id=org_id, limit=options["limit"])
        command.say(
            f"{d.sent} enviado(s), {d.retry} a reintentar, {d.failed} fallido(s), "
            f"{d.skipped} omitido(s) por baja"
        )


__all__ = ["add_remind_parser", "handle_remind"]
