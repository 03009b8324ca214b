"""RetryPolicy: backoff, jitter, caps and Retry-After, as tables and as properties."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onward.channels.net import parse_retry_after
from onward.engine.dispatch.retry import HARD_CAP, RetryDecision, RetryPolicy

NOW = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def const(value: float) -> Callable[[], float]:
    return lambda: value


def wait_of(policy: RetryPolicy, attempts: int, **kwargs: Any) -> timedelta:
    """The wait of a decision that must be a retry."""
    decision = policy.decide(attempts, NOW, **kwargs)
    assert decision is not None
    return decision.wait


@pytest.mark.parametrize(
    ("attempts", "low", "high"),
    [
        (1, timedelta(seconds=24), timedelta(seconds=30)),
        (2, timedelta(seconds=48), timedelta(seconds=60)),
        (3, timedelta(seconds=96), timedelta(seconds=120)),
        (4, timedelta(seconds=192), timedelta(seconds=240)),
        (5, timedelta(seconds=384), timedelta(seconds=480)),
    ],
)
def test_default_backoff_table(attempts: int, low: timedelta, high: timedelta) -> None:
    policy = RetryPolicy()
    assert policy.decide(attempts, NOW, rand=const(0.0)) == RetryDecision(NOW + low, low)
    assert wait_of(policy, attempts, rand=const(1.0)) == high


def test_jitter_is_proportional_between_its_bounds() -> None:
    policy = RetryPolicy(base=timedelta(seconds=100), jitter=0.5)
    assert wait_of(policy, 1, rand=const(0.5)) == timedelta(seconds=75)
    full = RetryPolicy(base=timedelta(seconds=100), jitter=1.0)
    assert wait_of(full, 1, rand=const(0.0)) == timedelta(0)
    none = RetryPolicy(base=timedelta(seconds=100), jitter=0.0)
    assert wait_of(none, 1, rand=const(0.9)) == timedelta(seconds=100)


def test_out_of_range_rand_is_clamped() -> None:
    policy = RetryPolicy(base=timedelta(seconds=100), jitter=0.5)
    assert wait_of(policy, 1, rand=const(-3.0)) == timedelta(seconds=50)
    assert wait_of(policy, 1, rand=const(7.0)) == timedelta(seconds=100)


def test_exhausted_attempts_give_none() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.decide(2, NOW) is not None
    assert policy.decide(3, NOW) is None
    assert policy.decide(30, NOW) is None
    assert RetryPolicy(max_attempts=1).decide(1, NOW) is None


def test_backoff_is_capped_at_max_wait() -> None:
    policy = RetryPolicy(max_attempts=100, max_wait=timedelta(hours=1), jitter=0.0)
    assert wait_of(policy, 20) == timedelta(hours=1)
    assert wait_of(policy, 99) == timedelta(hours=1)


def test_huge_attempt_counts_do_not_overflow() -> None:
    policy = RetryPolicy(max_attempts=10**6, factor=10.0, jitter=0.0)
    assert wait_of(policy, 5000) == policy.max_wait


def test_zero_attempts_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy().decide(0, NOW)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (timedelta(seconds=5), timedelta(seconds=24)),  # backoff already longer
        (timedelta(seconds=90), timedelta(seconds=90)),
        (timedelta(hours=3), timedelta(hours=3)),  # past max_wait, still honoured
        (timedelta(hours=30), HARD_CAP),
        (timedelta(seconds=-10), timedelta(seconds=24)),
        (timedelta(0), timedelta(seconds=24)),
    ],
)
def test_retry_after_is_a_floor_up_to_the_hard_cap(
    retry_after: timedelta, expected: timedelta
) -> None:
    decision = RetryPolicy().decide(1, NOW, retry_after=retry_after, rand=const(0.0))
    assert decision == RetryDecision(NOW + expected, expected)


def test_retry_after_does_not_revive_exhausted_attempts() -> None:
    assert RetryPolicy(max_attempts=2).decide(2, NOW, retry_after=timedelta(seconds=1)) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"base": timedelta(0)},
        {"factor": 0.5},
        {"factor": float("nan")},
        {"max_wait": timedelta(seconds=1)},
        {"jitter": -0.1},
        {"jitter": 1.5},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 0 ", timedelta(0)),
        ("1.2", timedelta(seconds=2)),  # rounded up: never early
        ("Sun, 10 Mar 2024 12:02:00 GMT", timedelta(minutes=2)),
        ("Sun, 10 Mar 2024 13:02:00 +0100", timedelta(minutes=2)),
        ("Sun, 10 Mar 2024 12:02:00 -0000", timedelta(minutes=2)),
        ("Wed, 21 Oct 2015 07:28:00 GMT", timedelta(0)),  # in the past
        ("999999999999", timedelta(days=366)),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1e5", None),
        ("Sun, 32 Mar 2024 12:02:00 GMT", None),
        ("Sun, 10 Mar 99999 12:02:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_retry_after("5", datetime(2024, 1, 1))


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 30),
    base=st.timedeltas(timedelta(seconds=1), timedelta(minutes=10)),
    factor=st.floats(1.0, 5.0),
    max_wait=st.timedeltas(timedelta(minutes=10), timedelta(hours=6)),
    jitter=st.floats(0.0, 1.0),
)
retry_afters = st.none() | st.timedeltas(timedelta(seconds=-60), timedelta(days=3))


@settings(max_examples=200, deadline=None)
@given(policies, st.integers(1, 40), retry_afters, st.floats(0.0, 1.0))
def test_wait_respects_retry_after_and_caps(
    policy: RetryPolicy, attempts: int, retry_after: timedelta | None, r: float
) -> None:
    decision = policy.decide(attempts, NOW, retry_after=retry_after, rand=const(r))
    if attempts >= policy.max_attempts:
        assert decision is None
        return
    assert decision is not None
    floor = min(max(retry_after or timedelta(0), timedelta(0)), HARD_CAP)
    assert decision.wait >= floor
    assert decision.wait <= max(policy.max_wait, floor)
    assert decision.wait >= timedelta(0)
    assert decision.retry_at == NOW + decision.wait


@settings(max_examples=100, deadline=None)
@given(policies, st.floats(0.0, 1.0))
def test_waits_never_shrink_as_attempts_grow(policy: RetryPolicy, r: float) -> None:
    # For a fixed draw the wait is linear in the backoff, so the expected wait (r = 0.5) and
    # every other quantile are non-decreasing in attempts.
    waits = [wait_of(policy, n, rand=const(r)) for n in range(1, policy.max_attempts)]
    assert waits == sorted(waits)
