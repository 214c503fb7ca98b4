"""Every option of every `sozu` command says what it does in `--help`."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest
from django.core.management import get_commands, load_command_class

from sozu.localnet.cli import PARSERS


def undocumented(
    parser: argparse.ArgumentParser, where: str, *, positionals: bool
) -> Iterator[str]:
    """Arguments without a help text, walking subcommands (`sozu batch create` …)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from undocumented(sub, f"{where} {name}", positionals=positionals)
            continue
        if action.help == argparse.SUPPRESS:
            continue  # hidden on purpose (e.g. --child)
        if not action.option_strings and not positionals:
            continue
        if not (action.help or "").strip():
            yield f"{where} {'/'.join(action.option_strings) or action.dest}"


def django_commands(ours: bool) -> list[tuple[str, str]]:
    return sorted(
        (name, app) for name, app in get_commands().items() if app.startswith("sozu.") == ours
    )


@pytest.mark.parametrize(("name", "app"), django_commands(ours=True))
def test_every_argument_of_our_commands_has_a_help_text(name: str, app: str) -> None:
    parser = load_command_class(app, name).create_parser("sozu", name)

    assert list(undocumented(parser, f"sozu {name}", positionals=True)) == []


@pytest.mark.parametrize("sub", sorted(PARSERS))
def test_every_argument_of_sozu_localnet_has_a_help_text(sub: str) -> None:
    parser = PARSERS[sub]()

    assert list(undocumented(parser, f"sozu localnet {sub}".rstrip(), positionals=True)) == []


@pytest.mark.parametrize(("name", "app"), django_commands(ours=False))
def test_every_option_of_djangos_commands_has_a_help_text(name: str, app: str) -> None:
    parser = load_command_class(app, name).create_parser("sozu", name)

    assert list(undocumented(parser, f"sozu {name}", positionals=False)) == []


def test_the_walk_finds_an_option_without_help() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers().add_parser("fund")
    sub.add_argument("--xlm")
    sub.add_argument("--hidden", help=argparse.SUPPRESS)

    assert list(undocumented(parser, "sozu localnet", positionals=True)) == [
        "sozu localnet fund --xlm"
    ]
