"""The figures' queries on both backends (the large cohort plays on SQLite only)."""

from __future__ import annotations

from datetime import timedelta

from onward.engine.numbers.stats import stats_report
from onward.engine.numbers.stats_data import Scope
from onward.engine.numbers.stats_experiment import experiment_report
from tests.integration.inbound_helpers import Talk


def test_a_small_cohort_on_each_backend(talk: Talk) -> None:
    for i in range(7):
        phone = f"+1415555{3000 + i}"
        talk.say("REJECTED Acme", phone)
        talk.later(hours=1)
        if i < 5:
            talk.say("APPLIED 2", phone)
        if i == 6:
            talk.say("STOP", phone)
        talk.later(days=1)
    with talk.sessions() as session:
        report = stats_report(session, talk.clock.now(), Scope(plan="standard"))
        since = stats_report(
            session, talk.clock.now(), Scope(since=talk.clock.now() - timedelta(days=3))
        )
        experiment = experiment_report(session, "standard", talk.clock.now())
    assert report["people"] == 7
    ack = report["steps"][0]
    assert (ack["step"], ack["sent"], ack["replied"], ack["opted_out_after"]) == ("ack", 7, 5, None)
    assert report["outcomes"]["applied"] == 5 and report["outcomes"]["applications"] == 10
    assert report["outcomes"]["median_days_to_first_applied"] == round(1 / 24, 2)
    assert since["people"] is None  # three people in the last three days
    assert experiment["arms"] == []
