"""A connection that any number of threads may share (the API of pika's main branch).

``Connection`` runs pika_fast's callback ``SelectConnection`` on a background I/O
thread and offers a synchronous, thread-safe front:

* ``basic_publish``/``basic_ack``/``basic_nack``/``basic_reject`` are fire-and-forget
  from any thread: they encode straight into the connection's output buffer under one
  lock and wake the I/O thread only when it is not already due to write, so a burst of
  publishes from many threads costs one wake-up, not one cross-thread hop each.
* Every other method is an RPC: it is started on the I/O thread and waits (``timeout``
  seconds, ``None`` for ever) for the broker's reply, returning the method frame or
  raising ``TimeoutError``, or the reason the channel or connection closed.
* Consumer, confirm, return, cancel and close callbacks run in order on a worker thread
  per channel (connection-level ones on the connection's worker), fed through a bounded
  queue: when a worker falls ``work_queue_maxsize`` items behind, the I/O thread waits
  (the socket stops being read, so TCP pushes back on the broker), and after
  ``work_queue_put_timeout`` seconds the connection is closed with
  :class:`~pika_fast.exceptions.WorkQueueFullError`. The bound is waived while a
  worker's own thread waits on the I/O thread (an RPC or close made from a callback)
  and once the connection or channel is closing, where waiting would be a deadlock.

The protocol lives in the callback ``Connection``/``Channel`` underneath (``_impl``);
this module only moves calls and callbacks between threads.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Set, Tuple, Union

from pika_fast import exceptions, spec
from pika_fast.adapters._ioloop import IOLoop
from pika_fast.adapters.select_connection import SelectConnection
from pika_fast.adapters.utils.connection_workflow import last_attempt_error
from pika_fast.connection import ConnectionParameters, Parameters
from pika_fast.exchange_type import ExchangeType

__all__ = ["Channel", "Connection", "ThreadSafeChannel", "ThreadSafeConnection"]

LOGGER = logging.getLogger(__name__)
_get_ident = threading.get_ident
_STOP = object()
_current = threading.local()  # .worker: the _Worker whose thread this is
_JOIN_TIMEOUT = 5.0

Timeout = Optional[float]


class _Waiter:
    """One RPC's outcome, handed from the I/O thread to the thread that waits."""

    __slots__ = ("what", "event", "value", "error")

    def __init__(self, what: str) -> None:
        self.what = what
        self.event = threading.Event()
        self.value: Any = None
        self.error: Optional[BaseException] = None

    def done(self, value: Any = None) -> None:
        if not self.event.is_set():
            self.value = value
            self.event.set()

    def fail(self, error: BaseException) -> None:
        if not self.event.is_set():
            self.error = error
            self.event.set()

    def wait(self, timeout: Timeout) -> Any:
        if not self.event.wait(timeout):
            raise TimeoutError(f"{self.what} got no reply within {timeout} s")
        if self.error is not None:
            raise self.error
        return self.value


class _WorkQueueFull(Exception):
    """A worker's queue stayed full for the whole put timeout."""


