"""pika's poller classes (SelectPoller, PollPoller, EPollPoller, KQueuePoller).

Each scenario drives a poller the way pika's own tests drive pika's pollers (a socketpair
registered with it, readiness callbacks, update/remove, including during dispatch,
timeouts through get_wait_seconds/process_timeouts, wake_threadsafe and stop from another
thread, start/stop), once on pika 1.4.4's class and once on ours, and compares what it
observed. Observations name sockets by role ("a", "b", "first", ...), never by fd number.

Real sockets on loopback only; every run is bounded by faulthandler, and loops that wait
for another thread use a huge backstop so a missing wake-up hangs (and fails) instead of
passing late.
"""
import faulthandler
import select
import socket
import threading

import pika.adapters.select_connection as pika_sc
import pytest

import pika_fast.adapters.select_connection as fast_sc
from pika_fast.adapters import _ioloop
from pika_fast.adapters._ioloop import PollEvents

READ, WRITE, ERROR, HANGUP = (PollEvents.READ, PollEvents.WRITE, PollEvents.ERROR,
                              PollEvents.HANGUP)

POLLERS = [name for name, available in (
    ("SelectPoller", True),
    ("PollPoller", hasattr(select, "poll")),
    ("EPollPoller", hasattr(select, "epoll")),
    ("KQueuePoller", hasattr(select, "kqueue")),
) if available]


@pytest.fixture(autouse=True)
def _hard_bound():
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def _on_both(name, scenario):
    """Run ``scenario(poller_class)`` on pika's class and ours; they must observe the same."""
    theirs = scenario(getattr(pika_sc, name))
    ours = scenario(getattr(fast_sc, name))
    assert ours == theirs, f"{name}: pika observed {theirs!r}, pika_fast {ours!r}"
    return ours


class _Rig:
    """A poller of ``cls`` plus socket pairs, counting get_wait_seconds/process_timeouts."""

    def __init__(self, cls, wait_seconds=0, backstop=None):
        if backstop is not None:
            # Both libraries keep the backstop in this class attribute; a huge one makes
            # a wait that only another thread can end hang instead of ending by itself.
            cls = type(cls.__name__, (cls,), {"_MAX_POLL_TIMEOUT": backstop})
        self.wait_seconds = wait_seconds
        self.waits = 0
        # set when the loop enters its second wait (after the first process_timeouts)
        self.second_wait = threading.Event()
        self.timeouts = 0
        self.on_timeouts = None
        self.log = []
        self.poller = cls(self._get_wait_seconds, self._process_timeouts)
        self.sockets = []

    def _get_wait_seconds(self):
        self.waits += 1
        if self.waits == 2:
            self.second_wait.set()
        return self.wait_seconds

    def _process_timeouts(self):
        self.timeouts += 1
        if self.on_timeouts is not None:
            self.on_timeouts(self.timeouts)

    def pair(self):
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        self.sockets += [a, b]
        return a, b

    def recorder(self, label, then=None):
        def handler(fd, events):
            self.log.append((label, events))
            if then is not None:
                then(fd, events)
        return handler

    def close(self):
        self.poller.close()
        for sock in self.sockets:
            sock.close()


def _scenario(body, **rig_options):
    """Wrap ``body(rig)`` into a scenario that builds and always closes the rig."""
    def run(cls):
        rig = _Rig(cls, **rig_options)
        try:
            return body(rig)
        finally:
            rig.close()
    return run


# ------------------------------------------------------------------ the class surface


@pytest.mark.parametrize("name", POLLERS)
def test_class_shape_matches_pika(name):
    ours, theirs = getattr(fast_sc, name), getattr(pika_sc, name)
    assert ours.POLL_TIMEOUT_MULT == theirs.POLL_TIMEOUT_MULT
    assert issubclass(ours, fast_sc.PollPoller) == issubclass(theirs, pika_sc.PollPoller)
    assert issubclass(ours, fast_sc.SelectPoller) == issubclass(theirs, pika_sc.SelectPoller)


def test_poller_base_is_abstract_like_pikas():
    for base in (pika_sc._PollerBase, _ioloop._PollerBase):
        with pytest.raises(TypeError):
            base(lambda: 0, lambda: None)


@pytest.mark.parametrize("name", POLLERS)
def test_max_wait_scales_get_wait_seconds(name):
    def body(rig):
        seen = []
        for value in (0.25, 0, None, 100):
            rig.wait_seconds = value
            seen.append(rig.poller._get_max_wait())
        return seen + [rig.waits]

    seen = _on_both(name, _scenario(body))
    mult = getattr(fast_sc, name).POLL_TIMEOUT_MULT
    assert seen == [0.25 * mult, 0, 5 * mult, 5 * mult, 4]


# ------------------------------------------------------------------ readiness


