"""onward's domain: storage, timing, the inbound router, the dispatcher and the CLI."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("onward")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