class _Worker:
    """A thread running callbacks in the order they were queued (started lazily).

    The queue is bounded (``maxsize``, 0: unbounded) so a slow consumer pushes back on
    the I/O thread, with two exceptions that would otherwise deadlock: while the
    worker's own thread waits on the I/O thread (an RPC or a close made from a
    callback), and once the connection is closing (nothing more will be read, and the
    close callbacks must reach the worker).
    """

    def __init__(self, name: str, maxsize: int) -> None:
        self.name = name
        self.maxsize = maxsize
        self.thread: Optional[threading.Thread] = None
        self._items: Deque[Any] = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        self._waiting_on_io = 0  # > 0 while this worker's thread waits on the I/O thread
        self._bounded = maxsize > 0
        self.unfinished_tasks = 0  # queued and not yet run to the end (as queue.Queue's)
        self.done = threading.Event()  # set once the thread has exited (or never will run)

    def put(self, item: Tuple[Callable[..., Any], Tuple[Any, ...]], timeout: Timeout) -> None:
        """Queue a callback (I/O thread); raises _WorkQueueFull after ``timeout``."""
        if self.thread is None:
            thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            thread.start()
            self.thread = thread
        items = self._items
        with self._cond:
            if self._bounded and len(items) >= self.maxsize and not self._waiting_on_io:
                deadline = None if timeout is None else time.monotonic() + timeout
                while self._bounded and len(items) >= self.maxsize \
                        and not self._waiting_on_io:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise _WorkQueueFull()
                    self._cond.wait(remaining)
            items.append(item)
            self.unfinished_tasks += 1
            self._cond.notify_all()

    def unbound(self) -> None:
        """Stop applying the bound (the connection is closing); wakes a waiting put."""
        with self._cond:
            self._bounded = False
            self._cond.notify_all()

    def waiting_on_io(self, waiting: bool) -> None:
        """Mark this worker's thread as (no longer) blocked on the I/O thread."""
        with self._cond:
            self._waiting_on_io += 1 if waiting else -1
            self._cond.notify_all()

    def stop(self) -> None:
        """Let the thread finish what is queued, then exit."""
        if self.thread is None:
            self.done.set()
            return
        with self._cond:
            self._items.append(_STOP)  # past the bound: it must get through
            self.unfinished_tasks += 1
            self._cond.notify_all()

    def _run(self) -> None:
        _current.worker = self
        try:
            self._work()
        finally:
            self.done.set()

    def _work(self) -> None:
        items, cond = self._items, self._cond
        while True:
            with cond:
                while not items:
                    cond.wait()
                item = items.popleft()
                cond.notify_all()  # room for a put waiting on the bound
            if item is _STOP:
                self._task_done()
                return
            callback, args = item
            try:
                callback(*args)
            except Exception:  # noqa: BLE001 - a user callback; the worker carries on
                LOGGER.exception("Exception in %s callback %r", self.name, callback)
            finally:
                self._task_done()

    def _task_done(self) -> None:
        with self._cond:
            self.unfinished_tasks -= 1


class _WaitingOnIO:
    """Context: the calling thread, if one of our workers, waits on the I/O thread."""

    __slots__ = ("worker",)

    def __enter__(self) -> None:
        self.worker: Optional[_Worker] = getattr(_current, "worker", None)
        if self.worker is not None:
            self.worker.waiting_on_io(True)

    def __exit__(self, *exc: Any) -> None:
        if self.worker is not None:
            self.worker.waiting_on_io(False)


