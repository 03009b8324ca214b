"""Process-wide CLI state: global flags and the runtime, built once on first use."""

from __future__ import annotations

from dataclasses import dataclass

from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.migrate import require_current


@dataclass
class CliState:
    debug: bool = False
    _runtime: Runtime | None = None

    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = Runtime(load_settings())
        return self._runtime

    def ready(self) -> Runtime:
        """The runtime, once the database's schema is this onward's (else one clear line)."""
        runtime = self.runtime()
        require_current(runtime.engine)
        return runtime

    def use(self, runtime: Runtime | None) -> None:
        """Tests and `onward demo` hand in a runtime of their own."""
        if self._runtime is not None and self._runtime is not runtime:
            self._runtime.close()
        self._runtime = runtime


state = CliState()
