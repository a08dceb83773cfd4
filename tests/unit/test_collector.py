"""The cyclic collector paused around bulk steps (``accounting.collector``): nested and concurrent
pauses share one count, and the collector comes back exactly as it was found."""
import gc
import threading

import pytest

from accounting.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_a_bulk_step_runs_with_the_collector_paused_and_resumes_it_after():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_nested_step_does_not_resume_the_collector_under_the_outer_one():
    gc.enable()
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failed_step_resumes_the_collector_too():
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("step failed")
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_host_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_concurrent_steps_resume_the_collector_only_when_the_last_one_ends():
    gc.enable()
    inside, release = threading.Barrier(3), threading.Event()

    def step():
        with collector_paused():
            inside.wait()
            release.wait()

    workers = [threading.Thread(target=step) for _ in range(2)]
    for worker in workers:
        worker.start()
    inside.wait()
    assert not gc.isenabled()
    release.set()
    for worker in workers:
        worker.join()
    assert gc.isenabled()


def test_the_pause_decorates_a_function():
    gc.enable()

    @collector_paused()
    def bulk():
        return gc.isenabled()

    assert bulk() is False
    assert gc.isenabled()
