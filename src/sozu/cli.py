"""The `sozu` command: `sozu localnet …` runs the local network; everything else is Django."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "localnet":
        # The local network is a peer of the platform: it imports nothing of the Django apps.
        from sozu.localnet.cli import main as localnet_main

        sys.exit(localnet_main(args[1:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sozu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sozu", *args])


if __name__ == "__main__":
    main()
