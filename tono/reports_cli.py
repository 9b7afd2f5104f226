"""(being built for [reporting]): the `tono reports` commands."""

from __future__ import annotations

import argparse


def add_reports_commands(commands: argparse._SubParsersAction) -> None:
    """Add `tono reports …` to the command line."""