@pytest.mark.parametrize("name", POLLERS)
def test_read_and_write_readiness(name):
    def body(rig):
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("a"), READ)
        rig.poller.activate_poller()
        rig.poller.poll()                       # nothing to read yet
        b.send(b"x")
        rig.poller.poll()                       # a readable
        a.recv(10)
        rig.poller.update_handler(a.fileno(), READ | WRITE)
        rig.poller.poll()                       # a writable only
        b.send(b"y")
        rig.poller.poll()                       # a readable and writable
        rig.poller.deactivate_poller()
        return rig.log

    log = _on_both(name, _scenario(body))
    assert log == [("a", READ), ("a", WRITE), ("a", READ | WRITE)]


@pytest.mark.parametrize("name", POLLERS)
def test_update_handler_narrows_what_is_reported(name):
    def body(rig):
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("a"), READ | WRITE)
        rig.poller.activate_poller()
        b.send(b"x")
        rig.poller.poll()
        rig.poller.update_handler(a.fileno(), WRITE)
        rig.poller.poll()
        rig.poller.update_handler(a.fileno(), 0)
        rig.poller.poll()
        rig.poller.update_handler(a.fileno(), READ)
        rig.poller.poll()
        rig.poller.deactivate_poller()
        return rig.log

    log = _on_both(name, _scenario(body))
    assert log == [("a", READ | WRITE), ("a", WRITE), ("a", READ)]


@pytest.mark.parametrize("name", POLLERS)
def test_handlers_added_before_activation_are_registered(name):
    def body(rig):
        a, b = rig.pair()
        b.send(b"x")
        rig.poller.add_handler(a.fileno(), rig.recorder("a"), READ)
        rig.poller.activate_poller()
        rig.poller.poll()
        rig.poller.deactivate_poller()
        # handlers survive deactivation and are registered again on activation
        rig.poller.activate_poller()
        rig.poller.poll()
        rig.poller.deactivate_poller()
        return rig.log

    assert _on_both(name, _scenario(body)) == [("a", READ), ("a", READ)]


@pytest.mark.parametrize("name", POLLERS)
def test_add_handler_again_replaces_the_handler(name):
    def body(rig):
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("old"), READ)
        rig.poller.activate_poller()
        b.send(b"x")
        rig.poller.poll()
        rig.poller.deactivate_poller()
        # (pika's EPollPoller refuses a second add of a registered fd while active)
        rig.poller.add_handler(a.fileno(), rig.recorder("new"), READ)
        rig.poller.activate_poller()
        rig.poller.poll()
        rig.poller.deactivate_poller()
        return rig.log

    assert _on_both(name, _scenario(body)) == [("old", READ), ("new", READ)]


@pytest.mark.parametrize("name", POLLERS)
def test_peer_closed_reports_the_same_events(name):
    def body(rig):
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("a"), READ | ERROR)
        rig.poller.activate_poller()
        b.close()
        rig.poller.poll()
        rig.poller.deactivate_poller()
        return rig.log

    log = _on_both(name, _scenario(body))
    assert len(log) == 1 and log[0][1] & READ


@pytest.mark.parametrize("name", POLLERS)
def test_remove_handler_stops_dispatch(name):
    def body(rig):
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("a"), READ)
        rig.poller.activate_poller()
        b.send(b"x")
        rig.poller.remove_handler(a.fileno())
        rig.poller.poll()
        outcome = []
        try:
            rig.poller.remove_handler(a.fileno())
        except KeyError:
            outcome.append("KeyError")
        rig.poller.deactivate_poller()
        return rig.log + outcome

    assert _on_both(name, _scenario(body)) == ["KeyError"]


# ------------------------------------------------------------------ changes during dispatch


def _two_ready(rig, first_handler_does):
    """Two readable sockets; the handler called first runs ``first_handler_does(other_fd)``.

    Returns the roles of the handlers called, in order ("first", "second")."""
    (a, a_peer), (b, b_peer) = rig.pair(), rig.pair()
    fds = {a.fileno(): a, b.fileno(): b}
    roles = []

    def handler(fd, events):
        fds[fd].recv(10)
        roles.append(("first" if not roles else "second", events))
        if len(roles) == 1:
            other = b.fileno() if fd == a.fileno() else a.fileno()
            first_handler_does(other)

    rig.poller.add_handler(a.fileno(), handler, READ)
    rig.poller.add_handler(b.fileno(), handler, READ)
    rig.poller.activate_poller()
    a_peer.send(b"x")
    b_peer.send(b"x")
    rig.poller.poll()
    rig.poller.deactivate_poller()
    return roles


