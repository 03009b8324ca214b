"""One follow-up run serves every event that came while it waited, and none is left unserved."""

from __future__ import annotations

import pytest

from onward.engine.web.coalesce import Coalesced


def test_events_while_a_run_waits_are_served_by_it() -> None:
    runs: list[int] = []
    wake = Coalesced(lambda: runs.append(1))
    assert wake.request()  # the first event schedules a run
    assert not wake.request()  # the next ones find it waiting
    assert not wake.request()
    wake.run()
    assert runs == [1]


def test_an_event_after_the_run_started_gets_a_run_of_its_own() -> None:
    seen: list[bool] = []
    wake = Coalesced(lambda: seen.append(wake.request()))  # an event lands while it works
    assert wake.request()
    wake.run()
    assert seen == [True]  # that event was not left to a run that had already read
    assert not wake.request()  # and the run it scheduled serves the events after it


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_run_waits_until_the_spacing_since_the_last_one_started_is_over() -> None:
    ticks = Ticks()
    wake = Coalesced(lambda: None, spacing=0.1, monotonic=ticks)
    assert wake.request()
    assert wake.delay() == 0.0  # the first run goes at once
    wake.run()
    ticks.now += 0.03
    assert wake.request()
    assert abs(wake.delay() - 0.07) < 1e-9  # the next one waits out the rest of the spacing
    ticks.now += 0.07
    assert wake.delay() == 0.0
    wake.run()
    ticks.now += 0.5
    assert wake.request()
    assert wake.delay() == 0.0  # long after the last run: at once again


def test_events_while_a_spaced_run_waits_are_served_by_it() -> None:
    ticks = Ticks()
    runs: list[float] = []
    wake = Coalesced(lambda: runs.append(ticks.now), spacing=0.1, monotonic=ticks)
    assert wake.request()
    wake.run()
    ticks.now += 0.01
    assert wake.request()  # schedules a run 0.09 s away
    ticks.now += 0.05
    assert not wake.request()  # finds it waiting: it will read what this event wrote
    ticks.now += 0.04
    wake.run()
    assert runs == pytest.approx([100.0, 100.1])


def test_without_spacing_a_run_never_waits() -> None:
    wake = Coalesced(lambda: None)
    for _ in range(3):
        assert wake.request()
        assert wake.delay() == 0.0
        wake.run()
