"""The webhooks' worker threads: work runs off the event loop, in order, at most N at once; work
cancelled before its turn never runs; an idle thread ends and a new one takes over."""

from __future__ import annotations

import asyncio
import threading
import time
from functools import partial

import pytest

from onward.engine.web.workers import Workers


def test_work_runs_in_a_thread_of_its_own_and_gives_back_its_result() -> None:
    workers = Workers(1)

    async def main() -> str:
        return await workers.run(lambda: threading.current_thread().name)

    assert asyncio.run(main()) == "onward-inbound" != threading.current_thread().name


def test_an_error_in_the_work_reaches_the_caller() -> None:
    workers = Workers(1)

    def fails() -> None:
        raise ValueError("the database went away")

    async def main() -> None:
        await workers.run(fails)

    with pytest.raises(ValueError, match="went away"):
        asyncio.run(main())


def test_one_thread_takes_the_work_in_the_order_given() -> None:
    workers = Workers(1)
    done: list[int] = []
    threads: set[str] = set()

    def work(n: int) -> int:
        threads.add(f"{threading.get_ident()}")
        time.sleep(0.001)
        done.append(n)
        return n

    async def main() -> list[int]:
        return list(await asyncio.gather(*(workers.run(partial(work, n)) for n in range(20))))

    assert asyncio.run(main()) == list(range(20))
    assert done == list(range(20)) and len(threads) == 1


def test_no_more_threads_than_allowed_work_at_once() -> None:
    workers = Workers(3)
    lock = threading.Lock()
    busy, most = 0, 0

    def work() -> None:
        nonlocal busy, most
        with lock:
            busy += 1
            most = max(most, busy)
        time.sleep(0.01)
        with lock:
            busy -= 1

    async def main() -> None:
        await asyncio.gather(*(workers.run(work) for _ in range(12)))

    asyncio.run(main())
    assert most == 3


def test_work_cancelled_before_its_turn_never_runs() -> None:
    workers = Workers(1)
    release = threading.Event()
    ran: list[str] = []

    def first_work() -> None:
        release.wait(5)
        ran.append("first")

    async def main() -> None:
        first = asyncio.ensure_future(workers.run(first_work))
        await asyncio.sleep(0.01)  # the first is running and holds the one thread
        second = workers.run(lambda: ran.append("second"))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second, 0.05)  # gives up while still queued
        release.set()
        await first
        await workers.run(lambda: ran.append("third"))

    asyncio.run(main())
    assert ran == ["first", "third"]


def test_an_idle_thread_ends_and_the_next_work_starts_another() -> None:
    workers = Workers(1, idle_seconds=0.02)

    async def once() -> int:
        return await workers.run(threading.get_ident)

    asyncio.run(once())
    deadline = time.monotonic() + 5
    while workers.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert workers.running == 0
    asyncio.run(once())  # a new loop, a new thread: the work still gets done
    assert workers.running == 1
