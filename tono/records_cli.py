"""(being built for [reporting]): the `tono records` commands."""

from __future__ import annotations

import argparse


def add_records_commands(commands: argparse._SubParsersAction) -> None:
    """Add `tono records …` to the command line."""
