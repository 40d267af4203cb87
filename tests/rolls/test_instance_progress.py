"""The instance tracker on CloudFormation's ASG reason strings and on instance lists."""

from __future__ import annotations

from tui.clients.models import Instance, Process, Service
from tui.core.rolls.instance_progress import InstanceTracker, ServiceCount, service_counts

OLD = ("i-0aaa", "i-0bbb", "i-0ccc")
START = (
    "Rolling update initiated. Terminating 3 obsolete instance(s) in batches of 1, while keeping "
    "at least 3 instance(s) in service. Waiting on resource signals with a timeout of PT5M when "
    "new instances are added to the autoscaling group."
)
MIN_SIZE = "Temporarily setting autoscaling group MinSize and DesiredCapacity to 4."
ADDED = (
    "New instance(s) added to autoscaling group - Waiting on 1 resource signal(s) with a "
    "timeout of PT5M."
)


def _batch(tracker: InstanceTracker, old: str, new: str, pct: int) -> None:
    tracker.feed_reason(ADDED)
    tracker.feed_reason(f"Received SUCCESS signal with UniqueId {new}")
    tracker.feed_reason(f"Terminating instance(s) [{old}]; replacing with 1 new instance(s).")
    tracker.feed_reason(f"Successfully terminated instance(s) [{old}] (Progress {pct}%).")


def test_reasons_give_batch_n_of_m_and_old_and_new_ids() -> None:
    tracker = InstanceTracker(OLD)
    start = tracker.feed_reason(START)
    assert start is not None and (start.batch, start.batches) == (0, 3)
    assert tracker.feed_reason(MIN_SIZE) is None  # nothing moved

    first = tracker.feed_reason(ADDED)
    assert first is not None and first.batch == 1 and first.old_remaining == OLD
    signal = tracker.feed_reason("Received SUCCESS signal with UniqueId i-0new1")
    assert signal is not None and signal.new_in_service == ("i-0new1",)
    tracker.feed_reason("Terminating instance(s) [i-0aaa]; replacing with 1 new instance(s).")
    done = tracker.feed_reason("Successfully terminated instance(s) [i-0aaa] (Progress 33%).")
    assert done is not None
    assert done.terminated == ("i-0aaa",) and done.old_remaining == ("i-0bbb", "i-0ccc")
    assert tracker.percent == 33 and done.batch == 1

    _batch(tracker, "i-0bbb", "i-0new2", 67)
    _batch(tracker, "i-0ccc", "i-0new3", 100)
    end = tracker.snapshot()
    assert (end.batch, end.batches) == (3, 3)
    assert end.old_remaining == () and end.terminated == OLD
    assert end.new_in_service == ("i-0new1", "i-0new2", "i-0new3")
    assert tracker.all_replaced and tracker.percent == 100


def test_batches_of_two_and_several_ids_in_one_reason() -> None:
    tracker = InstanceTracker(("i-01", "i-02", "i-03", "i-04"))
    tracker.feed_reason(
        "Rolling update initiated. Terminating 4 obsolete instance(s) in batches of 2, while "
        "keeping at least 1 instance(s) in service."
    )
    assert tracker.snapshot().batches == 2
    tracker.feed_reason("Terminating instance(s) [i-01, i-02]; replacing with 2 new instance(s).")
    progress = tracker.feed_reason(
        "Successfully terminated instance(s) [i-01, i-02] (Progress 50%)."
    )
    assert progress is not None and progress.batch == 1
    assert progress.terminated == ("i-01", "i-02") and progress.old_remaining == ("i-03", "i-04")


