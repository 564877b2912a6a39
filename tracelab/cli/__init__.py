"""The ``tracelab`` command line (DESIGN.md section 7): one module per sub-command.

Each sub-command module defines ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning the exit status.
Errors a user can fix are reported as one line on stderr with a non-zero status.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main"]

#: Sub-command modules, in the order ``tracelab --help`` lists them.
_COMMANDS = ("synth", "validate", "trace", "pairs", "brief", "replay", "demo", "venues", "audit",
             "purge", "layout")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracelab", description="Venue-code (场所码) contact tracing workbench."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"tracelab.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tracelab.cli.{name}":
                raise
            continue  # a sub-command not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError, PermissionError) as exc:
        print(f"tracelab {args.command}: error: {exc}", file=sys.stderr)
        return 2