@pytest.mark.parametrize("name", POLLERS)
def test_handler_removed_by_an_earlier_handler_is_not_called(name):
    def body(rig):
        return _two_ready(rig, rig.poller.remove_handler)

    assert _on_both(name, _scenario(body)) == [("first", READ)]


@pytest.mark.parametrize("name", POLLERS)
def test_interest_narrowed_by_an_earlier_handler_is_applied(name):
    def body(rig):
        return _two_ready(rig, lambda other: rig.poller.update_handler(other, WRITE))

    assert _on_both(name, _scenario(body)) == [("first", READ)]


@pytest.mark.parametrize("name", POLLERS)
def test_untouched_second_handler_is_called(name):
    def body(rig):
        return _two_ready(rig, lambda other: None)

    assert _on_both(name, _scenario(body)) == [("first", READ), ("second", READ)]


@pytest.mark.parametrize("name", POLLERS)
def test_nested_poll_supersedes_the_outer_dispatch(name):
    def body(rig):
        # the first handler polls again: the nested dispatch calls the other handler,
        # and the outer dispatch must not call it a second time
        return _two_ready(rig, lambda other: rig.poller.poll())

    assert _on_both(name, _scenario(body)) == [("first", READ), ("second", READ)]


# ------------------------------------------------------------------ start / stop / timeouts


@pytest.mark.parametrize("name", POLLERS)
def test_start_polls_then_processes_timeouts_until_stop(name):
    def body(rig):
        rig.on_timeouts = lambda n: rig.poller.stop() if n == 3 else None
        rig.poller.start()
        return rig.timeouts, rig.waits

    assert _on_both(name, _scenario(body, wait_seconds=0.01)) == (3, 3)


@pytest.mark.parametrize("name", POLLERS)
def test_stop_before_start_returns_at_once_and_only_once(name):
    def body(rig):
        rig.poller.stop()
        rig.poller.start()
        first = rig.timeouts
        rig.on_timeouts = lambda n: rig.poller.stop()
        rig.poller.start()
        return first, rig.timeouts

    assert _on_both(name, _scenario(body)) == (0, 1)


@pytest.mark.parametrize("name", POLLERS)
def test_stop_from_a_handler(name):
    def body(rig):
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("a", lambda fd, ev: rig.poller.stop()),
                               READ)
        rig.on_timeouts = lambda n: b.send(b"x") if n == 2 else None
        rig.poller.start()
        return rig.log, rig.timeouts

    assert _on_both(name, _scenario(body, wait_seconds=0)) == ([("a", READ)], 3)


@pytest.mark.parametrize("name", POLLERS)
def test_start_is_not_reentrant(name):
    def body(rig):
        errors = []

        def reenter(_n):
            try:
                rig.poller.start()
            except RuntimeError:
                errors.append("RuntimeError")
            rig.poller.stop()

        rig.on_timeouts = reenter
        rig.poller.start()
        # the failed reentry left the poller usable
        rig.on_timeouts = lambda n: rig.poller.stop()
        rig.poller.start()
        return errors, rig.timeouts

    assert _on_both(name, _scenario(body)) == (["RuntimeError"], 2)


@pytest.mark.parametrize("name", POLLERS)
def test_exception_from_process_timeouts_propagates_and_poller_recovers(name):
    def body(rig):
        def boom(_n):
            raise ValueError("from process_timeouts")

        rig.on_timeouts = boom
        with pytest.raises(ValueError):
            rig.poller.start()
        rig.on_timeouts = lambda n: rig.poller.stop()
        rig.poller.start()
        return rig.timeouts

    assert _on_both(name, _scenario(body)) == 2


# ------------------------------------------------------------------ other threads


def _from_thread(rig, action, stop_after=True):
    """After a first wait that ends by itself, start a thread that does ``action()`` once
    the loop is in its second wait. That wait has no deadline (get_wait_seconds() is None and the
    backstop is huge), so only the thread can end it; the next process_timeouts then
    stops the loop (unless ``stop_after`` is false: then the action must stop it)."""
    threads = []

    def in_thread():
        assert rig.second_wait.wait(30)
        action()

    def on_timeouts(n):
        if n == 1:
            rig.wait_seconds = None
            thread = threading.Thread(target=in_thread)
            threads.append(thread)
            thread.start()
        elif stop_after:
            rig.poller.stop()

    rig.wait_seconds = 0  # the first wait ends by itself
    rig.on_timeouts = on_timeouts
    rig.poller.start()
    for thread in threads:
        thread.join()


@pytest.mark.parametrize("name", POLLERS)
def test_wake_threadsafe_from_another_thread_ends_the_wait(name):
    def body(rig):
        _from_thread(rig, rig.poller.wake_threadsafe)
        return rig.timeouts, rig.log

    assert _on_both(name, _scenario(body, backstop=3600)) == (2, [])


