"""The coaches' console under /console/: sign-in, the queue, a person's page, plans, numbers."""

from onward.engine.web.console.pages import ConsoleDeps, console_routes

__all__ = ["ConsoleDeps", "console_routes"]
