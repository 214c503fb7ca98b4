"""Loan pages, borrowers (reminders, groups, renewal) and the portfolio were built side by
side, each from 0001: this joins the three lines."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0002_borrowers"),
        ("credit", "0002_loan_pages"),
        ("credit", "0002_portfolio"),
    ]

    operations: list[migrations.operations.base.Operation] = []