def test_a_second_rolling_update_is_the_rollback_and_new_instances_go() -> None:
    tracker = InstanceTracker(OLD)
    tracker.feed_reason(START)
    _batch(tracker, "i-0aaa", "i-0new1", 33)
    tracker.feed_reason(ADDED)
    tracker.feed_reason(
        "Failed to receive 1 resource signal(s) for the current batch. Each resource signal "
        "timeout is counted as a FAILURE."
    )
    assert tracker.signal_failed and not tracker.rolling_back
    back = tracker.feed_reason(
        "Rolling update initiated. Terminating 1 obsolete instance(s) in batches of 1, while "
        "keeping at least 3 instance(s) in service."
    )
    assert tracker.rolling_back
    assert back is not None and (back.batch, back.batches) == (0, 1)
    tracker.feed_reason("Received SUCCESS signal with UniqueId i-0back1")
    gone = tracker.feed_reason("Successfully terminated instance(s) [i-0new1] (Progress 100%).")
    assert gone is not None
    assert "i-0new1" not in gone.new_in_service and "i-0new1" in gone.terminated
    assert gone.new_in_service == ("i-0back1",)
    assert not tracker.all_replaced  # two instances from before the roll still run


def _instance(instance_id: str, status: str = "active", agent: bool = True) -> Instance:
    return Instance(id=instance_id, status=status, agent=agent)


def test_a_rollback_counts_new_instances_gone_whichever_source_saw_them_first() -> None:
    """The instance poller can see a new instance gone before the event tail has read the
    rollback's start: the rollback still ends with no instance left to replace."""
    tracker = InstanceTracker(OLD[:1])
    tracker.feed_reason(START.replace("Terminating 3", "Terminating 1"))
    _batch(tracker, "i-0aaa", "i-0new1", 100)
    tracker.feed_reason("Failed to receive 1 resource signal(s) for the current batch.")
    tracker.feed_instances([_instance("i-0back1")])  # i-0new1 already gone: seen by the list
    back = tracker.feed_reason(
        "Rolling update initiated. Terminating 1 obsolete instance(s) in batches of 1, while "
        "keeping at least 1 instance(s) in service."
    )
    assert back is not None and back.rolling_back
    tracker.feed_reason("Successfully terminated instance(s) [i-0new1] (Progress 100%).")
    assert tracker.snapshot().new_key_left == 0


def test_instance_lists_show_old_ids_going_and_new_ones_in_service() -> None:
    tracker = InstanceTracker(OLD[:2])
    assert tracker.feed_instances([_instance("i-0aaa"), _instance("i-0bbb")]) is not None
    booting = tracker.feed_instances(
        [_instance("i-0aaa"), _instance("i-0bbb"), _instance("i-0new1", "", False)]
    )
    assert booting is not None and booting.batch == 1 and booting.new_in_service == ()
    assert booting.batches == 2
    up = tracker.feed_instances([_instance("i-0bbb"), _instance("i-0new1")])
    assert up is not None
    assert up.new_in_service == ("i-0new1",) and up.terminated == ("i-0aaa",)
    assert tracker.feed_instances([_instance("i-0bbb"), _instance("i-0new1")]) is None
    done = tracker.feed_instances([_instance("i-0new1"), _instance("i-0new2")])
    assert done is not None and done.batch == 2 and done.old_remaining == ()
    assert tracker.all_replaced


def test_events_and_lists_together_never_go_backwards() -> None:
    tracker = InstanceTracker(OLD)
    tracker.feed_reason(START)
    _batch(tracker, "i-0aaa", "i-0new1", 33)
    # a list read a moment before the termination still shows the old instance
    stale = tracker.feed_instances([_instance(i) for i in OLD] + [_instance("i-0new1")])
    assert stale is None
    assert tracker.snapshot().terminated == ("i-0aaa",)


def test_service_counts_count_running_processes_against_desired() -> None:
    services = {"web": [Service("web", 3)], "worker": [Service("worker", 1), Service("cron", 0)]}
    processes = {
        "web": [
            Process("t1", name="web", status="running"),
            Process("t2", name="web", status="pending"),
            Process("t3", name="web", status="running"),
        ],
        "worker": [Process("t4", name="one-off", status="running")],
    }
    assert service_counts(services, processes) == [
        ServiceCount("web", "web", 2, 3),
        ServiceCount("worker", "cron", 0, 0),
        ServiceCount("worker", "worker", 0, 1),
    ]
