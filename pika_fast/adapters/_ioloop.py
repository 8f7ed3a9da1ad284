"""The I/O loop behind ``SelectConnection``.

Public surface follows pika 1.4.4's ``pika.adapters.select_connection.IOLoop``
(and thereby ``AbstractSelectorIOLoop``): timers, callbacks (thread-safe),
fd handlers, ``start``/``stop``/``close`` and the extension methods
``poll``/``process_timeouts``/``activate_poller``/``deactivate_poller`` that
``BlockingConnection`` drives directly.  It also holds pika's public poller
classes (``SelectPoller``, ``PollPoller``, ``EPollPoller``, ``KQueuePoller``),
which ``select_connection`` exports; IOLoop does not go through them.

Implementation notes
--------------------
* One readiness syscall per ``poll()``; the OS poller object (epoll, kqueue or
  poll) only exists while the loop is *activated* (during ``start()``, or
  between ``activate_poller()`` and ``deactivate_poller()``/``close()``), as in
  pika.  Handler bookkeeping is kept in a single ``fd -> record`` dict.
* Timers live in a binary heap whose entries are the handles themselves
  (small ``list`` subclasses ``[deadline, seq, callback]``), so heap ordering
  is done by C-level comparisons; ``seq`` makes equal deadlines FIFO.
  Cancellation is lazy (O(1)), cancelled heads are discarded before computing
  the poll timeout (no spurious wake-ups) and the heap is compacted when more
  than half of it is cancelled, keeping pushes/pops O(log n) amortized.
* Cross-thread wake-ups write one byte to a socketpair; writes are coalesced
  while a byte is still unconsumed, and skipped when the caller is the loop's
  own thread outside of the poll wait (it cannot be blocked then).
"""
from __future__ import annotations

import abc
import collections
import errno
import logging
import select
import socket
import sys
import threading
import time
from heapq import heapify, heappop, heappush
from operator import itemgetter
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from pika_fast.adapters.utils.selector_ioloop_adapter import AbstractSelectorIOLoop
from pika_fast.compat import AbstractBase

LOGGER = logging.getLogger(__name__)

# One of None (best available), 'select', 'poll', 'epoll' or 'kqueue'.
# Read when an IOLoop is constructed.  When left as None here, a non-None
# ``SELECT_TYPE`` of ``pika_fast.adapters.select_connection`` (if that module
# is loaded) is honoured instead, so that module can expose the knob pika users
# know.
SELECT_TYPE: Optional[str] = None

_SELECT_CONNECTION_MODULE = 'pika_fast.adapters.select_connection'

# Worst-case interval between two poller wake-ups, in seconds.
_MAX_POLL_TIMEOUT = 5.0

# Compact the timer heap once this many cancelled timers are in it and they
# make up more than half of it.
_TIMER_GC_MIN_CANCELLED = 256

_IGNORED_UNREGISTER_ERRNOS = frozenset((errno.EBADF, errno.ENOENT))

_get_ident = threading.get_ident
_monotonic = time.monotonic


class PollEvents:
    """I/O event flags (the poll(2) bit values, which epoll shares)."""

    READ = getattr(select, 'POLLIN', 0x01)
    WRITE = getattr(select, 'POLLOUT', 0x04)
    ERROR = getattr(select, 'POLLERR', 0x08)
    HANGUP = getattr(select, 'POLLHUP', 0x10)


_READ = PollEvents.READ
_WRITE = PollEvents.WRITE
_ERROR = PollEvents.ERROR
_HANGUP = PollEvents.HANGUP

# Bits that reach a handler whatever its interest mask (HANGUP and any other
# poller-specific bit); READ/WRITE/ERROR are filtered by the current interest.
_ALWAYS_REPORTED = ~(_READ | _WRITE | _ERROR)

# epoll is only used when its flag values coincide with PollEvents, which is
# the case wherever epoll exists (Linux); masks are then passed through as-is.
_HAVE_EPOLL = (hasattr(select, 'epoll') and
               getattr(select, 'EPOLLIN', None) == _READ and
               getattr(select, 'EPOLLOUT', None) == _WRITE and
               getattr(select, 'EPOLLERR', None) == _ERROR)
_HAVE_KQUEUE = hasattr(select, 'kqueue')


def _have_poll() -> bool:
    if not hasattr(select, 'poll'):
        return False
    return hasattr(select.poll(), 'modify')


