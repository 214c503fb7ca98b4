"""Running `sozu` commands in-process for tests, and checking they never print a secret seed."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from django.core.management import call_command

#: A Stellar secret seed: what no command may ever print.
SEED = re.compile(r"S[A-Z2-7]{55}")


@dataclass(frozen=True)
class Ran:
    out: str
    err: str
    code: int


def run_sozu(*args: str) -> Ran:
    """`sozu ARGS` as the command line runs it: stdout, stderr and the exit status."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    ran = Ran(out.getvalue(), err.getvalue(), code)
    assert not SEED.search(ran.out + ran.err), "a secret seed was printed"
    return ran
