"""`python -m onward.engine.cli`: the same entry point as the `onward` console script."""

from __future__ import annotations

from onward.engine.cli import run

run()
