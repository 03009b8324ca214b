"""The daemon's wake-up job after inbound messages: set for the earliest due step, and set
again once the last one has gone off, however often the same time is looked up."""

from __future__ import annotations

from tests.integration.web_helpers import WebRig

SMS = "/webhooks/console/sms"


def test_the_wake_up_is_set_again_after_it_went_off(rig: WebRig) -> None:
    assert rig.client.post(SMS, json={"from": "+14155550100", "body": "REJECTED Acme"}).is_success
    daemon = rig.daemon
    daemon.wake_soon()
    assert daemon.scheduler.get_job("wake") is not None
    daemon.scheduler.remove_job("wake")  # it went off (a date job is gone once run)
    daemon.wake_soon()  # the same earliest due time, looked up again
    assert daemon.scheduler.get_job("wake") is not None


def test_no_wake_up_when_nothing_is_due_ever(rig: WebRig) -> None:
    rig.daemon.wake_soon()
    assert rig.daemon.scheduler.get_job("wake") is None
