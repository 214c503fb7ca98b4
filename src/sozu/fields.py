"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class MoneyField(models.DecimalField):
    """An amount with Stellar's precision: up to 13 integer digits and exactly 7 decimals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 7)
        super().__init__(*args, **kwargs)
