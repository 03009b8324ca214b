"""`onward demo` runs the standard plan end to end on a throwaway database."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from onward.engine.cli import app
from onward.engine.cli.demo_story import ANSWERS
from onward.plans import load_shipped_plan


def test_demo_delivers_every_step_of_the_standard_plan() -> None:
    result = CliRunner().invoke(app, ["demo", "--pace", "0"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "REJECTED Acme - Data Analyst" in out
    plan = load_shipped_plan("standard")
    # Every step's opening words appear, as the immediate reply or as a delivered nudge.
    for step in plan.steps:
        opening = re.split(r"[{.!?]", step.text.strip())[0][:25]
        assert opening in out, (step.id, opening)
    assert out.count("delivered:") == len(plan.steps) - 1  # the first step rides in the reply
    assert "kept that privately in your journal" in out
    assert "Counted: 2 of 5" in out
    assert "No rush" not in out  # the reflect reminder was skipped: the prompt got its answer


def test_story_walks_one_person_through_two_rejections_and_an_interview() -> None:
    result = CliRunner().invoke(app, ["demo", "--story", "--pace", "0"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Got rejected from Acme today" in out
    assert "Globex rejected me" in out
    # The second rejection's plan speaks of Globex; the first plan's later steps were replaced.
    assert "interview with Globex" in out
    assert "Good luck with Initech" in out
    # The evening before, the prep nudge brings back what they wrote after a rejection.
    prep = out[out.index("Your interview with Initech") :]
    quoted = re.findall(r'You wrote on [^:]+: "([^"]+)"', " ".join(prep.split()))
    own_words = " ".join(" ".join(lines) for lines in ANSWERS.values())
    assert quoted and all(excerpt in own_words for excerpt in quoted)
    # The time they set for their first application comes back as its own nudge.
    assert "Got it: tomorrow at 10:00" in out and "your application slot" in out
    # JOURNAL: their journal, theirs to keep, as a link that opens once.
    assert "/journal/" in out and "The link opens once" in out
    assert "An offer, that's wonderful news" in out
