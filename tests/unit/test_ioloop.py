"""pika_fast.adapters._ioloop.IOLoop: the loop behind SelectConnection.

Real sockets on loopback only; every loop run is bounded by a watchdog timer
and the whole module by faulthandler.
"""
import faulthandler
import os
import select
import signal
import socket
import sys
import threading
import time

import pika.adapters.select_connection as pika_sc
import pytest

from pika_fast.adapters import _ioloop
from pika_fast.adapters._ioloop import IOLoop, PollEvents

WATCHDOG = 5.0

_AVAILABLE = ['select']
if _ioloop._HAVE_POLL:
    _AVAILABLE.append('poll')
if _ioloop._HAVE_EPOLL:
    _AVAILABLE.append('epoll')
if _ioloop._HAVE_KQUEUE:
    _AVAILABLE.append('kqueue')

_POLLER_CLASS = {
    'select': 'SelectPoller',
    'poll': 'PollPoller',
    'epoll': 'EPollPoller',
    'kqueue': 'KQueuePoller',
}


@pytest.fixture(autouse=True)
def _hard_bound():
    faulthandler.dump_traceback_later(60, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(params=_AVAILABLE)
def select_type(request, monkeypatch):
    monkeypatch.setattr(_ioloop, 'SELECT_TYPE', request.param)
    return request.param


@pytest.fixture
def loop(select_type):
    lp = IOLoop()
    assert lp._poller.POLLER_NAME == _POLLER_CLASS[select_type]
    yield lp
    if not lp._running:
        lp.close()


@pytest.fixture
def sockpair():
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


def run(lp, timeout=WATCHDOG):
    """start() the loop, failing the test if the watchdog has to stop it."""
    fired = []

    def watchdog():
        fired.append(True)
        lp.stop()

    handle = lp.call_later(timeout, watchdog)
    t0 = time.monotonic()
    lp.start()
    elapsed = time.monotonic() - t0
    lp.remove_timeout(handle)
    assert not fired, 'watchdog fired: the loop did not stop by itself'
    return elapsed


def _open_fds():
    for path in ('/proc/self/fd', '/dev/fd'):
        if os.path.isdir(path):
            return set(os.listdir(path))
    pytest.skip('cannot list open file descriptors')


# --------------------------------------------------------------------------
# constants and poller choice
# --------------------------------------------------------------------------


def test_event_constants_match_pika():
    for name in ('READ', 'WRITE', 'ERROR', 'HANGUP'):
        assert getattr(PollEvents, name) == getattr(pika_sc.PollEvents, name)
    for name in ('READ', 'WRITE', 'ERROR'):
        assert getattr(IOLoop, name) == getattr(pika_sc.IOLoop, name)
        assert getattr(IOLoop, name) == getattr(PollEvents, name)


def test_public_methods_of_pika_ioloop_exist():
    public = [n for n in dir(pika_sc.IOLoop) if not n.startswith('_')]
    missing = [n for n in public if not hasattr(IOLoop, n)]
    assert not missing


@pytest.mark.parametrize('wanted', [None, 'select', 'poll', 'epoll', 'kqueue', 'bogus'])
def test_poller_choice_matches_pika(wanted, monkeypatch):
    monkeypatch.setattr(_ioloop, 'SELECT_TYPE', wanted)
    monkeypatch.setattr(pika_sc, 'SELECT_TYPE', wanted)
    theirs = pika_sc.IOLoop()
    ours = IOLoop()
    try:
        assert ours._poller.POLLER_NAME == type(theirs._poller).__name__
    finally:
        ours.close()
        theirs.close()


def test_select_connection_module_select_type_is_honoured(monkeypatch):
    fake = type(sys)('pika_fast.adapters.select_connection')
    fake.SELECT_TYPE = 'select'
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setattr(_ioloop, 'SELECT_TYPE', None)
    lp = IOLoop()
    try:
        assert lp._poller.POLLER_NAME == "SelectPoller"
    finally:
        lp.close()


# --------------------------------------------------------------------------
# timers
# --------------------------------------------------------------------------


def test_call_later_ordering(loop):
    order = []
    loop.call_later(0.06, lambda: order.append('c'))
    loop.call_later(0.02, lambda: order.append('a'))
    loop.call_later(0.04, lambda: order.append('b'))
    loop.call_later(0, lambda: order.append('now'))
    loop.call_later(0.08, loop.stop)
    run(loop)
    assert order == ['now', 'a', 'b', 'c']


def test_equal_deadlines_fire_in_creation_order(loop, monkeypatch):
    monkeypatch.setattr(_ioloop, '_monotonic', lambda: 100.0)
    order = []
    for i in range(50):
        loop.call_later(0, lambda i=i: order.append(i))
    loop.process_timeouts()
    assert order == list(range(50))


def test_call_later_does_not_fire_early(loop):
    fired = []
    t0 = time.monotonic()
    loop.call_later(0.1, lambda: (fired.append(time.monotonic() - t0), loop.stop()))
    run(loop)
    assert fired and fired[0] >= 0.1


def test_remove_timeout_cancels(loop):
    fired = []
    handle = loop.call_later(0.02, lambda: fired.append('cancelled'))
    loop.call_later(0.01, lambda: fired.append('kept'))
    loop.call_later(0.05, loop.stop)
    loop.remove_timeout(handle)
    assert handle.callback is None
    run(loop)
    assert fired == ['kept']


def test_remove_timeout_idempotent(loop):
    fired = []
    handle = loop.call_later(0.01, lambda: fired.append(1))
    loop.remove_timeout(handle)
    loop.remove_timeout(handle)
    done = loop.call_later(0.01, lambda: fired.append(2))
    loop.call_later(0.03, loop.stop)
    run(loop)
    assert fired == [2]
    # removing an already fired timer is harmless too
    cancelled = loop._cancelled  # (run() cancelled its watchdog)
    loop.remove_timeout(done)
    loop.remove_timeout(done)
    assert loop._cancelled == cancelled


def test_timer_can_cancel_a_later_due_timer_in_same_batch(loop, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(_ioloop, '_monotonic', lambda: now[0])
    fired = []
    second = []
    loop.call_later(1, lambda: (fired.append('first'), loop.remove_timeout(second[0])))
    second.append(loop.call_later(1, lambda: fired.append('second')))
    loop.call_later(1, lambda: fired.append('third'))
    now[0] = 200.0
    loop.process_timeouts()
    assert fired == ['first', 'third']


def test_timer_can_remove_itself(loop):
    handles = []
    fired = []

    def cb():
        fired.append(1)
        loop.remove_timeout(handles[0])

    handles.append(loop.call_later(0, cb))
    cancelled = loop._cancelled
    loop.add_callback(loop.stop)
    loop.start()
    assert fired == [1]
    assert loop._cancelled == cancelled


def test_timers_added_by_due_timer_wait_for_next_pass(loop, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(_ioloop, '_monotonic', lambda: now[0])
    fired = []
    loop.call_later(0, lambda: (fired.append('a'), loop.call_later(0, lambda: fired.append('b'))))
    loop.process_timeouts()
    assert fired == ['a']
    loop.process_timeouts()
    assert fired == ['a', 'b']


def test_cancelled_timers_are_garbage_collected(loop):
    handles = [loop.call_later(100 + i, lambda: None) for i in range(2000)]
    for h in handles[:1500]:
        loop.remove_timeout(h)
    assert len(loop._heap) < 1000
    live = sum(1 for t in loop._heap if t.callback is not None)
    assert live == 500
    assert loop._cancelled == len(loop._heap) - live


def test_cancelled_head_does_not_shorten_the_wait(loop):
    """A cancelled near timer must not cause early wake-ups."""
    polls = []
    orig_activate = loop.activate_poller

    def activate():
        orig_activate()
        wait = loop._wait

        def counting_wait(timeout):
            polls.append(timeout)
            return wait(timeout)

        loop._wait = counting_wait

    loop.activate_poller = activate
    near = loop.call_later(0.01, lambda: None)
    loop.remove_timeout(near)
    loop.call_later(0.15, loop.stop)
    run(loop)
    assert len(polls) <= 3, polls
    assert polls[0] > 0.1


def test_no_busy_wait_until_timer(loop):
    polls = []
    orig_poll = loop.poll

    def counting_poll():
        polls.append(1)
        orig_poll()

    loop.poll = counting_poll
    loop.call_later(0.2, loop.stop)
    elapsed = run(loop)
    assert 0.19 <= elapsed < 2
    assert len(polls) <= 3


def test_call_later_validation(loop):
    with pytest.raises(ValueError):
        loop.call_later(-1, lambda: None)
    with pytest.raises(TypeError):
        loop.call_later(1, 'not callable')


# --------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------


def test_add_callback_runs_in_fifo_order(loop):
    order = []
    for i in range(10):
        loop.add_callback(lambda i=i: order.append(i))
    loop.add_callback(loop.stop)
    run(loop)
    assert order == list(range(10))


def test_add_callback_is_the_threadsafe_one():
    assert IOLoop.add_callback is IOLoop.add_callback_threadsafe


def test_add_callback_rejects_non_callable(loop):
    with pytest.raises(TypeError):
        loop.add_callback_threadsafe(42)


def test_callbacks_added_while_processing_wait_for_next_iteration(loop):
    ran = []

    def first():
        ran.append('first')
        loop.add_callback(lambda: ran.append('second'))

    loop.add_callback(first)
    loop.process_timeouts()
    assert ran == ['first']
    loop.process_timeouts()
    assert ran == ['first', 'second']


def test_callback_chain_from_loop_thread_does_not_block(loop):
    count = [0]

    def again():
        count[0] += 1
        if count[0] == 200:
            loop.stop()
        else:
            loop.add_callback(again)

    loop.add_callback(again)
    elapsed = run(loop)
    assert count[0] == 200
    assert elapsed < 2


def test_add_callback_threadsafe_wakes_blocked_loop(loop):
    # Nothing due for 30 s: the loop blocks in the poller (up to 5 s each).
    loop.call_later(30, lambda: None)
    ran_in = []

    def cb():
        ran_in.append(threading.get_ident())
        loop.stop()

    def other():
        time.sleep(0.2)
        loop.add_callback_threadsafe(cb)

    t = threading.Thread(target=other)
    t.start()
    try:
        elapsed = run(loop, timeout=10)
    finally:
        t.join(5)
    assert ran_in == [threading.get_ident()]
    assert 0.15 <= elapsed < 2.0


def test_threadsafe_callbacks_fifo_from_other_thread(loop):
    order = []
    n = 2000

    def producer():
        for i in range(n):
            loop.add_callback_threadsafe(lambda i=i: order.append(i))
            if i % 100 == 0:
                time.sleep(0.001)
        loop.add_callback_threadsafe(loop.stop)

    t = threading.Thread(target=producer)
    t.start()
    try:
        run(loop)
    finally:
        t.join(5)
    assert order == list(range(n))


def test_threadsafe_callbacks_from_many_threads(loop):
    results = {k: [] for k in range(4)}
    remaining = [4]
    lock = threading.Lock()

    def producer(k):
        for i in range(500):
            loop.add_callback_threadsafe(lambda i=i: results[k].append(i))
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            loop.add_callback_threadsafe(loop.stop)

    threads = [threading.Thread(target=producer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    try:
        run(loop)
    finally:
        for t in threads:
            t.join(5)
    for k in range(4):
        assert results[k] == list(range(500))


def test_wakeups_are_coalesced(loop):
    sent = []
    w_sock = loop._w_interrupt

    class CountingSock:
        def send(self, data):
            sent.append(data)
            return w_sock.send(data)

    loop._w_interrupt = CountingSock()
    ran = []

    def producer():
        for i in range(1000):
            loop.add_callback_threadsafe(lambda: ran.append(1))

    t = threading.Thread(target=producer)
    t.start()
    t.join(5)
    assert len(sent) == 1
    loop._w_interrupt = w_sock
    loop.add_callback(loop.stop)
    run(loop)
    assert len(ran) == 1000


@pytest.mark.skipif(not hasattr(signal, 'setitimer'), reason='needs setitimer')
def test_add_callback_from_signal_handler_wakes_loop(loop):
    loop.call_later(30, lambda: None)
    ran = []

    def on_alarm(_signum, _frame):
        loop.add_callback_threadsafe(lambda: (ran.append(1), loop.stop()))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        elapsed = run(loop, timeout=10)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert ran == [1]
    assert elapsed < 2.0


# --------------------------------------------------------------------------
# stop / start
# --------------------------------------------------------------------------


def test_stop_from_callback(loop):
    after = []
    loop.add_callback(loop.stop)
    loop.call_later(0.5, lambda: after.append(1))
    elapsed = run(loop)
    assert elapsed < 0.4
    assert after == []


def test_stop_from_timer_and_restart(loop):
    fired = []
    loop.call_later(0.01, lambda: (fired.append(1), loop.stop()))
    run(loop)
    loop.call_later(0.01, lambda: (fired.append(2), loop.stop()))
    run(loop)
    assert fired == [1, 2]


def test_stop_before_start_returns_promptly(loop):
    ran = []
    loop.call_later(0, lambda: ran.append(1))
    loop.stop()
    elapsed = run(loop)
    assert elapsed < 0.5
    # the stop request is consumed: the next start() runs normally
    loop.call_later(0.01, loop.stop)
    elapsed = run(loop)
    assert ran == [1]


def test_stop_from_other_thread_without_callback(loop):
    loop.call_later(30, lambda: None)
    t = threading.Timer(0.1, loop.stop)
    t.start()
    try:
        elapsed = run(loop, timeout=10)
    finally:
        t.join(5)
    assert elapsed < 2.0


def test_start_is_not_reentrant(loop):
    errors = []

    def reenter():
        try:
            loop.start()
        except RuntimeError as exc:
            errors.append(exc)
        loop.stop()

    loop.add_callback(reenter)
    run(loop)
    assert len(errors) == 1


def test_start_deactivates_poller_afterwards(loop):
    loop.add_callback(loop.stop)
    run(loop)
    assert loop._wait is None


# --------------------------------------------------------------------------
# exceptions
# --------------------------------------------------------------------------


class Boom(Exception):
    pass


def _raise():
    raise Boom()


def test_exception_from_timer_propagates_and_loop_recovers(loop):
    fired = []
    loop.call_later(0, _raise)
    loop.call_later(0, lambda: fired.append('after'))
    with pytest.raises(Boom):
        loop.start()
    assert not loop._running
    # the timer due in the same batch is not lost
    loop.call_later(0.01, loop.stop)
    run(loop)
    assert fired == ['after']


def test_exception_from_callback_propagates(loop):
    fired = []
    loop.add_callback(_raise)
    loop.add_callback(lambda: fired.append('after'))
    with pytest.raises(Boom):
        loop.start()
    loop.add_callback(loop.stop)
    run(loop)
    assert fired == ['after']


def test_exception_from_handler_propagates(loop, sockpair):
    a, b = sockpair

    def handler(fd, events):
        raise Boom()

    loop.add_handler(a.fileno(), handler, loop.READ)
    b.send(b'x')
    with pytest.raises(Boom):
        loop.start()
    assert not loop._running
    assert loop._wait is None


# --------------------------------------------------------------------------
# fd handlers
# --------------------------------------------------------------------------


def test_read_handler(loop, sockpair):
    a, b = sockpair
    got = []

    def on_read(fd, events):
        assert fd == a.fileno()
        assert events & loop.READ
        got.append(a.recv(100))
        loop.stop()

    loop.add_handler(a.fileno(), on_read, loop.READ)
    loop.call_later(0.05, lambda: b.send(b'hello'))
    run(loop)
    assert got == [b'hello']


def test_write_handler(loop, sockpair):
    a, _ = sockpair
    got = []

    def on_write(fd, events):
        got.append(events)
        loop.stop()

    loop.add_handler(a.fileno(), on_write, loop.WRITE)
    run(loop)
    assert got and got[0] & loop.WRITE
    assert not got[0] & loop.READ


def test_read_and_write_reported_together(loop, sockpair):
    a, b = sockpair
    got = []
    b.send(b'x')

    def on_event(fd, events):
        got.append(events)
        loop.stop()

    loop.add_handler(a.fileno(), on_event, loop.READ | loop.WRITE)
    run(loop)
    assert got[0] & loop.READ and got[0] & loop.WRITE


def test_update_handler_switches_interest(loop, sockpair):
    a, b = sockpair
    seen = []

    def handler(fd, events):
        if events & loop.WRITE:
            seen.append('write')
            loop.update_handler(fd, loop.READ)
            loop.call_later(0.05, lambda: b.send(b'x'))
        elif events & loop.READ:
            seen.append('read')
            a.recv(10)
            loop.stop()

    loop.add_handler(a.fileno(), handler, loop.WRITE)
    run(loop)
    assert seen == ['write', 'read']


def test_update_handler_to_no_events_silences_fd(loop, sockpair):
    a, b = sockpair
    seen = []
    loop.add_handler(a.fileno(), lambda fd, ev: seen.append(ev), loop.READ)
    loop.update_handler(a.fileno(), 0)
    b.send(b'x')
    loop.call_later(0.1, loop.stop)
    run(loop)
    assert seen == []


def test_update_handler_before_and_after_activation(loop, sockpair):
    a, b = sockpair
    seen = []
    loop.add_handler(a.fileno(), lambda fd, ev: (seen.append(ev), loop.stop()), loop.WRITE)
    loop.update_handler(a.fileno(), loop.READ)
    b.send(b'x')
    run(loop)
    assert seen and seen[0] & loop.READ and not seen[0] & loop.WRITE


def test_update_unknown_fd_raises(loop):
    with pytest.raises(KeyError):
        loop.update_handler(12345, loop.READ)


def test_remove_handler(loop, sockpair):
    a, b = sockpair
    seen = []
    loop.add_handler(a.fileno(), lambda fd, ev: seen.append(ev), loop.READ)
    loop.remove_handler(a.fileno())
    b.send(b'x')
    loop.call_later(0.1, loop.stop)
    run(loop)
    assert seen == []
    with pytest.raises(KeyError):
        loop.remove_handler(a.fileno())


def test_remove_handler_while_running(loop, sockpair):
    a, b = sockpair
    seen = []

    def handler(fd, events):
        seen.append(events)
        loop.remove_handler(fd)  # data stays unread: must not fire again
        loop.call_later(0.1, loop.stop)

    loop.add_handler(a.fileno(), handler, loop.READ)
    b.send(b'x')
    run(loop)
    assert len(seen) == 1


def test_handler_removing_another_ready_fd_suppresses_its_event(loop):
    p1 = socket.socketpair()
    p2 = socket.socketpair()
    try:
        fds = [p1[0].fileno(), p2[0].fileno()]
        seen = []

        def handler(fd, events):
            seen.append(fd)
            other = fds[1] if fd == fds[0] else fds[0]
            loop.remove_handler(other)
            loop.remove_handler(fd)
            loop.call_later(0.05, loop.stop)

        for fd in fds:
            loop.add_handler(fd, handler, loop.READ)
        p1[1].send(b'x')
        p2[1].send(b'x')
        time.sleep(0.01)
        run(loop)
        assert len(seen) == 1
    finally:
        for s in p1 + p2:
            s.close()


def test_handler_removed_and_fd_reused_within_dispatch(loop):
    """Stale events of a removed fd must not reach a new handler for it."""
    p1 = socket.socketpair()
    p2 = socket.socketpair()
    try:
        fds = [p1[0].fileno(), p2[0].fileno()]
        calls = []

        def fresh_handler(fd, events):
            calls.append(('fresh', fd))

        def handler(fd, events):
            calls.append(('old', fd))
            other = fds[1] if fd == fds[0] else fds[0]
            loop.remove_handler(other)
            loop.add_handler(other, fresh_handler, loop.READ)
            loop.remove_handler(fd)
            loop.add_callback(loop.stop)

        for fd in fds:
            loop.add_handler(fd, handler, loop.READ)
        p1[1].send(b'x')
        p2[1].send(b'x')
        time.sleep(0.01)
        loop.activate_poller()
        loop.poll()
        assert len(calls) == 1 and calls[0][0] == 'old'
        # on the next poll the re-registered handler does see its data
        loop.process_timeouts()
        loop.poll()
        assert calls[1][0] == 'fresh'
    finally:
        for s in p1 + p2:
            s.close()


def test_handler_update_of_another_fd_masks_its_event(loop):
    p1 = socket.socketpair()
    p2 = socket.socketpair()
    try:
        fds = [p1[0].fileno(), p2[0].fileno()]
        seen = []

        def handler(fd, events):
            seen.append(fd)
            other = fds[1] if fd == fds[0] else fds[0]
            loop.update_handler(other, loop.WRITE)  # no longer wants READ

        for fd in fds:
            loop.add_handler(fd, handler, loop.READ)
        p1[1].send(b'x')
        p2[1].send(b'x')
        time.sleep(0.01)
        loop.activate_poller()
        loop.poll()
        assert len(seen) == 1
    finally:
        for s in p1 + p2:
            s.close()


def test_peer_close_reports_read(loop, sockpair):
    a, b = sockpair
    seen = []

    def handler(fd, events):
        seen.append(events)
        assert a.recv(10) == b''
        loop.remove_handler(fd)
        loop.stop()

    loop.add_handler(a.fileno(), handler, loop.READ)
    loop.call_later(0.02, b.close)
    run(loop)
    assert seen and seen[0] & loop.READ
    assert not seen[0] & loop.WRITE


def _refused_socket():
    """A non-blocking socket whose connect to a closed loopback port failed."""
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    port = server.getsockname()[1]
    server.close()  # nothing listens there now
    sock = socket.socket()
    sock.setblocking(False)
    try:
        sock.connect(('127.0.0.1', port))
    except (BlockingIOError, InterruptedError):
        pass
    except ConnectionRefusedError:
        sock.close()
        pytest.skip('connect refused synchronously')
    return sock


def test_refused_connect_reports_write_or_error(loop):
    sock = _refused_socket()
    try:
        seen = []

        def handler(fd, events):
            seen.append(events)
            loop.remove_handler(fd)
            loop.stop()

        loop.add_handler(sock.fileno(), handler, loop.WRITE | loop.ERROR)
        run(loop)
        assert seen and seen[0] & (loop.WRITE | loop.ERROR)
        assert not seen[0] & loop.READ
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0
    finally:
        sock.close()


def test_error_bit_not_reported_when_not_requested(loop):
    sock = _refused_socket()
    try:
        seen = []

        def handler(fd, events):
            seen.append(events)
            loop.remove_handler(fd)
            loop.stop()

        loop.add_handler(sock.fileno(), handler, loop.READ)
        run(loop)
        assert seen and seen[0] & loop.READ
        assert not seen[0] & (loop.ERROR | loop.WRITE)
    finally:
        sock.close()


def test_add_handler_twice_replaces(loop, sockpair):
    a, b = sockpair
    seen = []
    loop.add_handler(a.fileno(), lambda fd, ev: seen.append('old'), loop.WRITE)
    loop.activate_poller()
    loop.add_handler(a.fileno(), lambda fd, ev: (seen.append('new'), loop.stop()), loop.READ)
    b.send(b'x')
    run(loop)
    assert seen == ['new']


def test_add_handler_for_reused_fd_number(loop):
    """An fd closed without remove_handler and reused by a new socket."""
    loop.activate_poller()
    a, b = socket.socketpair()
    fd = a.fileno()
    loop.add_handler(fd, lambda fd, ev: None, loop.READ)
    a.close()
    b.close()
    c, d = socket.socketpair()
    try:
        if c.fileno() != fd:
            pytest.skip('fd number not reused')
        seen = []
        loop.add_handler(fd, lambda fd, ev: (seen.append(ev), loop.stop()), loop.READ)
        d.send(b'x')
        run(loop)
        assert seen and seen[0] & loop.READ
    finally:
        c.close()
        d.close()


def test_handlers_registered_before_and_after_activation(loop):
    pairs = [socket.socketpair() for _ in range(2)]
    try:
        seen = set()

        def handler(fd, events):
            seen.add(fd)
            loop.remove_handler(fd)
            if len(seen) == 2:
                loop.stop()

        loop.add_handler(pairs[0][0].fileno(), handler, loop.READ)
        loop.call_later(
            0.02, lambda: loop.add_handler(pairs[1][0].fileno(), handler, loop.READ))
        for p in pairs:
            p[1].send(b'x')
        run(loop)
        assert seen == {pairs[0][0].fileno(), pairs[1][0].fileno()}
    finally:
        for p in pairs:
            for s in p:
                s.close()


def test_blocking_connection_style_driving(loop, sockpair):
    """BlockingConnection calls activate_poller(), then poll() and
    process_timeouts() in turns, without start()."""
    a, b = sockpair
    got = []
    loop.activate_poller()
    loop.add_handler(a.fileno(), lambda fd, ev: got.append(a.recv(10)), loop.READ)
    fired = []
    loop.call_later(0.02, lambda: fired.append(1))
    b.send(b'abc')
    deadline = time.monotonic() + WATCHDOG
    while not (got and fired) and time.monotonic() < deadline:
        loop.poll()
        loop.process_timeouts()
    assert got == [b'abc'] and fired == [1]


def test_other_thread_wakes_blocking_connection_style_poll(loop):
    loop.activate_poller()
    loop.call_later(30, lambda: None)
    ran = []
    t = threading.Timer(0.1, lambda: loop.add_callback_threadsafe(lambda: ran.append(1)))
    t.start()
    t0 = time.monotonic()
    try:
        while not ran and time.monotonic() - t0 < WATCHDOG:
            loop.poll()
            loop.process_timeouts()
    finally:
        t.join(5)
    assert ran == [1]
    assert time.monotonic() - t0 < 2.0


def test_many_fds(loop):
    pairs = [socket.socketpair() for _ in range(50)]
    try:
        seen = set()

        def handler(fd, events):
            seen.add(fd)
            loop.remove_handler(fd)
            if len(seen) == len(pairs):
                loop.stop()

        for p in pairs:
            loop.add_handler(p[0].fileno(), handler, loop.READ)
            p[1].send(b'x')
        run(loop)
        assert len(seen) == len(pairs)
    finally:
        for p in pairs:
            for s in p:
                s.close()


# --------------------------------------------------------------------------
# close
# --------------------------------------------------------------------------


def test_close_releases_fds(select_type):
    before = _open_fds()
    lp = IOLoop()
    lp.activate_poller()
    during = _open_fds()
    assert len(during) > len(before)
    lp.close()
    assert _open_fds() == before


def test_close_after_run_releases_fds(select_type):
    before = _open_fds()
    lp = IOLoop()
    lp.call_later(0.01, lp.stop)
    run(lp)
    lp.close()
    assert _open_fds() == before


def test_close_is_idempotent_and_final(loop):
    handle = loop.call_later(10, lambda: None)
    loop.close()
    loop.close()
    assert handle.callback is None
    loop.remove_timeout(handle)
    with pytest.raises(ValueError):
        loop.call_later(1, lambda: None)
    # late thread-safe callbacks are accepted and dropped
    loop.add_callback_threadsafe(lambda: None)
    loop.stop()
    with pytest.raises(RuntimeError):
        loop.start()


def test_close_while_running_is_refused(loop):
    errors = []

    def try_close():
        try:
            loop.close()
        except RuntimeError as exc:
            errors.append(exc)
        loop.stop()

    loop.add_callback(try_close)
    run(loop)
    assert len(errors) == 1


def test_deactivate_poller_releases_poller_fd(loop):
    before = _open_fds()
    loop.activate_poller()
    loop.activate_poller()  # idempotent
    loop.deactivate_poller()
    loop.deactivate_poller()
    assert _open_fds() == before


def test_interrupt_socket_is_nonblocking(loop):
    assert loop._r_interrupt.getblocking() is False
    assert loop._w_interrupt.getblocking() is False


@pytest.mark.skipif(not hasattr(select, 'epoll'), reason='epoll only')
def test_remove_handler_of_already_closed_fd(monkeypatch):
    monkeypatch.setattr(_ioloop, 'SELECT_TYPE', 'epoll')
    lp = IOLoop()
    try:
        a, b = socket.socketpair()
        lp.activate_poller()
        lp.add_handler(a.fileno(), lambda fd, ev: None, lp.READ)
        fd = a.fileno()
        a.close()
        b.close()
        lp.remove_handler(fd)
    finally:
        lp.close()
