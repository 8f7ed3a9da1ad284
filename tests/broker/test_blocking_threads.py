"""BlockingConnection as applications drive it: sleep(0) / process_data_events(0) loops,
a second thread inside the loop, worker threads handing acks back through
add_callback_threadsafe, and the older BlockingChannel spellings (issue 8).

Each scenario runs under pika 1.4.4 and pika_fast against the broker and compares what
is observable.
"""
import functools
import threading
import time
import warnings

import pytest

import pika as real_pika

import pika_fast
from pika_fast import exceptions

LIBRARIES = [pytest.param(real_pika, id="pika"), pytest.param(pika_fast, id="pika_fast")]

# A bound on loop iterations, not on time: a loop that never sees the callback fails
# here instead of hanging.
MAX_SPINS = 100_000


def _connect(lib, amqp_url):
    return lib.BlockingConnection(lib.URLParameters(amqp_url))


def _spin_until(event, service):
    spins = 0
    while not event.is_set():
        service()
        spins += 1
        if spins >= MAX_SPINS:
            break
    return event.is_set()


# -------------------------------------------------- sleep(0) / process_data_events(0)


@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize("how", ["sleep", "process_data_events"])
def test_zero_time_loop_ends_once_the_threadsafe_callback_ran(lib, how, amqp_url):
    # A task queue's consumer shutdown: ask the connection's thread to set the event,
    # then service the connection with zero-length waits until it is set.
    conn = _connect(lib, amqp_url)
    try:
        done = threading.Event()
        conn.add_callback_threadsafe(done.set)
        service = (lambda: conn.sleep(0)) if how == "sleep" else \
            (lambda: conn.process_data_events(0))
        assert _spin_until(done, service)
    finally:
        conn.close()


@pytest.mark.parametrize("lib", LIBRARIES)
def test_sleep_zero_loop_sees_a_callback_from_another_thread(lib, amqp_url):
    conn = _connect(lib, amqp_url)
    try:
        done = threading.Event()
        requested = threading.Event()

        def other_thread():
            conn.add_callback_threadsafe(done.set)
            requested.set()

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert requested.is_set() and not done.is_set()  # only the loop may run it
        assert _spin_until(done, lambda: conn.sleep(0))
    finally:
        conn.close()


@pytest.mark.parametrize("lib", LIBRARIES)
def test_sleep_zero_dispatches_a_waiting_delivery(lib, amqp_url):
    conn = _connect(lib, amqp_url)
    try:
        ch = conn.channel()
        queue = ch.queue_declare("", exclusive=True).method.queue
        got = threading.Event()
        ch.basic_consume(queue, lambda c, m, p, b: got.set(), auto_ack=True)
        ch.basic_publish("", queue, b"wake")
        assert _spin_until(got, lambda: conn.sleep(0))
    finally:
        conn.close()


# ------------------------------------------------------ a second thread in the loop


@pytest.mark.parametrize("lib", LIBRARIES)
def test_process_data_events_from_two_threads_at_once(lib, amqp_url):
    conn = _connect(lib, amqp_url)
    errors = []
    inside = threading.Event()

    def pump(rounds):
        try:
            for _ in range(rounds):
                inside.set()
                conn.process_data_events(time_limit=0.3)
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            errors.append(exc)

    try:
        first = threading.Thread(target=pump, args=(4,))
        first.start()
        inside.wait()
        pump(3)  # this thread calls in while the first one is inside
        first.join()
        assert errors == []
        # And the connection still works afterwards.
        ch = conn.channel()
        queue = ch.queue_declare("", exclusive=True).method.queue
        ch.basic_publish("", queue, b"after")
        method, _props, body = ch.basic_get(queue, auto_ack=True)
        assert body == b"after"
    finally:
        conn.close()


@pytest.mark.parametrize("lib", LIBRARIES)
def test_worker_threads_ack_through_add_callback_threadsafe(lib, amqp_url):
    # pika's basic_consumer_threaded example: the callback hands each message to a
    # worker thread, which acks it by asking the connection's thread to do it.
    count = 40
    conn = _connect(lib, amqp_url)
    try:
        ch = conn.channel()
        queue = ch.queue_declare("", exclusive=True).method.queue
        for i in range(count):
            ch.basic_publish("", queue, b"%d" % i)
        ch.basic_qos(prefetch_count=5)
        acked = []
        workers = []

        def ack(channel, tag, body):
            channel.basic_ack(tag)
            acked.append(body)
            if len(acked) == count:
                channel.stop_consuming()

        def work(connection, channel, tag, body):
            connection.add_callback_threadsafe(functools.partial(ack, channel, tag, body))

        def on_message(channel, method, _props, body):
            worker = threading.Thread(target=work,
                                      args=(conn, channel, method.delivery_tag, body))
            worker.start()
            workers.append(worker)

        ch.basic_consume(queue, on_message)
        ch.start_consuming()
        for worker in workers:
            worker.join()
        assert sorted(acked, key=int) == [b"%d" % i for i in range(count)]
        assert ch.queue_declare(queue, passive=True).method.message_count == 0
    finally:
        conn.close()


