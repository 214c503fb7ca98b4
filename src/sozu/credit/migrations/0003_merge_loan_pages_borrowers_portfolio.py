"""Loan pages, borrowers (reminders, groups, renewal), the portfolio and the on-chain
follower were built side by side, each from 0001: this joins the four lines."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0002_borrowers"),
        ("credit", "0002_loan_pages"),
        ("credit", "0002_portfolio"),
        ("credit", "0002_payment_follower_review"),
    ]

    operations: list[migrations.operations.base.Operation] = []