class _LockedIOLoop(IOLoop):
    """pika_fast's IOLoop whose handlers, timers and callbacks run under one lock.

    Other threads take the same lock to touch the connection's state, so the protocol
    core only ever has one caller at a time. Callbacks for worker threads are collected
    while the lock is held and queued once it is released, so a full work queue never
    blocks a thread that holds the lock.
    """

    def __init__(self, owner: "Connection") -> None:
        self._owner_conn = owner
        self.io_ident: Optional[int] = None
        super().__init__()

    def _locked(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        owner = self._owner_conn

        def run(*args: Any) -> Any:
            with owner._lock:
                result = fn(*args)
            if owner._outbox:
                owner._hand_out()
            return result
        return run

    def add_handler(self, fd: int, handler: Callable[[int, int], None], events: int) -> None:
        super().add_handler(fd, self._locked(handler), events)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        return super().call_later(delay, self._locked(callback))

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        super().add_callback_threadsafe(self._locked(callback))

    add_callback = add_callback_threadsafe


class _IOConnection(SelectConnection):
    """The callback connection on the I/O thread; writes are woken from any thread."""

    _wake_pending = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = getattr(self._ioloop, "_owner_conn", None)
        if owner is not None:
            owner._connecting = self  # so an open that times out can be stopped

    def _flush_soon(self) -> None:
        loop = self._ioloop
        if loop.io_ident == _get_ident():
            super()._flush_soon()
        elif not self._wake_pending:
            # Called under the lock from a user thread: one wake-up serves every
            # publish made before the I/O thread gets to it.
            self._wake_pending = True
            IOLoop.add_callback_threadsafe(loop, loop._locked(self._flush_woken))

    def _flush_woken(self) -> None:
        self._wake_pending = False
        super()._flush_soon()


class Connection:
    """One AMQP connection shared by any number of threads.

    ``parameters`` is a :class:`~pika_fast.connection.Parameters` or a sequence of them
    (tried in order, each ``connection_attempts`` times ``retry_delay`` apart). The
    constructor returns once the connection is open, or raises why it could not open
    (after calling ``on_open_error_callback(connection, error)`` if given), or
    ``TimeoutError`` after ``timeout`` seconds. ``on_close_callback(connection,
    reason)`` runs on the connection's worker thread when it closes.
    """

    def __new__(cls, *args: Any, recovery: Any = None, **kwargs: Any) -> Any:
        if recovery is not None and cls is Connection:
            from pika_fast.recovery import RecoveringConnection  # opt-in recovery
            cls = RecoveringConnection
        return super().__new__(cls)

    def __init__(self, parameters: Union[Parameters, Sequence[Parameters], None] = None,
                 on_open_error_callback: Optional[Callable[..., None]] = None,
                 on_close_callback: Optional[Callable[..., None]] = None,
                 timeout: Timeout = 10, work_queue_maxsize: int = 1000,
                 work_queue_put_timeout: Timeout = 30.0, recovery: Any = None) -> None:
        if parameters is None:
            configs: List[Parameters] = [ConnectionParameters()]
        elif isinstance(parameters, Parameters):
            configs = [parameters]
        else:
            configs = list(parameters)
            if not configs or not all(isinstance(p, Parameters) for p in configs):
                raise TypeError("parameters must be a Parameters instance or a non-empty "
                                f"sequence of them, not {parameters!r}")
        if work_queue_maxsize < 0:
            raise ValueError("work_queue_maxsize must be >= 0 (0: unbounded)")
        self.work_queue_maxsize = work_queue_maxsize
        self.work_queue_put_timeout = work_queue_put_timeout
        self._lock = threading.RLock()
        self._outbox: List[Tuple[_Worker, Callable[..., Any], Tuple[Any, ...]]] = []
        self._handing_out = False  # callbacks taken from the outbox, not yet queued
        self._ioloop = _LockedIOLoop(self)
        self._impl: Any = None
        self._channels: Dict[int, Channel] = {}
        self._all_channels: List[Channel] = []  # every channel ever opened, to join
        self._waiters: Set[_Waiter] = set()
        self._close_reason: Optional[BaseException] = None
        self._closed = threading.Event()
        self._on_close_callbacks: List[Callable[..., None]] = []
        if on_close_callback is not None:
            self._on_close_callbacks.append(on_close_callback)
        self._blocked_callbacks: List[Callable[..., None]] = []
        self._unblocked_callbacks: List[Callable[..., None]] = []
        self._worker = _Worker("pika_fast-connection-worker", work_queue_maxsize)
        self._opened = _Waiter("Connection open")
        self._connecting: Any = None  # the callback connection, from its creation
        self._io_thread = threading.Thread(target=self._run_io, args=(configs,),
                                           name="pika_fast-io", daemon=True)
        self._io_thread.start()
        try:
            self._impl = self._opened.wait(timeout)
        except TimeoutError:
            self._ioloop.add_callback_threadsafe(self._abandon_open)
            self._io_thread.join(_JOIN_TIMEOUT)
            raise TimeoutError(f"The connection did not open within {timeout} s") from None
        except BaseException as error:
            self._io_thread.join(_JOIN_TIMEOUT)
            if on_open_error_callback is not None:
                on_open_error_callback(self, error)
            raise

    # ------------------------------------------------------------ I/O thread

    def _run_io(self, configs: List[Parameters]) -> None:
        loop = self._ioloop
        loop.io_ident = _get_ident()
        try:
            with self._lock:
                _IOConnection.create_connection(configs, self._on_connect_done,
                                                custom_ioloop=loop)
            loop.start()
        except BaseException as exc:  # noqa: BLE001 - report, never die silently
            LOGGER.exception("pika_fast I/O thread failed: %r", exc)
            self._opened.fail(exc)
            with self._lock:
                self._finish(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
        finally:
            self._hand_out()
            loop.close()

    def _abandon_open(self) -> None:
        """The constructor timed out (I/O thread): stop connecting, or close the
        connection that opened too late, so no socket or broker connection is left."""
        impl = self._opened.value
        if impl is not None:
            if not (impl.is_closed or impl.is_closing):
                impl.close()  # its close callback stops the loop
            return
        connecting = self._connecting
        if connecting is not None:
            try:
                # Mid-open, close() stops the workflow and closes the socket, in the
                # TCP phase and the AMQP handshake alike.
                connecting.close()
            except Exception:  # noqa: BLE001 - the workflow had already given up
                LOGGER.debug("abandoning the open: close failed", exc_info=True)
        self._ioloop.stop()

    def _on_connect_done(self, result: Any) -> None:
        if isinstance(result, BaseException):
            self._opened.fail(last_attempt_error(result))
            self._ioloop.stop()
            return
        result.add_on_close_callback(self._on_impl_closed)
        result.add_on_connection_blocked_callback(
            lambda _c, frame: self._dispatch_connection(self._blocked_callbacks, frame))
        result.add_on_connection_unblocked_callback(
            lambda _c, frame: self._dispatch_connection(self._unblocked_callbacks, frame))
        self._opened.done(result)

    def _dispatch_connection(self, callbacks: List[Callable[..., None]], frame: Any) -> None:
        for callback in list(callbacks):
            self._post(self._worker, callback, (self, frame))

    def _post(self, worker: _Worker, callback: Callable[..., Any], args: Tuple[Any, ...]
              ) -> None:
        """Queue ``callback(*args)`` for ``worker`` (I/O thread, under the lock)."""
        self._outbox.append((worker, callback, args))

    def _hand_out(self) -> None:
        """Move collected callbacks into the workers' queues, without the lock held."""
        while True:
            with self._lock:
                items, self._outbox = self._outbox, []
                self._handing_out = bool(items)
            if not items:
                return
            for worker, callback, args in items:
                try:
                    worker.put((callback, args), self.work_queue_put_timeout)
                except _WorkQueueFull:
                    error = exceptions.WorkQueueFullError(
                        f"{worker.name}: work queue full ({self.work_queue_maxsize} items) "
                        f"for {self.work_queue_put_timeout} s; the callbacks cannot keep up")
                    LOGGER.error("%s", error)
                    with self._lock:
                        impl = self._impl
                        if impl is not None and not impl.is_closed:
                            impl._terminate_stream(error)
                        else:
                            self._finish(error)
                    # The connection is closing, the bound is off: it fits now.
                    worker.put((callback, args), None)

    def _on_impl_closed(self, _impl: Any, reason: BaseException) -> None:
        self._finish(reason)
        self._ioloop.stop()

    def _finish(self, reason: BaseException) -> None:
        if self._closed.is_set():
            return
        self._close_reason = reason
        for waiter in list(self._waiters):
            waiter.fail(reason)
        self._waiters.clear()
        for channel in list(self._channels.values()):
            channel._on_impl_closed(None, reason)
        self._post(self._worker, self._run_close_callbacks, (reason,))
        self._unbound_workers()
        self._closed.set()

    def _unbound_workers(self) -> None:
        """Closing: nothing more is read, so the queue bounds only stand in the way
        (of the close callbacks, and of an I/O thread that must get to the close)."""
        for channel in list(self._all_channels):
            channel._worker.unbound()
        self._worker.unbound()

    def _run_close_callbacks(self, reason: BaseException) -> None:
        try:
            for callback in list(self._on_close_callbacks):
                try:
                    callback(self, reason)
                except Exception:  # noqa: BLE001 - a user callback
                    LOGGER.exception("Exception in on_close_callback %r", callback)
        finally:
            self._worker.stop()

    # ------------------------------------------------------- cross-thread calls

    def _in_loop(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the I/O thread (under the lock)."""
        if self._closed.is_set():
            raise exceptions.ConnectionWrongStateError(
                f"Connection is closed: {self._close_reason!r}")
        self._ioloop.add_callback_threadsafe(fn)

    def _call(self, what: str, start: Callable[[_Waiter], None], timeout: Timeout,
              waiters: Optional[Set[_Waiter]] = None) -> Any:
        """Start an RPC on the I/O thread and wait for its outcome."""
        if self._ioloop.io_ident == _get_ident():
            raise RuntimeError(f"{what} would wait on the I/O thread for itself; call it "
                               "from another thread")
        waiter = _Waiter(what)
        pending = self._waiters if waiters is None else waiters

        def begin() -> None:
            if waiter.event.is_set():
                return  # the connection or channel closed before we got here
            try:
                start(waiter)
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                waiter.fail(exc)
        with self._lock:
            # Registered before it is scheduled, so a close in between fails it
            # instead of leaving the caller to its timeout.
            self._in_loop(begin)
            pending.add(waiter)
        try:
            with _WaitingOnIO():
                return waiter.wait(timeout)
        finally:
            with self._lock:
                pending.discard(waiter)

    # ---------------------------------------------------------------- public

    def channel(self, channel_number: Optional[int] = None,
                timeout: Timeout = 10) -> "Channel":
        """Open a channel and return it once the broker confirmed it."""
        channel = Channel(self)

        def start(waiter: _Waiter) -> None:
            impl = self._impl.channel(channel_number, on_open_callback=waiter.done)
            channel._attach(impl)
            self._channels[impl.channel_number] = channel
            self._all_channels.append(channel)
            channel._waiters.add(waiter)  # a broker refusal fails it
        try:
            self._call("Channel.Open", start, timeout)
        finally:
            channel._waiters.clear()
        return channel

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown",
              timeout: Timeout = 10) -> None:
        """Close the channels and the connection; wait (at most ``timeout``) for the
        broker, the I/O thread and the worker threads."""
        if self._closed.is_set():
            raise exceptions.ConnectionWrongStateError(
                f"Connection is already closed: {self._close_reason!r}")
        self._shutdown(reply_code, reply_text, timeout)

    def abort(self, timeout: Timeout = 10) -> None:
        """Close if still open, never raising; returns once the threads are done."""
        try:
            if not self._closed.is_set():
                self._shutdown(200, "Normal shutdown", timeout)
        except Exception:  # noqa: BLE001 - abort swallows, by contract
            LOGGER.debug("abort(): close failed", exc_info=True)
        self._join_threads(timeout)

    def _shutdown(self, reply_code: int, reply_text: str, timeout: Timeout) -> None:
        def start() -> None:
            impl = self._impl
            if impl is not None and not (impl.is_closed or impl.is_closing):
                impl.close(reply_code, reply_text)
        on_io_thread = self._ioloop.io_ident == _get_ident()
        try:
            self._in_loop(start)
        except exceptions.ConnectionWrongStateError:
            pass
        if on_io_thread:
            return  # the loop runs the close once this callback returns
        # The I/O thread may be waiting on a full work queue; it must reach the close.
        self._unbound_workers()
        with _WaitingOnIO():
            self._shutdown_wait(reply_code, reply_text, timeout)

    def _shutdown_wait(self, reply_code: int, reply_text: str, timeout: Timeout) -> None:
        if not self._closed.wait(timeout):
            # The broker did not answer in time: drop the stream, as a timeout must hold.
            def drop() -> None:
                if self._impl is not None and not self._impl.is_closed:
                    self._impl._terminate_stream(exceptions.ConnectionClosedByClient(
                        reply_code, reply_text))
            try:
                self._in_loop(drop)
            except exceptions.ConnectionWrongStateError:
                pass
            self._closed.wait(_JOIN_TIMEOUT)
        self._join_threads(timeout)

    def _join_threads(self, timeout: Timeout) -> None:
        with _WaitingOnIO():
            self._join_threads_now(timeout)

    def _join_threads_now(self, timeout: Timeout) -> None:
        limit = _JOIN_TIMEOUT if timeout is None else max(timeout, 0.1)
        current = threading.current_thread()
        if self._io_thread is not current:
            self._io_thread.join(limit)
        # A worker exits once it has run what it holds, the close callbacks last.
        for worker in [c._worker for c in self._all_channels] + [self._worker]:
            if worker.thread is not current:
                worker.done.wait(limit)

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` on the I/O thread (raises if the connection is closed)."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        self._in_loop(callback)

    def add_on_close_callback(self, callback: Callable[..., None]) -> None:
        """``callback(connection, reason)`` on the connection's worker when it closes."""
        self._on_close_callbacks.append(callback)

    def add_on_connection_blocked_callback(self, callback: Callable[..., None]) -> None:
        """``callback(connection, method_frame)`` on Connection.Blocked."""
        self._blocked_callbacks.append(callback)

    def add_on_connection_unblocked_callback(self, callback: Callable[..., None]) -> None:
        """``callback(connection, method_frame)`` on Connection.Unblocked."""
        self._unblocked_callbacks.append(callback)

    def update_secret(self, new_secret: str, reason: str, timeout: Timeout = 10) -> Any:
        """Send Connection.UpdateSecret (e.g. a refreshed OAuth 2 token); returns the
        UpdateSecretOk method frame."""
        return self._call("Connection.UpdateSecret",
                          lambda w: self._impl.update_secret(new_secret, reason, w.done),
                          timeout)

    @property
    def is_open(self) -> bool:
        impl = self._impl
        return impl is not None and not self._closed.is_set() and impl.is_open

    @property
    def is_closed(self) -> bool:
        return self._closed.is_set()

    @property
    def server_properties(self) -> Optional[Dict[str, Any]]:
        return self._impl.server_properties if self._impl is not None else None

    @property
    def params(self) -> Any:
        return self._impl.params if self._impl is not None else None

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if not self._closed.is_set():
            self.close()

    def __repr__(self) -> str:
        state = "CLOSED" if self._closed.is_set() else "OPEN"
        return f"<{type(self).__name__} {state} impl={self._impl!r}>"


class Channel:
    """A channel of a thread-safe :class:`Connection`; any thread may use it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._impl: Any = None
        self._waiters: Set[_Waiter] = set()
        self._worker = _Worker("pika_fast-channel-worker", connection.work_queue_maxsize)
        self._close_reason: Optional[BaseException] = None
        self._on_close_callbacks: List[Callable[..., None]] = []
        self._on_return_callbacks: List[Callable[..., None]] = []
        self._on_cancel_callbacks: List[Callable[..., None]] = []
        self._ack_nack_callback: Optional[Callable[..., None]] = None
        self._next_seq_no = 0  # 0 until confirm mode, then the next publish's number

    def _attach(self, impl: Any) -> None:
        self._impl = impl
        self._worker.name = f"pika_fast-channel-{impl.channel_number}-worker"
        impl.add_on_close_callback(self._on_impl_closed)
        impl.add_on_return_callback(self._on_impl_return)
        impl.add_on_cancel_callback(self._on_impl_cancel)

    # -------------------------------------------------------- I/O thread side

    def _post(self, callback: Callable[..., Any], *args: Any) -> None:
        self.connection._post(self._worker, callback, args)

    def _on_impl_closed(self, _impl: Any, reason: BaseException) -> None:
        if self._close_reason is not None:
            return
        self._close_reason = reason
        for waiter in list(self._waiters):
            waiter.fail(reason)
        self._waiters.clear()
        for callback in list(self._on_close_callbacks):
            self._post(callback, self, reason)
        self._post(self._worker.stop)
        if self._impl is not None:
            self.connection._channels.pop(self._impl.channel_number, None)

    def _on_impl_return(self, _impl: Any, method: Any, properties: Any, body: Any) -> None:
        for callback in list(self._on_return_callbacks):
            self._post(callback, self, method, properties, body)

    def _on_impl_cancel(self, method_frame: Any) -> None:
        for callback in list(self._on_cancel_callbacks):
            self._post(callback, method_frame)

    def _on_impl_confirm(self, method_frame: Any) -> None:
        if self._ack_nack_callback is not None:
            self._post(self._ack_nack_callback, method_frame)

    # --------------------------------------------------------------- helpers

    def _rpc(self, what: str, start: Callable[[Callable[..., None]], None],
             timeout: Timeout) -> Any:
        """``start(callback)`` on the I/O thread; wait for ``callback(frame)``."""
        if self._close_reason is not None:
            raise exceptions.ChannelWrongStateError(f"Channel is closed: {self._close_reason!r}")
        return self.connection._call(what, lambda waiter: start(waiter.done), timeout,
                                     self._waiters)

    # -------------------------------------------------------- fire and forget

    def basic_publish(self, exchange: str, routing_key: str, body: Any,
                      properties: Optional[spec.BasicProperties] = None,
                      mandatory: bool = False,
                      on_publish: Optional[Callable[[int], None]] = None) -> None:
        """Publish from any thread without waiting. In confirm mode,
        ``on_publish(seq_no)`` is called with the message's sequence number before the
        message can leave (so a confirm can never precede it)."""
        with self.connection._lock:
            self._impl.basic_publish(exchange, routing_key, body, properties, mandatory)
            seq_no = self._next_seq_no
            if seq_no:
                self._next_seq_no = seq_no + 1
                if on_publish is not None:
                    on_publish(seq_no)

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge from any thread (a worker's callback included)."""
        with self.connection._lock:
            self._impl.basic_ack(delivery_tag, multiple)

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        """Negatively acknowledge from any thread."""
        with self.connection._lock:
            self._impl.basic_nack(delivery_tag, multiple, requeue)

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        """Reject one message from any thread."""
        with self.connection._lock:
            self._impl.basic_reject(delivery_tag, requeue)

    # ------------------------------------------------------------------ RPCs

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False, timeout: Timeout = 10) -> Any:
        """Set the prefetch window; returns Basic.QosOk's method frame."""
        return self._rpc("Basic.Qos", lambda cb: self._impl.basic_qos(
            prefetch_size, prefetch_count, global_qos, callback=cb), timeout)

    def basic_consume(self, queue: str, on_message_callback: Callable[..., None],
                      auto_ack: bool = False, exclusive: bool = False,
                      consumer_tag: Optional[str] = None,
                      arguments: Optional[Dict[str, Any]] = None,
                      timeout: Timeout = 10) -> Any:
        """Start a consumer; ``on_message_callback(channel, method, properties, body)``
        runs on this channel's worker thread. Returns Basic.ConsumeOk's method frame."""
        if not callable(on_message_callback):
            raise TypeError("on_message_callback must be callable")

        def run(method: Any, properties: Any, body: Any) -> None:
            # A delivery still queued when the channel stopped being open cannot be
            # acknowledged any more (the broker requeues it), so it is not handed to
            # the user, as pika drops deliveries that arrive on a closing channel.
            # With auto_ack the broker counts it delivered already: it always runs.
            if auto_ack or self._impl.is_open:
                on_message_callback(self, method, properties, body)

        def deliver(_impl: Any, method: Any, properties: Any, body: Any) -> None:
            self._post(run, method, properties, body)
        return self._rpc("Basic.Consume", lambda cb: self._impl.basic_consume(
            queue, deliver, auto_ack=auto_ack, exclusive=exclusive,
            consumer_tag=consumer_tag, arguments=arguments, callback=cb), timeout)

    def basic_cancel(self, consumer_tag: str, timeout: Timeout = 10) -> Any:
        """Cancel a consumer; returns Basic.CancelOk's method frame (None when the
        consumer was unknown or already cancelled)."""
        def start(callback: Callable[..., None]) -> None:
            if consumer_tag not in self._impl.consumer_tags:
                callback(None)
                return
            self._impl.basic_cancel(consumer_tag, callback=callback)
        return self._rpc("Basic.Cancel", start, timeout)

    def basic_get(self, queue: str, auto_ack: bool = False,
                  timeout: Timeout = 10) -> Tuple[Any, Any, Any]:
        """Fetch one message: ``(method, properties, body)``, or ``(None, None, None)``
        when the queue is empty."""
        def start(callback: Callable[..., None]) -> None:
            impl = self._impl
            answered: List[bool] = []

            def on_ok(_ch: Any, method: Any, properties: Any, body: Any) -> None:
                answered.append(True)
                callback((method, properties, body))

            def on_empty(_frame: Any) -> None:
                if not answered:
                    answered.append(True)
                    callback((None, None, None))
            impl.add_callback(on_empty, [spec.Basic.GetEmpty], one_shot=True)
            impl.basic_get(queue, on_ok, auto_ack=auto_ack)
        return self._rpc("Basic.Get", start, timeout)

    def confirm_delivery(self, ack_nack_callback: Optional[Callable[..., None]] = None,
                         timeout: Timeout = 10) -> Any:
        """Enter confirm mode; ``ack_nack_callback(method_frame)`` per Basic.Ack/Nack on
        this channel's worker. Returns Confirm.SelectOk's method frame."""
        self._ack_nack_callback = ack_nack_callback

        def start(callback: Callable[..., None]) -> None:
            self._impl.confirm_delivery(self._on_impl_confirm, callback=callback)
            self._next_seq_no = 1
        return self._rpc("Confirm.Select", start, timeout)

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False,
                      exclusive: bool = False, auto_delete: bool = False,
                      arguments: Optional[Dict[str, Any]] = None,
                      timeout: Timeout = 10) -> Any:
        """Declare a queue; returns Queue.DeclareOk's method frame."""
        return self._rpc("Queue.Declare", lambda cb: self._impl.queue_declare(
            queue, passive, durable, exclusive, auto_delete, arguments, callback=cb),
            timeout)

    def queue_delete(self, queue: str, if_unused: bool = False, if_empty: bool = False,
                     timeout: Timeout = 10) -> Any:
        """Delete a queue; returns Queue.DeleteOk's method frame."""
        return self._rpc("Queue.Delete", lambda cb: self._impl.queue_delete(
            queue, if_unused, if_empty, callback=cb), timeout)

    def queue_purge(self, queue: str, timeout: Timeout = 10) -> Any:
        """Purge a queue; returns Queue.PurgeOk's method frame."""
        return self._rpc("Queue.Purge", lambda cb: self._impl.queue_purge(
            queue, callback=cb), timeout)

    def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None,
                   arguments: Optional[Dict[str, Any]] = None,
                   timeout: Timeout = 10) -> Any:
        """Bind a queue; returns Queue.BindOk's method frame."""
        return self._rpc("Queue.Bind", lambda cb: self._impl.queue_bind(
            queue, exchange, routing_key, arguments, callback=cb), timeout)

    def queue_unbind(self, queue: str, exchange: Optional[str] = None,
                     routing_key: Optional[str] = None,
                     arguments: Optional[Dict[str, Any]] = None,
                     timeout: Timeout = 10) -> Any:
        """Unbind a queue; returns Queue.UnbindOk's method frame."""
        return self._rpc("Queue.Unbind", lambda cb: self._impl.queue_unbind(
            queue, exchange, routing_key, arguments, callback=cb), timeout)

    def exchange_declare(self, exchange: str,
                         exchange_type: Union[ExchangeType, str] = ExchangeType.direct,
                         passive: bool = False, durable: bool = False,
                         auto_delete: bool = False, internal: bool = False,
                         arguments: Optional[Dict[str, Any]] = None,
                         timeout: Timeout = 10) -> Any:
        """Declare an exchange; returns Exchange.DeclareOk's method frame."""
        return self._rpc("Exchange.Declare", lambda cb: self._impl.exchange_declare(
            exchange, exchange_type, passive, durable, auto_delete, internal, arguments,
            callback=cb), timeout)

    def exchange_delete(self, exchange: Optional[str] = None, if_unused: bool = False,
                        timeout: Timeout = 10) -> Any:
        """Delete an exchange; returns Exchange.DeleteOk's method frame."""
        return self._rpc("Exchange.Delete", lambda cb: self._impl.exchange_delete(
            exchange, if_unused, callback=cb), timeout)

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: Optional[Dict[str, Any]] = None,
                      timeout: Timeout = 10) -> Any:
        """Bind two exchanges; returns Exchange.BindOk's method frame."""
        return self._rpc("Exchange.Bind", lambda cb: self._impl.exchange_bind(
            destination, source, routing_key, arguments, callback=cb), timeout)

    def exchange_unbind(self, destination: Optional[str] = None,
                        source: Optional[str] = None, routing_key: str = "",
                        arguments: Optional[Dict[str, Any]] = None,
                        timeout: Timeout = 10) -> Any:
        """Unbind two exchanges; returns Exchange.UnbindOk's method frame."""
        return self._rpc("Exchange.Unbind", lambda cb: self._impl.exchange_unbind(
            destination, source, routing_key, arguments, callback=cb), timeout)

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown",
              timeout: Timeout = 10) -> None:
        """Close the channel and wait for the broker's CloseOk; queued callbacks still
        run on the worker, which then exits."""
        def start(_callback: Callable[..., None]) -> None:
            self._impl.close(reply_code, reply_text)  # completes through the close hook
        if self._close_reason is not None:
            raise exceptions.ChannelWrongStateError(
                f"Channel is already closed: {self._close_reason!r}")
        self._worker.unbound()  # the I/O thread must not wait on it to get to the close
        try:
            self.connection._call("Channel.Close", lambda w: start(w.done), timeout,
                                  self._waiters)
            raise RuntimeError("Channel.Close completed without closing the channel")
        except exceptions.ChannelClosedByClient:
            pass  # the expected outcome: the close callbacks report it
        if threading.current_thread() is not self._worker.thread:
            # Return once the close callbacks have run (not from inside one).
            with _WaitingOnIO():
                self._worker.done.wait(_JOIN_TIMEOUT if timeout is None else timeout)

    def abort(self) -> None:
        """Close if still open, swallowing errors."""
        try:
            if self.is_open:
                self.close()
        except Exception:  # noqa: BLE001 - abort swallows, by contract
            LOGGER.debug("Channel.abort(): close failed", exc_info=True)

    # ------------------------------------------------------------- listeners

    def add_on_close_callback(self, callback: Callable[..., None]) -> None:
        """``callback(channel, reason)`` on the worker when the channel closes."""
        self._on_close_callbacks.append(callback)

    def add_on_return_callback(self, callback: Callable[..., None]) -> None:
        """``callback(channel, method, properties, body)`` for returned messages."""
        self._on_return_callbacks.append(callback)

    def add_on_cancel_callback(self, callback: Callable[..., None]) -> None:
        """``callback(method_frame)`` when the broker cancels a consumer."""
        self._on_cancel_callbacks.append(callback)

    # ----------------------------------------------------------- properties

    @property
    def channel_number(self) -> int:
        return self._impl.channel_number

    @property
    def is_open(self) -> bool:
        return self._close_reason is None and self._impl is not None and self._impl.is_open

    @property
    def is_closed(self) -> bool:
        return self._close_reason is not None

    @property
    def consumer_tags(self) -> List[str]:
        with self.connection._lock:
            return self._impl.consumer_tags

    @property
    def next_publish_seq_no(self) -> int:
        """The sequence number the next publish gets in confirm mode (0 before)."""
        return self._next_seq_no

    def __int__(self) -> int:
        return self.channel_number

    def __repr__(self) -> str:
        return f"<{type(self).__name__} impl={self._impl!r}>"


#: pika's main branch calls them so.
ThreadSafeConnection = Connection
ThreadSafeChannel = Channel
