"""Drives the repayment follower's crash test in its own process (the DB is shared).

    python -m tests.reliability.credit_scenario setup --loans 200
    python -m tests.reliability.credit_scenario status

Settings come from the environment (DATABASE_URL, HORIZON_URL, NETWORK_PASSPHRASE, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sozu.settings")
    import django

    django.setup()


def setup(loans: int) -> dict[str, object]:
    from decimal import Decimal

    from django.core.management import call_command

    from sozu.credit.payment_request import loan_payment_destination, loan_payment_memo
    from sozu.credit.tests.onchain import active_loans
    from sozu.orgs.services import organization_create

    call_command("migrate", verbosity=0)
    org = organization_create(
        slug="follow", name="Follower crash test", actor="test", fund_usdc=Decimal(1), channels=1
    )
    made = active_loans(org, loans)
    return {
        "wallet": org.wallet_public_key,
        "loans": [
            {
                "id": loan.pk,
                "muxed": loan_payment_destination(loan),
                "memo": loan_payment_memo(loan),
            }
            for loan in made
        ],
    }


def status() -> dict[str, object]:
    from django.db.models import Count, Sum

    from sozu.credit.models import PaymentReview, Repayment

    repayments = Repayment.objects.filter(method=Repayment.Method.STELLAR)
    by_loan = {
        str(loan): str(total)
        for loan, total in repayments.values_list("loan_id").annotate(total=Sum("amount"))
    }
    return {
        "repayments": repayments.count(),
        "operations": repayments.values("operation_id").distinct().count(),
        "total": str(repayments.aggregate(s=Sum("amount"))["s"] or 0),
        "by_loan": by_loan,
        "reviews": dict(PaymentReview.objects.values_list("reason").annotate(n=Count("id"))),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("setup").add_argument("--loans", type=int, required=True)
    sub.add_parser("status")
    args = parser.parse_args()
    _django()
    out = setup(args.loans) if args.cmd == "setup" else status()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
