"""The follower loop: for every lending organization, apply the next pages of its wallet's
incoming payments (services/follower.py holds the rules; this loop only drives them).

Several followers may run at once (PostgreSQL): the lease on each organization's cursor row
spreads the work and the cursor check under the row lock keeps every payment applied once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections

from sozu.credit.services.follower import follow_page, follower_organizations, follower_release
from sozu.orgs.models import Organization
from sozu.stellar.horizon import READ_ERRORS

log = logging.getLogger(__name__)
TROUBLE_BACKOFF_SECONDS = 1.0
TROUBLE_BACKOFF_MAX = 30.0
#: How often the list of organizations to follow is read again.
ORGS_REFRESH_SECONDS = 30.0


@dataclass
class Follower:
    name: str
    poll_seconds: float = 1.0
    stop_event: threading.Event = field(default_factory=threading.Event)
    applied: int = 0
    queued: int = 0
    _orgs: list[Organization] = field(default_factory=list)
    _orgs_at: float = 0.0

    def organizations(self) -> list[Organization]:
        if time.monotonic() - self._orgs_at > ORGS_REFRESH_SECONDS or not self._orgs:
            self._orgs = follower_organizations()
            self._orgs_at = time.monotonic()
        return self._orgs

    def tick(self) -> bool:
        """One page per organization; True while some organization has more to read."""
        busy = False
        for org in self.organizations():
            if self.stop_event.is_set():
                break
            result = follow_page(organization=org, worker=self.name)
            self.applied += result.applied
            self.queued += result.queued
            # A page dropped because another follower moved the cursor is read again at once;
            # an organization whose lease another follower holds (nothing read) is its work.
            busy = busy or (result.read > 0 and not result.caught_up)
        return busy

    def run(self, *, until_idle: bool = False) -> None:
        """Follow until stop_event is set (a signal), or until caught up when asked.

        No error ends the loop: Horizon or database trouble is logged and retried after a
        growing pause; the state is in the database, so nothing is lost."""
        failures = 0
        try:
            while not self.stop_event.is_set():
                try:
                    busy = self.tick()
                    failures = 0
                except Exception as exc:
                    failures += 1
                    pause = min(TROUBLE_BACKOFF_SECONDS * 2 ** (failures - 1), TROUBLE_BACKOFF_MAX)
                    extra = {"follower": self.name, "error": type(exc).__name__, "retry_in": pause}
                    if isinstance(exc, READ_ERRORS):
                        log.warning("network trouble; retrying", extra=extra)
                    else:
                        log.exception("follower step failed; retrying", extra=extra)
                    close_old_connections()
                    self.stop_event.wait(pause)
                    continue
                if until_idle and not busy:
                    break
                if not busy:
                    self.stop_event.wait(self.poll_seconds)
        finally:
            for org in self._orgs:
                try:
                    follower_release(organization_id=org.pk, worker=self.name)
                except Exception:  # a database gone away: the lease simply expires
                    log.warning("could not release lease", extra={"follower": self.name})