@pytest.mark.parametrize("lib", LIBRARIES)
def test_another_thread_publishes_through_threadsafe_callbacks(lib, amqp_url):
    count = 25
    conn = _connect(lib, amqp_url)
    try:
        ch = conn.channel()
        queue = ch.queue_declare("", exclusive=True).method.queue
        got = []

        def on_message(channel, _method, _props, body):
            got.append(body)
            if len(got) == count:
                channel.stop_consuming()

        ch.basic_consume(queue, on_message, auto_ack=True)

        def producer():
            for i in range(count):
                conn.add_callback_threadsafe(
                    functools.partial(ch.basic_publish, "", queue, b"%d" % i))

        thread = threading.Thread(target=producer)
        thread.start()
        ch.start_consuming()
        thread.join()
        assert got == [b"%d" % i for i in range(count)]
    finally:
        conn.close()


@pytest.mark.parametrize("lib", LIBRARIES)
def test_stop_consuming_from_another_thread_through_threadsafe_callback(lib, amqp_url):
    conn = _connect(lib, amqp_url)
    try:
        ch = conn.channel()
        queue = ch.queue_declare("", exclusive=True).method.queue
        ch.basic_consume(queue, lambda *a: None, auto_ack=True)
        timer = threading.Timer(0.2, lambda: conn.add_callback_threadsafe(ch.stop_consuming))
        timer.start()
        ch.start_consuming()
        timer.join()
        assert ch.consumer_tags == []
        assert ch.is_open
    finally:
        conn.close()


# ------------------------------------------------------------ older spellings


def test_pika_1_4_has_neither_old_spelling():
    # What pika_fast adds back for code written against older pika.
    assert not hasattr(real_pika.adapters.blocking_connection.BlockingChannel,
                       "add_on_close_callback")
    with pytest.raises(TypeError):
        real_pika.adapters.blocking_connection.BlockingChannel.basic_get(
            None, "q", no_ack=True)


def test_blocking_channel_add_on_close_callback_broker_close(amqp_url, names):
    conn = _connect(pika_fast, amqp_url)
    try:
        ch = conn.channel()
        seen = []
        with pytest.warns(DeprecationWarning, match="add_on_close_callback"):
            ch.add_on_close_callback(lambda channel, reason: seen.append((channel, reason)))
        with pytest.raises(exceptions.ChannelClosedByBroker) as info:
            ch.queue_declare(names.queue("missing"), passive=True)
        assert info.value.reply_code == 404
        assert len(seen) == 1
        channel, reason = seen[0]
        assert channel is ch
        assert isinstance(reason, exceptions.ChannelClosedByBroker)
        assert reason.reply_code == 404
        assert conn.is_open
    finally:
        conn.close()


def test_blocking_channel_add_on_close_callback_client_close(amqp_url):
    conn = _connect(pika_fast, amqp_url)
    try:
        ch = conn.channel()
        seen = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ch.add_on_close_callback(lambda channel, reason: seen.append(reason))
        ch.close(200, "bye")
        assert len(seen) == 1
        assert isinstance(seen[0], exceptions.ChannelClosedByClient)
        assert (seen[0].reply_code, seen[0].reply_text) == (200, "bye")
    finally:
        conn.close()


def test_blocking_channel_add_on_close_callback_refuses_non_callable(amqp_url):
    conn = _connect(pika_fast, amqp_url)
    try:
        ch = conn.channel()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            with pytest.raises(TypeError):
                ch.add_on_close_callback("not callable")
    finally:
        conn.close()


@pytest.mark.parametrize("no_ack", [True, False])
def test_basic_get_with_no_ack_as_pika_0x_wrote_it(amqp_url, names, no_ack):
    queue = names.queue("get")
    conn = _connect(pika_fast, amqp_url)
    try:
        ch = conn.channel()
        ch.queue_declare(queue)
        ch.basic_publish("", queue, b"old get")
        with pytest.warns(DeprecationWarning, match="auto_ack"):
            method, _props, body = ch.basic_get(queue, no_ack=no_ack)
        assert body == b"old get"
        ch.close()  # an unacked message goes back to the queue; an auto-acked one does not
        ch = conn.channel()
        # The broker requeues a closed channel's unacked message asynchronously: an
        # immediate passive declare may not count it yet.
        deadline = time.monotonic() + 5
        while True:
            left = ch.queue_declare(queue, passive=True).method.message_count
            if left == (0 if no_ack else 1) or time.monotonic() > deadline:
                break
            conn.sleep(0.05)
        if no_ack:
            conn.sleep(0.2)  # and an auto-acked one must not come back
            left = ch.queue_declare(queue, passive=True).method.message_count
        assert left == (0 if no_ack else 1)
    finally:
        conn.close()


def test_basic_get_refuses_both_spellings_and_unknown_keywords(amqp_url):
    conn = _connect(pika_fast, amqp_url)
    try:
        ch = conn.channel()
        with pytest.raises(TypeError):
            ch.basic_get("q", auto_ack=True, no_ack=True)
        with pytest.raises(TypeError):
            ch.basic_get("q", bogus=True)
        assert ch.is_open
    finally:
        conn.close()
