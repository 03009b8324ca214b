"""One follow-up run serves every event that came while it waited, and none is left unserved."""

from __future__ import annotations

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