_HAVE_POLL = _have_poll()


class _Timeout(list):
    """Timer handle returned by ``IOLoop.call_later``.

    It doubles as the heap entry ``[deadline, seq, callback]``; ``callback``
    becomes None once the timer fired or was cancelled.
    """

    __slots__ = ()

    deadline = property(itemgetter(0), doc='Expiry, in time.monotonic() units')
    callback = property(itemgetter(2), doc='Pending callback, None when done')

    def __repr__(self) -> str:
        return '<_Timeout deadline=%r callback=%r>' % (self[0], self[2])


# ---------------------------------------------------------------------------
# Poller back ends.  Each one wraps an OS readiness API; ``open()`` allocates
# the OS object and returns the wait function ``wait(timeout_seconds)`` giving
# an iterable of ``(fd, events)`` pairs with each fd at most once.
# ---------------------------------------------------------------------------


class _Backend:
    """Common interface of the poller back ends (see pika's poller classes below for
    the public API built on them)."""

    #: The name of pika's poller class using the same OS API.
    POLLER_NAME = ''

    __slots__ = ()

    def open(self) -> Callable[[float], Iterable[Tuple[int, int]]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def register(self, fd: int, events: int) -> None:
        raise NotImplementedError

    def modify(self, fd: int, old: int, new: int) -> None:
        raise NotImplementedError

    def unregister(self, fd: int, old: int) -> None:
        raise NotImplementedError


class _SelectBackend(_Backend):
    """select(2): portable fallback; ERROR interest maps to the except set."""

    POLLER_NAME = 'SelectPoller'

    __slots__ = ('_readers', '_writers', '_errors')

    def __init__(self) -> None:
        self._readers: set = set()
        self._writers: set = set()
        self._errors: set = set()

    def open(self) -> Callable[[float], Iterable[Tuple[int, int]]]:
        self._clear()
        return self._wait

    def close(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._readers.clear()
        self._writers.clear()
        self._errors.clear()

    def register(self, fd: int, events: int) -> None:
        for bit, fds in ((_READ, self._readers), (_WRITE, self._writers),
                         (_ERROR, self._errors)):
            if events & bit:
                fds.add(fd)
            else:
                fds.discard(fd)

    def modify(self, fd: int, old: int, new: int) -> None:
        self.register(fd, new)

    def unregister(self, fd: int, old: int) -> None:
        self._readers.discard(fd)
        self._writers.discard(fd)
        self._errors.discard(fd)

    def _wait(self, timeout: float) -> Iterable[Tuple[int, int]]:
        readers, writers, errors = self._readers, self._writers, self._errors
        if not (readers or writers or errors):
            # select() with three empty sets is an error on Windows
            time.sleep(timeout)
            return ()
        rlist, wlist, xlist = select.select(readers, writers, errors, timeout)
        if not (wlist or xlist):
            return [(fd, _READ) for fd in rlist]
        ready: Dict[int, int] = dict.fromkeys(rlist, _READ)
        get = ready.get
        for fd in wlist:
            ready[fd] = get(fd, 0) | _WRITE
        for fd in xlist:
            ready[fd] = get(fd, 0) | _ERROR
        return ready.items()


class _PollBackend(_Backend):
    """poll(2)."""

    POLLER_NAME = 'PollPoller'

    __slots__ = ('_poll',)

    _ADD_ERROR_ON_HANGUP = sys.platform == 'darwin'

    def __init__(self) -> None:
        self._poll: Any = None

    def open(self) -> Callable[[float], Iterable[Tuple[int, int]]]:
        self._poll = select.poll()
        if self._ADD_ERROR_ON_HANGUP:
            return self._wait_darwin
        return self._wait

    def close(self) -> None:
        self._poll = None

    def register(self, fd: int, events: int) -> None:
        self._poll.register(fd, events)

    def modify(self, fd: int, old: int, new: int) -> None:
        self._poll.modify(fd, new)

    def unregister(self, fd: int, old: int) -> None:
        try:
            self._poll.unregister(fd)
        except KeyError:
            pass

    def _wait(self, timeout: float) -> Iterable[Tuple[int, int]]:
        return self._poll.poll(timeout * 1000.0)

    def _wait_darwin(self, timeout: float) -> Iterable[Tuple[int, int]]:
        # macOS reports a failed connect as POLLHUP alone; surface it as ERROR
        return [(fd, ev | _ERROR if ev & _HANGUP else ev)
                for fd, ev in self._poll.poll(timeout * 1000.0)]


class _EPollBackend(_Backend):
    """epoll(7), level-triggered; the wait function is epoll.poll itself."""

    POLLER_NAME = 'EPollPoller'

    __slots__ = ('_epoll',)

    def __init__(self) -> None:
        self._epoll: Any = None

    def open(self) -> Callable[[float], Iterable[Tuple[int, int]]]:
        self._epoll = select.epoll()
        return self._epoll.poll

    def close(self) -> None:
        epoll, self._epoll = self._epoll, None
        if epoll is not None:
            epoll.close()

    def register(self, fd: int, events: int) -> None:
        self._epoll.register(fd, events)

    def modify(self, fd: int, old: int, new: int) -> None:
        self._epoll.modify(fd, new)

    def unregister(self, fd: int, old: int) -> None:
        try:
            self._epoll.unregister(fd)
        except OSError as exc:
            # The fd was closed before its handler was removed: the kernel has
            # already dropped it from the interest list.
            if exc.errno not in _IGNORED_UNREGISTER_ERRNOS:
                raise


class _KQueueBackend(_Backend):
    """kqueue(2) (BSD, macOS): one READ and/or WRITE filter per fd."""

    POLLER_NAME = 'KQueuePoller'

    __slots__ = ('_kqueue', '_nfilters')

    def __init__(self) -> None:
        self._kqueue: Any = None
        self._nfilters = 0

    def open(self) -> Callable[[float], Iterable[Tuple[int, int]]]:
        self._kqueue = select.kqueue()  # type: ignore[attr-defined]
        self._nfilters = 0
        return self._wait

    def close(self) -> None:
        kqueue, self._kqueue = self._kqueue, None
        if kqueue is not None:
            kqueue.close()

    def _change(self, fd: int, to_clear: int, to_set: int) -> None:
        kevent = select.kevent  # type: ignore[attr-defined]
        changes = []
        for bit, kfilter in ((_READ, select.KQ_FILTER_READ),  # type: ignore
                             (_WRITE, select.KQ_FILTER_WRITE)):  # type: ignore
            if to_clear & bit:
                changes.append(kevent(fd, kfilter,
                                      select.KQ_EV_DELETE))  # type: ignore
                self._nfilters -= 1
            elif to_set & bit:
                changes.append(kevent(fd, kfilter,
                                      select.KQ_EV_ADD))  # type: ignore
                self._nfilters += 1
        if changes:
            self._kqueue.control(changes, 0)

    def register(self, fd: int, events: int) -> None:
        self._change(fd, 0, events)

    def modify(self, fd: int, old: int, new: int) -> None:
        self._change(fd, old & ~new, new & ~old)

    def unregister(self, fd: int, old: int) -> None:
        try:
            self._change(fd, old, 0)
        except OSError as exc:
            if exc.errno not in _IGNORED_UNREGISTER_ERRNOS:
                raise

    def _wait(self, timeout: float) -> Iterable[Tuple[int, int]]:
        kevents = self._kqueue.control(None, max(self._nfilters, 1), timeout)
        if not kevents:
            return ()
        read_filter = select.KQ_FILTER_READ  # type: ignore[attr-defined]
        write_filter = select.KQ_FILTER_WRITE  # type: ignore[attr-defined]
        ev_eof = select.KQ_EV_EOF  # type: ignore[attr-defined]
        ev_error = select.KQ_EV_ERROR  # type: ignore[attr-defined]
        ready: Dict[int, int] = {}
        for kev in kevents:
            if kev.flags & ev_error:
                mask = _ERROR
            elif kev.filter == read_filter:
                mask = _READ
            elif kev.filter == write_filter:
                # EOF on the write side: the peer is gone
                mask = _WRITE | _ERROR if kev.flags & ev_eof else _WRITE
            else:
                continue
            ready[kev.ident] = ready.get(kev.ident, 0) | mask
        return ready.items()


def _requested_select_type() -> Optional[str]:
    if SELECT_TYPE:
        return SELECT_TYPE
    module = sys.modules.get(_SELECT_CONNECTION_MODULE)
    return getattr(module, 'SELECT_TYPE', None) if module is not None else None


def _create_backend() -> _Backend:
    """Pick the poller like pika: epoll, kqueue, poll, then select; a set
    SELECT_TYPE restricts the choice, falling back to select."""
    wanted = _requested_select_type()
    if _HAVE_EPOLL and (not wanted or wanted == 'epoll'):
        return _EPollBackend()
    if _HAVE_KQUEUE and (not wanted or wanted == 'kqueue'):
        return _KQueueBackend()
    if _HAVE_POLL and (not wanted or wanted == 'poll'):
        return _PollBackend()
    return _SelectBackend()


# A registered fd: (handler, mask applied to reported events, interest events)
_FdRecord = Tuple[Callable[[int, int], None], int, int]


class IOLoop(AbstractSelectorIOLoop):
    """Single-threaded I/O loop with timers, callbacks and fd handlers.

    Only ``add_callback_threadsafe`` (alias ``add_callback``) and ``stop`` may
    be called from other threads.
    """

    READ = _READ
    WRITE = _WRITE
    ERROR = _ERROR

    def __init__(self) -> None:
        # timers
        self._heap: Optional[List[_Timeout]] = []
        self._timer_seq = 0
        self._cancelled = 0
        # callbacks from add_callback(_threadsafe)
        self._callbacks: collections.deque = collections.deque()
        # fd -> _FdRecord
        self._fd_map: Dict[int, _FdRecord] = {}
        # fds removed while handlers are being dispatched
        self._removed: set = set()
        self._dispatch_depth = 0
        self._dispatch_gen = 0
        # wait function of the activated poller, None when deactivated
        self._wait: Optional[Callable[[float], Iterable[Tuple[int, int]]]] = None
        self._running = False
        self._stopping = False
        self._closed = False
        # thread that last entered poll(), and whether it may be blocked in it
        self._owner: Optional[int] = None
        self._in_wait = False
        # wake-up channel
        self._wake_lock = threading.RLock()
        self._wake_pending = False

        self._poller = _create_backend()
        LOGGER.debug('Using %s', self._poller.POLLER_NAME)

        r_sock, w_sock = socket.socketpair()
        try:
            r_sock.setblocking(False)
            w_sock.setblocking(False)
        except BaseException:
            r_sock.close()
            w_sock.close()
            raise
        self._r_interrupt: Optional[socket.socket] = r_sock
        self._w_interrupt: Optional[socket.socket] = w_sock
        self.add_handler(r_sock.fileno(), self._read_interrupt, _READ)

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Release the loop's resources (poller, wake-up sockets, timers).

        Call it after ``start()`` returned; the instance is unusable afterwards.
        Calling it again is a no-op.
        """
        if self._closed:
            return
        if self._running:
            raise RuntimeError('Cannot call close() before start() unwinds.')
        self._closed = True

        with self._wake_lock:
            r_sock, self._r_interrupt = self._r_interrupt, None
            w_sock, self._w_interrupt = self._w_interrupt, None

        try:
            self.deactivate_poller()
        finally:
            self._fd_map.clear()
            self._removed.clear()
            if r_sock is not None:
                r_sock.close()
            if w_sock is not None:
                w_sock.close()

            heap, self._heap = self._heap, None
            if heap:
                for timeout in heap:
                    timeout[2] = None
            self._cancelled = 0
            # A fresh deque: callbacks still added by other threads are
            # accepted and dropped.
            self._callbacks = collections.deque()

    def activate_poller(self) -> None:
        """[Extension] Create the OS poller and register the current handlers.

        No-op when already active.
        """
        if self._closed:
            raise RuntimeError('IOLoop is closed')
        if self._wait is not None:
            return
        poller = self._poller
        wait = poller.open()
        try:
            for fd, record in self._fd_map.items():
                poller.register(fd, record[2])
        except BaseException:
            poller.close()
            raise
        self._wait = wait

    def deactivate_poller(self) -> None:
        """[Extension] Release the OS poller; handlers stay recorded."""
        if self._wait is None:
            return
        self._wait = None
        self._poller.close()

    def start(self) -> None:
        """Run until ``stop()`` is requested.

        A ``stop()`` requested while the loop is not running makes the next
        ``start()`` return at once.  Exceptions raised by callbacks and
        handlers propagate out of ``start()``.

        :raises RuntimeError: when called while already running
        """
        if self._running:
            raise RuntimeError('IOLoop is not reentrant and is already running')
        self._running = True
        try:
            activated = self._wait is None
            if activated:
                self.activate_poller()
            try:
                poll = self.poll
                process_timeouts = self.process_timeouts
                while not self._stopping:
                    poll()
                    process_timeouts()
            finally:
                if activated:
                    self.deactivate_poller()
        finally:
            self._stopping = False
            self._running = False

    def stop(self) -> None:
        """Request exit from ``start()``; it returns after the current
        iteration.  Safe to call from a callback, a handler or another thread.
        """
        self._stopping = True
        self._wake()

    # -- timers and callbacks ---------------------------------------------

    def call_later(self, delay: float,
                   callback: Callable[[], None]) -> _Timeout:
        """Call ``callback()`` once, ``delay`` seconds from now (best effort).

        :returns: a handle for ``remove_timeout``
        :raises ValueError: negative delay or closed loop
        :raises TypeError: callback not callable
        """
        heap = self._heap
        if heap is None:
            raise ValueError('call_later: IOLoop is closed')
        if delay < 0:
            raise ValueError(
                'call_later: delay must be non-negative, but got %r' % (delay,))
        if not callable(callback):
            raise TypeError(
                'callback must be a callable, but got %r' % (callback,))
        seq = self._timer_seq
        self._timer_seq = seq + 1
        timeout = _Timeout((_monotonic() + delay, seq, callback))
        heappush(heap, timeout)
        return timeout

    def remove_timeout(self, timeout_handle: _Timeout) -> None:
        """Cancel a timer; no-op when it already fired or was cancelled."""
        if timeout_handle[2] is None:
            return
        timeout_handle[2] = None
        heap = self._heap
        if heap is None:
            return
        cancelled = self._cancelled = self._cancelled + 1
        if cancelled >= _TIMER_GC_MIN_CANCELLED and cancelled * 2 > len(heap):
            heap[:] = [t for t in heap if t[2] is not None]
            heapify(heap)
            self._cancelled = 0

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` in the loop's thread as soon as possible.

        Callbacks run in the order they were added.  Safe from any thread
        (and from signal handlers).
        """
        if not callable(callback):
            raise TypeError(
                'callback must be a callable, but got %r' % (callback,))
        self._callbacks.append(callback)
        # The loop's own thread needs no wake-up unless it is (possibly) inside
        # the poll wait, e.g. when called from a signal handler.
        if (not self._wake_pending and
                (self._in_wait or self._owner != _get_ident())):
            self._wake()

    add_callback = add_callback_threadsafe

    def process_timeouts(self) -> None:
        """[Extension] Run the queued callbacks, then the due timers.

        Callbacks queued while this runs wait for the next iteration.
        """
        callbacks = self._callbacks
        if callbacks:
            popleft = callbacks.popleft
            for _ in range(len(callbacks)):
                popleft()()
        heap = self._heap
        if heap:
            now = _monotonic()
            if heap[0][0] <= now:
                self._run_due_timers(now)

    def _run_due_timers(self, now: float) -> None:
        # Timers created while running (seq >= limit) wait for the next call.
        limit = self._timer_seq
        heap = self._heap
        while heap:
            timeout = heap[0]
            if timeout[0] > now or timeout[1] >= limit:
                break
            heappop(heap)
            callback = timeout[2]
            if callback is None:
                self._cancelled -= 1
                continue
            timeout[2] = None
            callback()
            heap = self._heap

    # -- fd handlers -------------------------------------------------------

    def add_handler(self, fd: int, handler: Callable[[int, int], None],
                    events: int) -> None:
        """Watch ``fd``; ``handler(fd, events)`` is called on readiness.

        Adding an fd that is already watched replaces its handler and events.

        :param events: mask of READ, WRITE, ERROR
        """
        fd_map = self._fd_map
        old = fd_map.get(fd)
        fd_map[fd] = (handler, events | _ALWAYS_REPORTED, events)
        if self._wait is not None:
            try:
                if old is not None:
                    # The number may now name another file (closed and
                    # reused without remove_handler): register afresh.
                    self._poller.unregister(fd, old[2])
                self._poller.register(fd, events)
            except BaseException:
                if old is None:
                    del fd_map[fd]
                else:
                    fd_map[fd] = old
                raise

    def update_handler(self, fd: int, events: int) -> None:
        """Replace the event mask of a watched fd.

        :raises KeyError: fd not watched
        """
        record = self._fd_map[fd]
        old = record[2]
        if old == events:
            return
        self._fd_map[fd] = (record[0], events | _ALWAYS_REPORTED, events)
        if self._wait is not None:
            self._poller.modify(fd, old, events)

    def remove_handler(self, fd: int) -> None:
        """Stop watching ``fd``; pending events for it are not dispatched.

        :raises KeyError: fd not watched
        """
        record = self._fd_map.pop(fd)
        if self._dispatch_depth:
            self._removed.add(fd)
        if self._wait is not None:
            self._poller.unregister(fd, record[2])

    # -- polling -------------------------------------------------------------

    def poll(self) -> None:
        """[Extension] Wait for I/O readiness until the next timer or queued
        callback is due (at most ``_MAX_POLL_TIMEOUT`` seconds) and dispatch
        the handlers of ready fds.  Activates the poller if needed.
        """
        self._poll_for(None)

    def _poll_for(self, limit: Optional[float]) -> None:
        """``poll()``, waiting no longer than ``limit`` seconds (None: as poll()).

        BlockingConnection waits with its callers' time limits this way instead of
        arming a timer per wait."""
        wait = self._wait
        if wait is None:
            self.activate_poller()
            wait = self._wait
        self._owner = _get_ident()
        self._in_wait = True
        if self._callbacks:
            timeout = 0.0
        else:
            heap = self._heap
            while heap and heap[0][2] is None:
                heappop(heap)
                self._cancelled -= 1
            if heap:
                timeout = heap[0][0] - _monotonic()
                if timeout <= 0.0:
                    timeout = 0.0
                elif timeout > _MAX_POLL_TIMEOUT:
                    timeout = _MAX_POLL_TIMEOUT
            else:
                timeout = _MAX_POLL_TIMEOUT
            if limit is not None and limit < timeout:
                timeout = limit if limit > 0.0 else 0.0
        events = wait(timeout)  # type: ignore[misc]
        self._in_wait = False
        if not events:
            return

        fd_map = self._fd_map
        removed = self._removed
        gen = self._dispatch_gen = self._dispatch_gen + 1
        self._dispatch_depth += 1
        try:
            for fd, ev in events:
                record = fd_map.get(fd)
                if record is None or (removed and fd in removed):
                    continue
                ev &= record[1]
                if ev:
                    record[0](fd, ev)
                    if self._dispatch_gen != gen:
                        # a handler ran a nested poll(), which dispatched
                        # fresher events; the rest of ours are stale
                        break
        finally:
            self._dispatch_depth -= 1
            if removed and not self._dispatch_depth:
                removed.clear()

    # -- wake-up channel -----------------------------------------------------

    def _wake(self) -> None:
        """Make a (possibly blocked) poll() return; thread-safe."""
        with self._wake_lock:
            w_sock = self._w_interrupt
            if w_sock is None or self._wake_pending:
                return
            self._wake_pending = True
            try:
                w_sock.send(b'\0')
            except (BlockingIOError, InterruptedError):
                # the buffer is full of unread wake-up bytes: poll will return
                pass
            except BaseException:
                self._wake_pending = False
                raise

    def _read_interrupt(self, _fd: int, _events: int) -> None:
        # Drain first, then clear the flag.  A producer that still sees the
        # flag set queued its callback before the flag is cleared, hence
        # before process_timeouts() takes its snapshot of the queue; a byte
        # written after the drain only causes one spurious wake-up.
        try:
            self._r_interrupt.recv(4096)  # type: ignore[union-attr]
        except (BlockingIOError, InterruptedError):
            pass
        self._wake_pending = False


# ---------------------------------------------------------------------------
# pika's public poller classes (``pika.adapters.select_connection.SelectPoller``
# and friends): fd multiplexers with their own handler table, timeout source
# and wake-up socket pair, built on the back ends above.  IOLoop does not use
# them: it drives a back end directly, with its own timers in the same loop.
# ---------------------------------------------------------------------------

_INTEREST_BITS = _READ | _WRITE | _ERROR


class _PollerBase(AbstractBase):
    """pika's poller API: ``get_wait_seconds()`` bounds each wait (None: the
    5-second backstop), ``process_timeouts()`` runs after each ``poll()`` in
    ``start()``, and handlers are called as ``handler(fileno, events)``.
    """

    # Worst-case wait of one poll(), in seconds.
    _MAX_POLL_TIMEOUT = 5

    #: Units of the OS call's timeout per second (1000 where it takes ms).
    POLL_TIMEOUT_MULT = 1

    def __init__(self, get_wait_seconds: Callable[[], Optional[float]],
                 process_timeouts: Callable[[], None]) -> None:
        """
        :param get_wait_seconds: returns the longest wait for I/O in seconds,
            or None for no limit but the backstop
        :param process_timeouts: called after each ``poll()`` of ``start()``
        """
        self._get_wait_seconds = get_wait_seconds
        self._process_timeouts = process_timeouts
        self._backend = self._create_backend()
        # wait function of the activated back end, None when deactivated
        self._wait: Optional[Callable[[float], Iterable[Tuple[int, int]]]] = None
        self._fd_handlers: Dict[int, Callable[[int, int], None]] = {}
        # fd -> the events it was added/updated with
        self._fd_events: Dict[int, int] = {}
        # fd -> ready events of the dispatch in progress; remove_handler()
        # deletes from it so a removed fd is not called later in that round
        self._processing_fd_event_map: Dict[int, int] = {}
        self._running = False
        self._stopping = False
        self._closed = False
        # Guards the wake-up sockets against close() from the loop's thread
        # while another thread is in wake_threadsafe().
        self._waking_mutex = threading.Lock()
        r_sock, w_sock = socket.socketpair()
        r_sock.setblocking(False)
        w_sock.setblocking(False)
        self._r_interrupt: Optional[socket.socket] = r_sock
        self._w_interrupt: Optional[socket.socket] = w_sock
        self.add_handler(r_sock.fileno(), self._read_interrupt, _READ)

    @staticmethod
    @abc.abstractmethod
    def _create_backend() -> _Backend:
        """The back end (OS readiness API) this poller class uses."""

    def close(self) -> None:
        """Release the poller's resources; call it after ``start()`` returned.
        The instance is unusable afterwards; calling close() again is a no-op.

        :raises RuntimeError: when the poller is running
        """
        if self._running:
            raise RuntimeError('Cannot call close() before start() unwinds.')
        with self._waking_mutex:
            r_sock, self._r_interrupt = self._r_interrupt, None
            w_sock, self._w_interrupt = self._w_interrupt, None
        if r_sock is not None:
            if r_sock.fileno() in self._fd_handlers:
                self.remove_handler(r_sock.fileno())
            r_sock.close()
        if w_sock is not None:
            w_sock.close()
        self.deactivate_poller()
        self._closed = True
        self._fd_handlers.clear()
        self._fd_events.clear()
        self._processing_fd_event_map = {}

    def wake_threadsafe(self) -> None:
        """Make a (possibly blocked) ``poll()`` return soon; safe from any thread."""
        with self._waking_mutex:
            w_sock = self._w_interrupt
            if w_sock is None:
                return
            try:
                w_sock.send(b'X')
            except (BlockingIOError, InterruptedError):
                # the socket buffer is full of unread bytes: a wake-up is pending
                pass

    def _get_max_wait(self) -> float:
        """The next wait, in units of ``POLL_TIMEOUT_MULT`` per second."""
        delay = self._get_wait_seconds()
        if delay is None or delay > self._MAX_POLL_TIMEOUT:
            delay = self._MAX_POLL_TIMEOUT
        elif delay < 0:
            # a deadline already past: do not wait (a negative poll(2) timeout
            # would block forever)
            delay = 0
        return delay * self.POLL_TIMEOUT_MULT

    def add_handler(self, fileno: int, handler: Callable[..., None], events: int) -> None:
        """Watch ``fileno``: ``handler(fileno, events)`` is called when it is ready.

        Adding a watched fd again replaces its handler and events.

        :param events: mask of PollEvents.READ, WRITE, ERROR
        """
        old = self._fd_events.get(fileno)
        self._fd_handlers[fileno] = handler
        self._fd_events[fileno] = events
        if self._wait is not None:
            if old is not None:
                # the number may now name another file: register afresh
                self._backend.unregister(fileno, old)
            self._backend.register(fileno, events)

    def update_handler(self, fileno: int, events: int) -> None:
        """Replace the events watched on ``fileno``.

        :raises KeyError: fileno is not watched
        """
        old = self._fd_events[fileno]
        self._fd_events[fileno] = events
        if self._wait is not None and old != events:
            self._backend.modify(fileno, old, events)

    def remove_handler(self, fileno: int) -> None:
        """Stop watching ``fileno``; its pending events are not dispatched.

        :raises KeyError: fileno is not watched
        """
        self._processing_fd_event_map.pop(fileno, None)
        old = self._fd_events.pop(fileno)
        del self._fd_handlers[fileno]
        if self._wait is not None:
            self._backend.unregister(fileno, old)

    def activate_poller(self) -> None:
        """Allocate the OS poller and register the watched fds (no-op when active)."""
        if self._closed:
            raise RuntimeError('the poller is closed')
        if self._wait is not None:
            return
        backend = self._backend
        wait = backend.open()
        try:
            for fileno, events in self._fd_events.items():
                backend.register(fileno, events)
        except BaseException:
            backend.close()
            raise
        self._wait = wait

    def deactivate_poller(self) -> None:
        """Release the OS poller; the handlers stay recorded."""
        if self._wait is None:
            return
        self._wait = None
        self._backend.close()

    def start(self) -> None:
        """Loop ``poll()`` then ``process_timeouts()`` until ``stop()``.

        A ``stop()`` requested before ``start()`` makes it return at once.

        :raises RuntimeError: when already running (the loop is not reentrant)
        """
        if self._running:
            raise RuntimeError('IOLoop is not reentrant and is already running')
        self._running = True
        try:
            self.activate_poller()
            while not self._stopping:
                self.poll()
                self._process_timeouts()
        finally:
            try:
                self.deactivate_poller()
            finally:
                self._stopping = False
                self._running = False

    def stop(self) -> None:
        """Make ``start()`` return after its current iteration; safe from any thread."""
        self._stopping = True
        self.wake_threadsafe()

    def poll(self) -> None:
        """Wait for readiness of the watched fds, at most ``get_wait_seconds()``
        (and 5 s), then call the handlers of the ready ones.  Activates the
        poller if needed.
        """
        wait = self._wait
        if wait is None:
            self.activate_poller()
            wait = self._wait
        ready = wait(self._get_max_wait() / self.POLL_TIMEOUT_MULT)  # type: ignore[misc]
        self._dispatch_fd_events(dict(ready))

    def _dispatch_fd_events(self, fd_event_map: Dict[int, int]) -> None:
        # A nested poll() from a handler supersedes the outer dispatch: empty
        # the outer map so its remaining (now stale) events are dropped.
        self._processing_fd_event_map.clear()
        self._processing_fd_event_map = fd_event_map
        handlers = self._fd_handlers
        interest = self._fd_events
        for fileno in list(fd_event_map):
            events = fd_event_map.get(fileno)
            wanted = interest.get(fileno)
            if events is None or wanted is None:
                continue
            # Interest may have changed since the wait: drop READ/WRITE/ERROR
            # bits no longer asked for (others, e.g. HANGUP, always reach it).
            events &= wanted | _ALWAYS_REPORTED
            if events:
                handlers[fileno](fileno, events)

    def _read_interrupt(self, _fileno: int, _events: int) -> None:
        r_sock = self._r_interrupt
        if r_sock is None:
            return
        try:
            r_sock.recv(512)
        except (BlockingIOError, InterruptedError):
            pass


class SelectPoller(_PollerBase):
    """select(2): available everywhere."""

    POLL_TIMEOUT_MULT = 1

    @staticmethod
    def _create_backend() -> _Backend:
        return _SelectBackend()


class KQueuePoller(_PollerBase):
    """kqueue(2) (BSD, macOS)."""

    @staticmethod
    def _create_backend() -> _Backend:
        return _KQueueBackend()


class PollPoller(_PollerBase):
    """poll(2); its timeout is in milliseconds."""

    POLL_TIMEOUT_MULT = 1000

    @staticmethod
    def _create_backend() -> _Backend:
        return _PollBackend()


class EPollPoller(PollPoller):
    """epoll(7) (Linux), level-triggered."""

    POLL_TIMEOUT_MULT = 1

    @staticmethod
    def _create_backend() -> _Backend:
        return _EPollBackend()
