"""Checks before money moves: limits, the rolling daily cap, funds, and each destination."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone
from stellar_sdk import MuxedAccount

from sozu.disbursements.models import Payout
from sozu.disbursements.services.lines import LineSpec
from sozu.disbursements.services.transitions import RESERVED_PAYOUT_STATUSES
from sozu.errors import SozuError
from sozu.orgs.models import Organization
from sozu.stellar import network
from sozu.stellar.horizon import AccountInfo

P = Payout.Status


def check_limits(org: Organization, specs: Iterable[LineSpec]) -> Decimal:
    """The total of the lines, after checking per-line and per-batch maximums."""
    total = Decimal(0)
    errors = []
    for s in specs:
        if s.amount > org.max_payout_amount:
            errors.append(
                {
                    "line": s.line,
                    "code": "line_over_max",
                    "message": SozuError(
                        "line_over_max", amount=s.amount, max=org.max_payout_amount
                    ).message,
                }
            )
        total += s.amount
    if errors:
        raise SozuError("invalid_lines", errors=errors, count=len(errors))
    if total > org.max_batch_total:
        raise SozuError("batch_over_max", total=total, max=org.max_batch_total)
    return total


def _sum(qs: object) -> Decimal:
    # Exact: amounts are integer stroops in the database and come back as Decimal.
    value = qs.aggregate(s=Sum("amount"))["s"]  # type: ignore[attr-defined]
    return value if value is not None else Decimal(0)


def lock_for_money(org: Organization) -> Organization:
    """The organization's row, locked until the transaction ends, with its current limits.

    Every path that queues money takes this lock, then checks the daily cap and the funds,
    then writes: two requests can no longer both pass a check that only one of them fits in.
    Call inside `transaction.atomic()`. On SQLite `select_for_update` does nothing, but each
    transaction begins IMMEDIATE (settings), which serializes writers the same way.

    NO KEY UPDATE, not UPDATE: rows that reference the organization (audit events, payouts,
    transactions) can still be inserted meanwhile, so a transaction that holds, say, the audit
    chain and inserts such a row does not deadlock with one that holds this lock and audits.
    """
    return Organization.objects.select_for_update(no_key=True).get(pk=org.pk)


def check_daily_cap(org: Organization, amount: Decimal) -> None:
    since = timezone.now() - timedelta(hours=24)
    used = _sum(
        Payout.objects.filter(
            organization=org, queued_at__gte=since, status__in=(P.QUEUED, P.IN_FLIGHT, P.PAID)
        )
    )
    if used + amount > org.daily_cap:
        raise SozuError("daily_cap_exceeded", total=used + amount, cap=org.daily_cap)


def reserved_amount(org: Organization) -> Decimal:
    """Money already promised: queued and in-flight payouts count as spent."""
    return _sum(Payout.objects.filter(organization=org, status__in=RESERVED_PAYOUT_STATUSES))


def wallet_usdc_balance(org: Organization) -> Decimal:
    asset = network.usdc_asset()
    try:
        info = network.client().account(org.wallet_public_key)
    except Exception as exc:
        raise SozuError("network_unavailable", detail=type(exc).__name__) from None
    if info is None:
        return Decimal(0)
    line = info.trustline(asset.code, asset.issuer or "")
    return line.balance if line else Decimal(0)


def check_funds(org: Organization, needed: Decimal) -> None:
    # Reserved first, balance second: a payout that settles in between is then counted twice
    # (refusing a little early), never in neither (which would promise the same money twice).
    reserved = reserved_amount(org)
    available = wallet_usdc_balance(org) - reserved
    if available < needed:
        raise SozuError("org_underfunded", available=max(available, Decimal(0)), needed=needed)


def account_of(destination: str) -> str:
    if destination.startswith("M"):
        return MuxedAccount.from_account(destination).account_id
    return destination


def destination_problem(info: AccountInfo | None) -> str | None:
    """Why this account cannot receive USDC (a failure code), or None if it can."""
    if info is None:
        return "destination_not_found"
    asset = network.usdc_asset()
    if asset.issuer == info.account_id:
        return None
    line = info.trustline(asset.code, asset.issuer or "")
    if line is None:
        return "destination_no_trustline"
    if not line.authorized:
        return "destination_not_authorized"
    return None


def destination_problems(destinations: Iterable[str], *, workers: int = 16) -> dict[str, str]:
    """Destination → failure code, for those that cannot receive USDC now.

    Network errors propagate: a line is never failed because Horizon was unreachable.
    """
    accounts = {d: account_of(d) for d in set(destinations)}
    unique = sorted(set(accounts.values()))
    client = network.client()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique)))) as pool:
        infos = dict(zip(unique, pool.map(client.account, unique), strict=True))
    problems = {}
    for dest, acct in accounts.items():
        code = destination_problem(infos[acct])
        if code:
            problems[dest] = code
    return problems