@pytest.mark.parametrize("name", POLLERS)
def test_stop_from_another_thread(name):
    def body(rig):
        _from_thread(rig, rig.poller.stop, stop_after=False)
        return rig.timeouts

    assert _on_both(name, _scenario(body, backstop=3600)) == 2


@pytest.mark.parametrize("name", POLLERS)
def test_data_written_by_another_thread_is_dispatched(name):
    def body(rig):
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("a", lambda fd, ev: a.recv(10)), READ)
        _from_thread(rig, lambda: b.send(b"x"))
        return rig.timeouts, rig.log

    assert _on_both(name, _scenario(body, backstop=3600)) == (
        2, [("a", READ)])


@pytest.mark.parametrize("name", POLLERS)
def test_many_wakes_from_many_threads(name):
    def body(rig):
        def hammer():
            for _ in range(200):
                rig.poller.wake_threadsafe()

        def action():
            threads = [threading.Thread(target=hammer) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        _from_thread(rig, action)
        # the wake-up bytes left over are consumed by the next run
        rig.wait_seconds = 0
        rig.on_timeouts = lambda n: rig.poller.stop()
        rig.poller.start()
        return rig.log, rig.timeouts

    assert _on_both(name, _scenario(body, backstop=3600)) == ([], 3)


# ------------------------------------------------------------------ close


@pytest.mark.parametrize("name", POLLERS)
def test_wake_after_close_is_a_no_op(name):
    def run(cls):
        poller = cls(lambda: 0, lambda: None)
        poller.close()
        return poller.wake_threadsafe()

    assert _on_both(name, run) is None


@pytest.mark.parametrize("name", POLLERS)
def test_close_releases_the_wake_up_sockets(name):
    def run(cls):
        before = _fd_count()
        poller = cls(lambda: 0, lambda: None)
        poller.activate_poller()
        poller.deactivate_poller()
        poller.close()
        return _fd_count() - before

    assert _on_both(name, run) == 0


def _fd_count():
    import os
    for path in ("/proc/self/fd", "/dev/fd"):
        if os.path.isdir(path):
            return len(os.listdir(path))
    pytest.skip("cannot list open file descriptors")


# ------------------------------------------------------------------ where we differ on purpose


@pytest.mark.parametrize("name", POLLERS)
def test_ours_poll_activates_when_needed(name):
    """pika's PollPoller/EPollPoller/KQueuePoller fail with AttributeError on poll() before
    activate_poller(); ours activate, as SelectPoller (which needs no activation) works."""
    rig = _Rig(getattr(fast_sc, name))
    try:
        a, b = rig.pair()
        rig.poller.add_handler(a.fileno(), rig.recorder("a"), READ)
        b.send(b"x")
        rig.poller.poll()
        assert rig.log == [("a", READ)]
    finally:
        rig.close()


@pytest.mark.parametrize("name", POLLERS)
def test_ours_negative_wait_does_not_block(name):
    """A deadline already past means "do not wait" (pika would hand a negative timeout to
    poll(2), which then blocks with no limit)."""
    rig = _Rig(getattr(fast_sc, name), wait_seconds=-1.0)
    try:
        assert rig.poller._get_max_wait() == 0
        rig.on_timeouts = lambda n: rig.poller.stop() if n == 2 else None
        rig.poller.start()
        assert rig.timeouts == 2
    finally:
        rig.close()


@pytest.mark.parametrize("name", POLLERS)
def test_ours_update_of_an_unwatched_fd_raises_key_error(name):
    """pika records the events of an unknown fd (and later fails dispatching it); ours
    refuses at once, as remove_handler() does."""
    rig = _Rig(getattr(fast_sc, name))
    try:
        a, _b = rig.pair()
        with pytest.raises(KeyError):
            rig.poller.update_handler(a.fileno(), READ)
    finally:
        rig.close()


@pytest.mark.parametrize("name", POLLERS)
def test_ours_add_handler_again_while_active(name):
    """Re-adding a watched fd while active replaces it (pika's EPollPoller raises
    FileExistsError)."""
    rig = _Rig(getattr(fast_sc, name))
    try:
        a, b = rig.pair()
        rig.poller.activate_poller()
        rig.poller.add_handler(a.fileno(), rig.recorder("old"), READ)
        rig.poller.add_handler(a.fileno(), rig.recorder("new"), READ | WRITE)
        b.send(b"x")
        rig.poller.poll()
        assert rig.log == [("new", READ | WRITE)]
    finally:
        rig.close()


def test_select_type_still_chooses_the_ioloop_backend(monkeypatch):
    monkeypatch.setattr(fast_sc, "SELECT_TYPE", "select")
    loop = fast_sc.IOLoop()
    try:
        assert loop._poller.POLLER_NAME == "SelectPoller"
    finally:
        loop.close()
