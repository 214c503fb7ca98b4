"""Migration operations that turn a decimal money column into integer stroops, exactly.

Used by the migrations `orgs 0004_money_as_stroops` and `disbursements 0006_money_as_stroops`;
keep it as long as
those migrations exist. For each column: make the old one nullable, add `<name>_stroops`,
fill it exactly, drop the old one, rename the new one, and make it the final `MoneyField`.
Every step has its reverse, so the migration can be unapplied without losing a stroop.

On PostgreSQL the old column is `numeric(20, 7)`: `amount * 10000000` is an integral
numeric, and its cast to bigint is exact (nothing to truncate). On SQLite the old column held
REAL values (a `DecimalField` has NUMERIC affinity): each is read as Python reads a float,
by its shortest round-trip decimal form, and rounded to the nearest stroop. That recovers
the amount that was written for every amount below 2**28 (268,435,456), where two amounts a
stroop apart are still two different doubles; above it, SQLite may already have merged them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db import migrations, models

from sozu.fields import decimal_to_stroops, stroops_to_decimal

SEVEN_PLACES = Decimal("0.0000001")


def stored_to_stroops(value: object) -> int:
    """What SQLite returns for a NUMERIC money column (int, float or text), in stroops."""
    if isinstance(value, int):
        return value * 10_000_000
    if isinstance(value, float):
        # repr(): the shortest decimal that reads back as this float, i.e. what was written.
        return decimal_to_stroops(
            Decimal(repr(value)).quantize(SEVEN_PLACES, rounding=ROUND_HALF_EVEN)
        )
    return decimal_to_stroops(
        Decimal(str(value).strip()).quantize(SEVEN_PLACES, rounding=ROUND_HALF_EVEN)
    )


# The SQL below is built only from quoted table and column names of the migration's own models.
def _columns(apps: Any, schema_editor: Any, app_label: str, model_name: str, name: str) -> Any:
    meta = apps.get_model(app_label, model_name)._meta
    q = schema_editor.quote_name
    return (
        q(meta.db_table),
        q(meta.pk.column),
        q(meta.get_field(name).column),
        q(meta.get_field(f"{name}_stroops").column),
    )


def _copy_to_stroops(app_label: str, model_name: str, name: str) -> Callable[..., None]:
    def forward(apps: Any, schema_editor: Any) -> None:
        table, pk, old, new = _columns(apps, schema_editor, app_label, model_name, name)
        with schema_editor.connection.cursor() as cursor:
            if schema_editor.connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} SET {new} = ({old} * 10000000)::bigint"  # noqa: S608
                    f" WHERE {old} IS NOT NULL"
                )
                return
            cursor.execute(f"SELECT {pk}, {old} FROM {table} WHERE {old} IS NOT NULL")  # noqa: S608
            rows = [(stored_to_stroops(value), key) for key, value in cursor.fetchall()]
            cursor.executemany(f"UPDATE {table} SET {new} = %s WHERE {pk} = %s", rows)  # noqa: S608

    return forward


def _copy_from_stroops(app_label: str, model_name: str, name: str) -> Callable[..., None]:
    def backward(apps: Any, schema_editor: Any) -> None:
        table, pk, old, new = _columns(apps, schema_editor, app_label, model_name, name)
        with schema_editor.connection.cursor() as cursor:
            if schema_editor.connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} SET {old} = {new}::numeric / 10000000"  # noqa: S608
                    f" WHERE {new} IS NOT NULL"
                )
                return
            cursor.execute(f"SELECT {pk}, {new} FROM {table} WHERE {new} IS NOT NULL")  # noqa: S608
            rows = [(str(stroops_to_decimal(int(v))), key) for key, v in cursor.fetchall()]
            cursor.executemany(f"UPDATE {table} SET {old} = %s WHERE {pk} = %s", rows)  # noqa: S608

    return backward


def money_to_stroops(
    app_label: str,
    model_name: str,
    name: str,
    *,
    old: models.DecimalField,
    new: models.Field,
) -> list[migrations.operations.base.Operation]:
    """The operations that replace the decimal column `name` (defined as `old`) by `new`."""
    _, _, args, kwargs = old.deconstruct()
    nullable_old: models.DecimalField = models.DecimalField(*args, **{**kwargs, "null": True})
    return [
        migrations.AlterField(model_name, name, nullable_old),
        migrations.AddField(model_name, f"{name}_stroops", models.BigIntegerField(null=True)),
        migrations.RunPython(
            _copy_to_stroops(app_label, model_name, name),
            _copy_from_stroops(app_label, model_name, name),
        ),
        migrations.RemoveField(model_name, name),
        migrations.RenameField(model_name, f"{name}_stroops", name),
        migrations.AlterField(model_name, name, new),
    ]
