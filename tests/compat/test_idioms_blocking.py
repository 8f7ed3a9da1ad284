"""pika's semantics as applications use them: BlockingConnection idioms, differential.

Each test is one idiom seen in real pika users, written the way they write it. It runs
under pika 1.4.4 and under pika_fast against the broker (``tests.support.idioms``); the
logs of what the application can observe must be equal, and the test also asserts the
expected outcome itself, so agreeing with pika on a wrong result cannot pass.

Catalogue (idiom — where it is seen — what is compared). Sources: RabbitMQ tutorials
(rabbitmq/rabbitmq-tutorials python/*.py), pika's examples (pika/pika examples/*.py) and
docs (pika.readthedocs.io), Bogdanp/dramatiq dramatiq/brokers/rabbitmq.py,
open-telemetry/opentelemetry-python-contrib instrumentation/…-pika/pika_instrumentor.py,
testcontainers-python modules/rabbitmq (readiness: connect until no
AMQPConnectionError), Stack Overflow answers (pika tags).

==  ======================================================  ==============================================  ======================================
#   idiom                                                   seen in                                         compared
==  ======================================================  ==============================================  ======================================
1   hello world: declare, publish str body, consume+stop    tutorials python/send.py, receive.py            DeclareOk, publish result, body, tags
2   work queue: durable, Persistent, prefetch 1, manual ack tutorials new_task.py, worker.py                deliveries per prefetch, counts, order
3   fanout exchange, server-named exclusive queues          tutorials emit_log.py, receive_logs.py          both subscribers' bodies, amq.gen name
4   direct exchange routed by severity                      tutorials emit_log_direct.py                    which queue got which key
5   topic exchange with * and # bindings                    tutorials emit_log_topic.py                     routed sets
6   RPC: reply_to + correlation_id, process_data_events     tutorials rpc_client.py, rpc_server.py          reply bodies, correlation match
7   direct reply-to (amq.rabbitmq.reply-to)                 examples/direct_reply_to.py                     reply body, reply_to form, order
8   consume(inactivity_timeout) yields (None,)*3, cancel()  dramatiq _RabbitmqConsumer; examples consume gen   sentinel tuple, cancel() return
9   consume generator: break early, cancel() requeues       pika docs "consume" generator; SO answers       cancel() count, queue count after
10  get_waiting_message_count while consuming               pika docs BlockingChannel                       counts
11  basic_get: empty -> (None, None, None); GetOk count     examples/blocking_basic_get.py, demo_get.py     tuples, message_count
12  passive declare of a missing queue (exists check)       SO "check if queue exists"; dramatiq flush      404 class/code, states, new channel
13  redeclare with other flags -> 406, then new channel     SO "PRECONDITION_FAILED inequivalent arg"       406 text, is_closed, recovery
14  passive exchange_declare of a missing exchange          SO; kombu-style "exchange exists"               404, states
15  publish to a missing exchange, error at next call       SO "channel closed 404 NOT_FOUND no exchange"   where/what raises
16  confirms + mandatory unroutable -> UnroutableError      examples/blocking_publish_mandatory.py          exception, returned messages
17  confirms + reject-publish queue -> NackError            examples/blocking_delivery_confirmations.py     exception, messages
18  confirms: publish returns None; routable mandatory      examples/blocking_delivery_confirmations.py     return values
19  mandatory without confirms + add_on_return_callback     pika docs add_on_return_callback                callback args, when
20  start_consuming, stop from a call_later timer           pika docs call_later; SO "consume for N seconds" order, return
21  stop_consuming from another thread (threadsafe cb)      pika docs add_callback_threadsafe; SO           loop ends, tags
22  add_callback_threadsafe(event.set) + sleep(0) loop      dramatiq _RabbitmqConsumer.close                loop ends, callback order
23  process_data_events(0) loop + threadsafe callback       dramatiq/pika docs; SO "stop consumer thread"   loop ends, callbacks run once
24  worker threads ack via add_callback_threadsafe(partial) examples/basic_consumer_threaded.py             all acked, queue empty
25  process_data_events from a 2nd thread meanwhile         examples/basic_consumer_threaded.py variants    no error, still usable
26  publish from threads through add_callback_threadsafe    examples/basic_publisher_threaded.py            bodies arrive
27  channel.close() inside a consumer callback              SO "close channel in callback"                  start_consuming return, states
28  connection.close() inside a consumer callback           SO "exit after N messages"                      exception/return, states
29  basic_cancel(tag) inside the callback ends consuming    pika docs start_consuming                       return, tags, remaining count
30  basic_nack/basic_reject requeue=False -> dead letter    examples/rabbitmq_extensions/dead_lettering.py  x-death reason, DLQ body
31  basic_reject requeue=True -> redelivered                tutorials worker variants; SO                   redelivered flag, body
32  per-queue and per-message TTL                           examples/rabbitmq_extensions/time_to_live.py    expired -> empty get
33  priority queue (x-max-priority)                         examples/rabbitmq_extensions/priority_queues.py  delivery order
34  length limit (x-max-length) drop-head                   examples/rabbitmq_extensions/length_limit.py    survivors
35  alternate exchange                                      examples/rabbitmq_extensions/alternate_exch…     where unroutable lands
36  every BasicProperties field and header types            dramatiq enqueue; celery-style headers          decoded properties
37  server-named exclusive queue, DeclareOk fields          tutorials receive_logs.py                       DeclareOk (aliased)
38  queue_purge / queue_delete message counts               dramatiq flush; SO                              PurgeOk, DeleteOk counts
39  basic_recover(requeue=True)                             pika docs basic_recover                         redelivery
40  tx_select / tx_commit / tx_rollback                     pika docs; SO "transactions pika"               what reached the queue
41  exchange_bind / exchange_unbind (e2e)                   pika docs exchange_bind                         routing before/after
42  queue_unbind                                            pika docs queue_unbind                          routing before/after
43  BlockingConnection and channel as context managers      pika README / docs "with"                       states after with, exceptions pass
44  conn.channel(channel_number=N)                          pika docs                                       channel_number
45  readiness probe: connect to a closed port               testcontainers rabbitmq _connect                exception class
46  wrong password                                          SO "ProbableAuthenticationError"                exception class
47  unknown virtual host                                    SO "ProbableAccessDeniedError"                  exception class
48  URLParameters with query options                        dramatiq url=; pika docs URLParameters          parsed values, opens
49  heartbeat given as a callable                           pika docs ConnectionParameters heartbeat        callable args, value
50  explicit consumer_tag, duplicate -> DuplicateConsumerTag SO; pika docs basic_consume                     tags, exception
51  basic_consume on a missing queue                        SO                                              404
52  second exclusive consumer                               SO "exclusive consumer"                         403 ACCESS_REFUSED
53  ack of an unknown delivery tag                          SO "PRECONDITION_FAILED unknown delivery tag"   406 at the next call
54  basic_ack(multiple=True)                                examples; SO batch ack                          queue counts
55  use after connection close                              dramatiq close / SO                             WrongState exceptions
56  close a channel twice; close a closed connection        dramatiq Broker.close loops                     exception classes
57  str body with non-ASCII text                            tutorials (str bodies)                          bytes received
58  large body (1 MiB, many frames)                         SO "large messages pika"                        body equal
59  is_open / is_closed through the lifecycle               dramatiq channel/connection deleters            states
60  broker cancel (queue deleted) -> add_on_cancel_callback examples; pika docs                             callback frame, tags
61  OpenTelemetry-style wrapping of basic_publish / consume opentelemetry-instrumentation-pika              wrapped calls, deliveries
62  call_later then remove_timeout                          pika docs                                       which timers fired
63  consumer priority argument x-priority                   examples/rabbitmq_extensions/consumer_prior…    accepted, delivery
64  process_data_events(time_limit=None) waits for one event tutorials rpc_client.py (older)                returns after delivery
65  user_id not matching the login -> 406                   SO "user_id PRECONDITION_FAILED"                406, channel closed
66  dramatiq enqueue retry: catch AMQPChannelError, 404     dramatiq RabbitmqBroker.enqueue                 reply_code, retry works
67  dramatiq join: conn.sleep(t) while polling counts       dramatiq RabbitmqBroker.join                    deliveries during sleep
68  basic_cancel of an auto-ack consumer returns pending    pika docs basic_cancel                          returned list
69  OpenTelemetry's private hooks (generator info, consumer  opentelemetry-instrumentation-pika             names, traced deliveries,
    infos, _impl.params)                                    pika_instrumentor.py, utils.py                  proxied pending_events
70  reconnect after a lost connection (StreamLostError)     examples/blocking_consume_recover_multiple_…    exception, redelivery
6b  RPC loop process_data_events(time_limit=8) returns      SO RPC clients with a time limit                returns with the reply
    with the reply, not after the limit
==  ======================================================  ==============================================  ======================================
"""
from __future__ import annotations

import functools
import socket
import threading
import time

import pytest

from tests.support.adapters import NameTracker
from tests.support.idioms import AMQP_URL, IDIOM_TIMEOUT, require_broker, run_idiom


@pytest.fixture
def idiom():
    """``idiom(scenario)`` -> the log, equal under pika 1.4.4 and pika_fast."""
    require_broker()
    tracker = NameTracker(AMQP_URL)
    yield lambda scenario, timeout=IDIOM_TIMEOUT: run_idiom(scenario, tracker, timeout)
    tracker.cleanup()


def _consume_n(x, ch, queue, n, **kwargs):
    """start_consuming until ``n`` messages arrived (auto-ack); return the bodies."""
    bodies = []

    def on_message(channel, method, properties, body):
        bodies.append(body)
        if len(bodies) == n:
            channel.stop_consuming()
    ch.basic_consume(queue, on_message, auto_ack=True, **kwargs)
    ch.start_consuming()
    return bodies


def _count(x, conn, queue):
    """The queue's ready-message count, read on a throwaway channel."""
    ch = conn.channel()
    count = ch.queue_declare(queue, passive=True).method.message_count
    ch.close()
    return count


# ---------------------------------------------------------------------------- tutorials


def test_01_hello_world(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        x.rec("declare", ch.queue_declare(queue=q))
        x.rec("publish", ch.basic_publish(exchange="", routing_key=q, body="Hello World!"))
        conn.close()
        x.rec("closed", conn.is_closed)
        conn = x.connect()
        ch = conn.channel()

        def callback(ch, method, properties, body):
            x.rec("received", body, method.routing_key, method.redelivered, method.exchange)
            ch.stop_consuming()
        tag = ch.basic_consume(queue=q, on_message_callback=callback, auto_ack=True)
        x.rec("tag_is_str", isinstance(tag, str), ch.consumer_tags == [tag])
        x.rec("start_consuming", ch.start_consuming())
        x.rec("after", ch.consumer_tags)
    log = idiom(scenario)
    assert ("received", b"Hello World!", "<q1>", False, "") in log
    assert ("after", ()) in log


def test_02_work_queue_prefetch_and_manual_ack(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(queue=q, durable=True)
        for n in range(3):
            ch.basic_publish(exchange="", routing_key=q, body=f"task {n}...",
                             properties=x.lib.BasicProperties(
                                 delivery_mode=x.lib.DeliveryMode.Persistent))
        ch.basic_qos(prefetch_count=1)
        seen = []

        def callback(ch, method, properties, body):
            seen.append((body, properties.delivery_mode))
        ch.basic_consume(queue=q, on_message_callback=callback)
        conn.process_data_events(time_limit=0.5)
        # prefetch 1 and no ack yet: one delivery, two still ready
        x.rec("before_ack", seen, _count(x, conn, q))
        done = []

        def worker(ch, method, properties, body):
            seen.append((body, properties.delivery_mode))
            ch.basic_ack(delivery_tag=method.delivery_tag)
            done.append(method.delivery_tag)
            if len(seen) == 3:
                ch.stop_consuming()
        ch.basic_ack(delivery_tag=1)
        ch.basic_cancel(ch.consumer_tags[0])
        ch.basic_consume(queue=q, on_message_callback=worker)
        ch.start_consuming()
        x.rec("after", seen, done, _count(x, conn, q))
    log = idiom(scenario)
    assert log[0] == ("before_ack", ((b"task 0...", 2),), 2)
    assert log[1][1] == ((b"task 0...", 2), (b"task 1...", 2), (b"task 2...", 2))


def test_03_fanout_with_server_named_queues(idiom):
    def scenario(x):
        ex = x.exchange()
        conn = x.connect()
        ch = conn.channel()
        from_module = x.lib.exchange_type.ExchangeType.fanout
        x.rec("declare", ch.exchange_declare(exchange=ex, exchange_type=from_module))
        queues = []
        for _ in range(2):
            result = ch.queue_declare(queue="", exclusive=True)
            queue_name = result.method.queue
            x.rec("server_named", queue_name.startswith("amq.gen-"))
            x.alias(queue_name)
            x.rec("bind", ch.queue_bind(exchange=ex, queue=queue_name))
            queues.append(queue_name)
        ch.basic_publish(exchange=ex, routing_key="", body=b"info: Hello World!")
        for queue_name in queues:
            x.rec("got", queue_name, _consume_n(x, ch, queue_name, 1))
    log = idiom(scenario)
    assert [e[2] for e in log if e[0] == "got"] == [(b"info: Hello World!",)] * 2


def test_04_direct_routing_by_severity(idiom):
    def scenario(x):
        ex, errors_q, all_q = x.exchange(), x.queue(), x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.exchange_declare(exchange=ex, exchange_type="direct")
        ch.queue_declare(errors_q, exclusive=True)
        ch.queue_declare(all_q, exclusive=True)
        ch.queue_bind(exchange=ex, queue=errors_q, routing_key="error")
        for severity in ("info", "warning", "error"):
            ch.queue_bind(exchange=ex, queue=all_q, routing_key=severity)
        for severity in ("info", "warning", "error", "debug"):
            ch.basic_publish(exchange=ex, routing_key=severity, body=severity.encode())
        x.rec("errors", _consume_n(x, ch, errors_q, 1))
        x.rec("all", _consume_n(x, ch, all_q, 3))
    log = idiom(scenario)
    assert log == [("errors", (b"error",)), ("all", (b"info", b"warning", b"error"))]


def test_05_topic_routing(idiom):
    def scenario(x):
        ex, q1, q2 = x.exchange(), x.queue(), x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.exchange_declare(exchange=ex, exchange_type="topic")
        for q, keys in ((q1, ["*.critical"]), (q2, ["kern.#", "#.disk"])):
            ch.queue_declare(q, exclusive=True)
            for key in keys:
                ch.queue_bind(exchange=ex, queue=q, routing_key=key)
        for key in ("kern.critical", "user.critical", "kern.info.x", "a.b.disk", "cron.info"):
            ch.basic_publish(exchange=ex, routing_key=key, body=key.encode())
        x.rec("q1", _consume_n(x, ch, q1, 2))
        x.rec("q2", _consume_n(x, ch, q2, 3))
        x.rec("left", _count(x, conn, q1), _count(x, conn, q2))
    log = idiom(scenario)
    assert log == [("q1", (b"kern.critical", b"user.critical")),
                   ("q2", (b"kern.critical", b"kern.info.x", b"a.b.disk")), ("left", 0, 0)]


def test_06_rpc_reply_to_and_correlation_id(idiom):
    def scenario(x):
        rpc_queue = x.queue()
        conn = x.connect()
        server = conn.channel()
        server.queue_declare(queue=rpc_queue, exclusive=True)

        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)

        def on_request(ch, method, props, body):
            n = int(body)
            x.rec("server", n, props.reply_to is not None, props.correlation_id is not None)
            ch.basic_publish(exchange="", routing_key=props.reply_to,
                             properties=x.lib.BasicProperties(
                                 correlation_id=props.correlation_id),
                             body=str(fib(n)))
            ch.basic_ack(delivery_tag=method.delivery_tag)
        server.basic_qos(prefetch_count=1)
        server.basic_consume(queue=rpc_queue, on_message_callback=on_request)

        client = conn.channel()
        result = client.queue_declare(queue="", exclusive=True)
        callback_queue = result.method.queue
        state = {"response": None, "corr_id": None}

        def on_response(ch, method, props, body):
            if state["corr_id"] == props.correlation_id:
                state["response"] = body
            else:
                x.rec("stray", body)
        client.basic_consume(queue=callback_queue, on_message_callback=on_response,
                             auto_ack=True)
        for n in (6, 10):
            state["response"] = None
            state["corr_id"] = f"corr-{n}"
            client.basic_publish(exchange="", routing_key=rpc_queue,
                                 properties=x.lib.BasicProperties(
                                     reply_to=callback_queue,
                                     correlation_id=state["corr_id"]),
                                 body=str(n))
            while state["response"] is None:
                conn.process_data_events(time_limit=None)
            x.rec("client", n, int(state["response"]))
    log = idiom(scenario)
    assert ("client", 6, 8) in log and ("client", 10, 55) in log


def test_07_direct_reply_to(idiom):
    def scenario(x):
        server_queue = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(queue=server_queue, exclusive=True)

        def on_server_rx_rpc_request(ch, method_frame, properties, body):
            x.rec("server", body, properties.reply_to.startswith("amq.rabbitmq.reply-to."))
            ch.basic_publish("", routing_key=properties.reply_to, body=b"Pong! " + body)
            ch.basic_ack(delivery_tag=method_frame.delivery_tag)
        ch.basic_consume(server_queue, on_server_rx_rpc_request)

        def on_client_rx_reply_from_server(ch, method_frame, properties, body):
            x.rec("client", body, method_frame.exchange,
                  method_frame.routing_key == "amq.rabbitmq.reply-to")
            ch.stop_consuming()
        ch.basic_consume("amq.rabbitmq.reply-to", on_client_rx_reply_from_server,
                         auto_ack=True)
        ch.basic_publish(exchange="", routing_key=server_queue, body=b"Marco",
                         properties=x.lib.BasicProperties(reply_to="amq.rabbitmq.reply-to"))
        ch.start_consuming()
    log = idiom(scenario)
    assert log[0] == ("server", b"Marco", True)
    assert log[1][:3] == ("client", b"Pong! Marco", "")


def test_06b_rpc_loop_with_a_time_limit_returns_with_the_reply(idiom):
    def scenario(x):
        rpc_queue = x.queue()
        conn = x.connect()
        server = conn.channel()
        server.queue_declare(queue=rpc_queue, exclusive=True)
        server.basic_consume(rpc_queue, lambda ch, m, p, b: ch.basic_publish(
            "", p.reply_to, b"re:" + b, x.lib.BasicProperties(correlation_id=p.correlation_id)),
            auto_ack=True)
        client = conn.channel()
        callback_queue = client.queue_declare("", exclusive=True).method.queue
        state = {"response": None}
        client.basic_consume(callback_queue,
                             lambda ch, m, p, b: state.update(response=(p.correlation_id, b)),
                             auto_ack=True)
        late = []
        conn.call_later(4, lambda: late.append("timer"))
        client.basic_publish("", rpc_queue, b"ping", x.lib.BasicProperties(
            reply_to=callback_queue, correlation_id="c1"))
        calls = 0
        while state["response"] is None:
            calls += 1
            conn.process_data_events(time_limit=8)
        # the call returned with the reply, well before the 4 s timer
        x.rec("reply", state["response"], late)
    log = idiom(scenario)
    assert log == [("reply", ("c1", b"re:ping"), ())]


# ----------------------------------------------------------------- consume generator


def test_08_consume_inactivity_timeout_then_cancel(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_qos(prefetch_count=1)
        ch.basic_publish("", q, b"job")
        iterator = ch.consume(q, inactivity_timeout=0.3)
        method, properties, body = next(iterator)
        x.rec("first", body, method.delivery_tag, method.redelivered)
        ch.basic_ack(method.delivery_tag)
        x.rec("idle", next(iterator))
        x.rec("idle_again", next(iterator))
        x.rec("cancel", ch.cancel())
        x.rec("cancel_again", ch.cancel())
        x.rec("usable", ch.queue_declare(q, passive=True).method.message_count)
    log = idiom(scenario)
    assert log[1] == ("idle", (None, None, None)) and log[3] == ("cancel", 0)


def test_09_consume_generator_break_then_cancel_requeues(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_qos(prefetch_count=3)
        for n in range(5):
            ch.basic_publish("", q, f"m{n}".encode())
        taken = []
        for method, properties, body in ch.consume(q):
            taken.append(body)
            break
        conn.process_data_events(time_limit=0.5)  # let the prefetched ones arrive
        x.rec("taken", taken, ch.get_waiting_message_count())
        x.rec("cancel", ch.cancel())
        x.rec("count_after", _count(x, conn, q))
        # everything is back in the queue, in order, the delivered ones redelivered
        x.rec("drain", [(b, m.redelivered) for m, p, b in
                        iter(lambda: ch.basic_get(q, auto_ack=True), (None, None, None))])
    log = idiom(scenario)
    # pika rejects (requeues) the prefetched-but-unyielded messages and reports 0;
    # the yielded, unacked one stays with the channel
    assert log == [("taken", (b"m0",), 2), ("cancel", 0), ("count_after", 4),
                   ("drain", ((b"m1", True), (b"m2", True), (b"m3", False), (b"m4", False)))]


def test_10_get_waiting_message_count(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        x.rec("no_consumer", ch.get_waiting_message_count())
        for n in range(4):
            ch.basic_publish("", q, b"%d" % n)
        gen = ch.consume(q, auto_ack=True, inactivity_timeout=1)
        first = next(gen)
        conn.process_data_events(time_limit=0.3)
        x.rec("first", first[2], ch.get_waiting_message_count())
        rest = [next(gen)[2] for _ in range(3)]
        x.rec("rest", rest, ch.get_waiting_message_count())
        x.rec("cancel", ch.cancel())
    log = idiom(scenario)
    assert log == [("no_consumer", 0), ("first", b"0", 3), ("rest", (b"1", b"2", b"3"), 0),
                   ("cancel", 0)]


def test_11_basic_get_empty_and_message_count(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        x.rec("empty", ch.basic_get(q))
        for body in (b"a", b"b"):
            ch.basic_publish("", q, body)
        method, properties, body = ch.basic_get(queue=q)
        x.rec("got", method, properties, body)
        ch.basic_ack(method.delivery_tag)
        x.rec("auto_ack", ch.basic_get(q, auto_ack=True))
        x.rec("empty_again", ch.basic_get(q, True))
    log = idiom(scenario)
    assert log[0] == ("empty", (None, None, None))
    assert log[1][3] == b"a" and "message_count', 1" in log[1][1]
    assert log[3] == ("empty_again", (None, None, None))


# ------------------------------------------------------------------ closed by the broker


def test_12_passive_declare_missing_queue_then_new_channel(idiom):
    def scenario(x):
        missing = x.queue()
        conn = x.connect()
        ch = conn.channel()
        try:
            ch.queue_declare(queue=missing, passive=True)
        except x.lib.exceptions.ChannelClosedByBroker as error:
            x.rec("raised", error, isinstance(error, x.lib.exceptions.AMQPChannelError),
                  isinstance(error, x.lib.exceptions.ChannelClosed))
        x.rec("states", ch.is_open, ch.is_closed, conn.is_open)
        x.exc("reuse_closed", lambda: ch.queue_declare(missing))
        ch2 = conn.channel()
        x.rec("new_channel", ch2.channel_number, ch2.is_open)
        x.rec("declare", ch2.queue_declare(missing, exclusive=True).method.queue)
    log = idiom(scenario)
    assert log[0][1] == "ChannelClosedByBroker(404, \"NOT_FOUND - no queue '<q1>' in vhost '/'\")"
    assert log[1] == ("states", False, True, True)


def test_13_redeclare_with_other_flags_precondition_failed(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, durable=False, arguments={"x-message-ttl": 1000})
        x.exc("redeclare", lambda: ch.queue_declare(q, durable=True))
        x.rec("closed", ch.is_closed)
        ch = conn.channel()
        x.exc("args", lambda: ch.queue_declare(q, arguments={"x-message-ttl": 2000}))
        ch = conn.channel()
        x.exc("same", lambda: ch.queue_declare(q, arguments={"x-message-ttl": 1000}))
    log = idiom(scenario)
    assert log[0][1] == "raised" and log[0][2].startswith("ChannelClosedByBroker(406, ")
    assert log[3][1] == "ok"


def test_14_passive_exchange_declare_missing(idiom):
    def scenario(x):
        missing = x.exchange()
        conn = x.connect()
        ch = conn.channel()
        x.exc("passive", lambda: ch.exchange_declare(missing, passive=True))
        ch = conn.channel()
        x.exc("amq.direct", lambda: ch.exchange_declare("amq.direct", passive=True))
        x.exc("reserved", lambda: ch.exchange_declare("amq.custom." + missing))
    log = idiom(scenario)
    assert log[0][2].startswith("ChannelClosedByBroker(404, ")
    assert log[1][1] == "ok" and log[2][2].startswith("ChannelClosedByBroker(403, ")


def test_15_publish_to_missing_exchange_fails_at_next_call(idiom):
    def scenario(x):
        missing = x.exchange()
        conn = x.connect()
        ch = conn.channel()
        x.exc("publish", lambda: ch.basic_publish(missing, "rk", b"lost"))
        x.exc("next_call", lambda: ch.queue_declare("", exclusive=True))
        x.rec("states", ch.is_closed, conn.is_open)
        x.exc("publish_on_closed", lambda: ch.basic_publish("", "rk", b"x"))
    log = idiom(scenario)
    assert log[0] == ("publish", "ok", None)
    assert log[1][2].startswith("ChannelClosedByBroker(404, \"NOT_FOUND - no exchange")
    assert log[3] == ("publish_on_closed", "raised", "ChannelWrongStateError")


# ---------------------------------------------------------------- confirms and returns


def test_16_confirms_mandatory_unroutable(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        x.rec("confirm", ch.confirm_delivery())
        try:
            ch.basic_publish(exchange="amq.direct", routing_key="nowhere." + x.queue(),
                             body=b"returned", mandatory=True,
                             properties=x.lib.BasicProperties(content_type="text/plain"))
        except x.lib.exceptions.UnroutableError as error:
            x.rec("raised", error, len(error.messages))
            message = error.messages[0]
            x.rec("returned", message.method, message.properties, message.body)
        x.rec("open", ch.is_open)
    log = idiom(scenario)
    assert log[1] == ("raised", "UnroutableError", 1)
    assert "NO_ROUTE" in log[2][1] and log[2][3] == b"returned"


def test_17_confirms_nack_from_reject_publish_queue(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
        ch.confirm_delivery()
        x.exc("first", lambda: ch.basic_publish("", q, b"fits"))
        try:
            ch.basic_publish("", q, b"rejected")
        except x.lib.exceptions.NackError as error:
            x.rec("nacked", error, [m.body for m in error.messages])
        x.rec("count", _count(x, conn, q))
    log = idiom(scenario)
    # pika's NackError carries returned messages only: a plain nack has none
    assert log == [("first", "ok", None), ("nacked", "NackError", ()), ("count", 1)]


def test_18_confirms_publish_returns_none(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.confirm_delivery()
        results = [ch.basic_publish("", q, b"%d" % n, mandatory=bool(n % 2)) for n in range(4)]
        x.rec("results", results)
        x.rec("count", _count(x, conn, q))
        x.exc("confirm_twice", ch.confirm_delivery)
    log = idiom(scenario)
    assert log[:2] == [("results", (None,) * 4), ("count", 4)]


def test_19_mandatory_without_confirms_return_callback(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()

        def on_return(channel, method, properties, body):
            x.rec("returned", channel, method, properties.message_id, body)
        ch.add_on_return_callback(on_return)
        x.rec("publish", ch.basic_publish("amq.direct", "unroutable." + x.queue(), b"back",
                                          x.lib.BasicProperties(message_id="m1"),
                                          mandatory=True))
        x.rec("before_pump")
        conn.process_data_events(time_limit=0.5)
        x.rec("after_pump")
    log = idiom(scenario)
    assert log[0] == ("publish", None) and log[1] == ("before_pump",)
    assert log[2][0] == "returned" and log[2][3:] == ("m1", b"back")


# -------------------------------------------------------- stopping start_consuming


def test_20_stop_consuming_from_a_call_later_timer(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_publish("", q, b"one")

        def on_message(channel, method, properties, body):
            x.rec("message", body)

        def stop():
            x.rec("timer", ch.consumer_tags == [tag])
            ch.stop_consuming()
        tag = ch.basic_consume(q, on_message, auto_ack=True)
        conn.call_later(0.3, stop)
        x.rec("returned", ch.start_consuming())
        x.rec("after", ch.consumer_tags, ch.is_open)
    log = idiom(scenario)
    assert log == [("message", b"one"), ("timer", True), ("returned", None), ("after", (), True)]


def test_21_stop_consuming_from_another_thread(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_consume(q, lambda *a: None, auto_ack=True)

        def other_thread():
            time.sleep(0.2)
            conn.add_callback_threadsafe(ch.stop_consuming)
        thread = threading.Thread(target=other_thread)
        thread.start()
        ch.start_consuming()
        thread.join()
        x.rec("stopped", ch.consumer_tags, ch.is_open, conn.is_open)
    log = idiom(scenario)
    assert log == [("stopped", (), True, True)]


def test_22_threadsafe_event_then_sleep_zero_loop(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        order = []
        all_callbacks_handled = threading.Event()
        conn.add_callback_threadsafe(lambda: order.append("first"))
        conn.add_callback_threadsafe(all_callbacks_handled.set)
        rounds = 0
        while not all_callbacks_handled.is_set():
            conn.sleep(0)
            rounds += 1
            assert rounds < 10000
        x.rec("order", order, all_callbacks_handled.is_set())
        ch.close()
        conn.close()
        x.rec("closed", ch.is_closed, conn.is_closed)
    log = idiom(scenario)
    assert log == [("order", ("first",), True), ("closed", True, True)]


@pytest.mark.parametrize("how", ["process_data_events_0", "sleep_0"])
def test_23_zero_time_loop_with_threadsafe_callback_from_thread(idiom, how):
    def scenario(x):
        conn = x.connect()
        done = threading.Event()
        calls = []

        def on_loop():
            calls.append(threading.current_thread() is threading.main_thread())
            done.set()
        threading.Timer(0.1, lambda: conn.add_callback_threadsafe(on_loop)).start()
        deadline = time.monotonic() + 10
        while not done.is_set() and time.monotonic() < deadline:
            if how == "sleep_0":
                conn.sleep(0)
            else:
                conn.process_data_events(0)
        x.rec("done", done.is_set(), calls)
    log = idiom(scenario)
    assert log == [("done", True, (True,))]


def test_24_worker_threads_ack_through_threadsafe_partial(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        for n in range(6):
            ch.basic_publish("", q, b"work %d" % n)
        ch.basic_qos(prefetch_count=2)
        threads, acked, worked = [], [], []

        def ack_message(channel, delivery_tag):
            if channel.is_open:
                channel.basic_ack(delivery_tag)
                acked.append(delivery_tag)
                if len(acked) == 6:
                    channel.stop_consuming()

        def do_work(connection, channel, delivery_tag, body):
            time.sleep(0.05)
            worked.append(body)
            cb = functools.partial(ack_message, channel, delivery_tag)
            connection.add_callback_threadsafe(cb)

        def on_message(channel, method_frame, header_frame, body, args):
            (connection, threads) = args
            t = threading.Thread(target=do_work,
                                 args=(connection, channel, method_frame.delivery_tag, body))
            t.start()
            threads.append(t)
        on_message_callback = functools.partial(on_message, args=(conn, threads))
        ch.basic_consume(on_message_callback=on_message_callback, queue=q)
        ch.start_consuming()
        for thread in threads:
            thread.join()
        x.rec("done", sorted(acked), sorted(worked), _count(x, conn, q), len(threads))
    log = idiom(scenario)
    assert log == [("done", (1, 2, 3, 4, 5, 6), tuple(b"work %d" % n for n in range(6)), 0, 6)]


def test_25_process_data_events_from_a_second_thread_meanwhile(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        errors, got = [], []
        inside = threading.Event()
        ch.basic_consume(q, lambda c, m, p, b: got.append(b), auto_ack=True)

        def pump():
            try:
                for _ in range(3):
                    inside.set()
                    conn.process_data_events(time_limit=0.2)
            except Exception as error:  # noqa: BLE001 - the observation
                errors.append(type(error).__name__)
        thread = threading.Thread(target=pump)
        thread.start()
        inside.wait()
        for _ in range(3):
            conn.process_data_events(time_limit=0.2)
        thread.join()
        ch.basic_publish("", q, b"after")
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.1)
        x.rec("result", errors, got)
    log = idiom(scenario)
    assert log == [("result", (), (b"after",))]


def test_26_publish_from_threads_through_threadsafe_callbacks(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.confirm_delivery()
        results = []

        def publisher(n):
            for k in range(3):
                body = b"t%d-%d" % (n, k)
                conn.add_callback_threadsafe(
                    lambda body=body: results.append(ch.basic_publish("", q, body)))
        threads = [threading.Thread(target=publisher, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 10
        while len(results) < 9 and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.05)
        bodies = sorted(b for _m, _p, b in
                        iter(lambda: ch.basic_get(q, auto_ack=True), (None, None, None)))
        x.rec("published", results, bodies)
    log = idiom(scenario)
    assert log[0][1] == (None,) * 9 and len(log[0][2]) == 9


# ------------------------------------------------------------ closing inside callbacks


def test_27_channel_close_inside_consumer_callback(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q)
        for n in range(3):
            ch.basic_publish("", q, b"%d" % n)

        def on_message(channel, method, properties, body):
            x.rec("message", body)
            channel.close()
            x.rec("closed_in_callback", channel.is_closed)
        ch.basic_consume(q, on_message)
        x.exc("start_consuming", ch.start_consuming)
        x.rec("after", ch.is_closed, conn.is_open, ch.consumer_tags)
        x.rec("requeued", _count(x, conn, q))
    log = idiom(scenario)
    assert log[0] == ("message", b"0") and log[1] == ("closed_in_callback", True)
    assert log[-1] == ("requeued", 3)


def test_28_connection_close_inside_consumer_callback(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        for n in range(2):
            ch.basic_publish("", q, b"%d" % n)

        def on_message(channel, method, properties, body):
            x.rec("message", body)
            conn.close()
            x.rec("closed_in_callback", conn.is_closed, channel.is_closed)
        ch.basic_consume(q, on_message, auto_ack=True)
        x.exc("start_consuming", ch.start_consuming)
        x.rec("after", conn.is_closed, ch.is_closed)
        x.exc("channel_after", conn.channel)
    log = idiom(scenario)
    assert log[:2] == [("message", b"0"), ("closed_in_callback", True, True)]
    assert log[-1] == ("channel_after", "raised", "ConnectionWrongStateError")


def test_29_basic_cancel_inside_callback_ends_start_consuming(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_qos(prefetch_count=1)
        for n in range(3):
            ch.basic_publish("", q, b"%d" % n)

        def on_message(channel, method, properties, body):
            x.rec("message", body)
            channel.basic_ack(method.delivery_tag)
            if body == b"1":
                x.rec("cancel", channel.basic_cancel(method.consumer_tag))
        ch.basic_consume(q, on_message)
        x.rec("start_consuming", ch.start_consuming())
        x.rec("after", ch.consumer_tags, _count(x, conn, q))
    log = idiom(scenario)
    assert log == [("message", b"0"), ("message", b"1"), ("cancel", ()),
                   ("start_consuming", None), ("after", (), 1)]


# ------------------------------------------------------------- RabbitMQ extensions


@pytest.mark.parametrize("how", ["nack", "reject"])
def test_30_dead_letter_on_nack_or_reject(idiom, how):
    def scenario(x):
        dlx, work, dead = x.exchange(), x.queue(), x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.exchange_declare(dlx, exchange_type="fanout")
        ch.queue_declare(dead, exclusive=True)
        ch.queue_bind(dead, dlx)
        ch.queue_declare(work, exclusive=True, arguments={"x-dead-letter-exchange": dlx})
        ch.basic_publish("", work, b"poison",
                         x.lib.BasicProperties(headers={"attempt": 1}))
        method, _props, _body = ch.basic_get(work)
        if how == "nack":
            ch.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        else:
            ch.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
        (method, props, body), = _wait_get(x, conn, ch, dead, 1)
        death = props.headers["x-death"][0]
        # int(): pika decodes 64-bit table integers as its compat.long (an int
        # subclass whose repr ends in "L"); pika_fast gives a plain int
        x.rec("dead", body, props.headers["attempt"], death["reason"], int(death["count"]),
              death["queue"], method.exchange)
    log = idiom(scenario)
    assert log == [("dead", b"poison", 1, "rejected", 1, "<q1>", "<x1>")]


def _wait_get(x, conn, ch, queue, n, timeout=5.0):
    """basic_get until ``n`` messages were taken (auto-ack) or the time is up."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            conn.sleep(0.05)
        else:
            got.append((method, props, body))
    return got


def test_31_reject_requeue_redelivers(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_publish("", q, b"again")
        seen = []

        def on_message(channel, method, properties, body):
            seen.append((body, method.redelivered))
            if method.redelivered:
                channel.basic_ack(method.delivery_tag)
                channel.stop_consuming()
            else:
                channel.basic_reject(method.delivery_tag, requeue=True)
        ch.basic_consume(q, on_message)
        ch.start_consuming()
        x.rec("seen", seen)
    log = idiom(scenario)
    assert log == [("seen", ((b"again", False), (b"again", True)))]


def test_32_queue_and_message_ttl(idiom):
    def scenario(x):
        q_ttl, q_plain = x.queue(), x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q_ttl, exclusive=True, arguments={"x-message-ttl": 100})
        ch.queue_declare(q_plain, exclusive=True)
        ch.basic_publish("", q_ttl, b"short-lived")
        ch.basic_publish("", q_plain, b"expires", x.lib.BasicProperties(expiration="100"))
        ch.basic_publish("", q_plain, b"stays", x.lib.BasicProperties(expiration="60000"))
        conn.sleep(0.6)
        x.rec("ttl_queue", ch.basic_get(q_ttl, auto_ack=True))
        method, props, body = ch.basic_get(q_plain, auto_ack=True)
        x.rec("plain", body, props.expiration)
        x.rec("plain_empty", ch.basic_get(q_plain, auto_ack=True))
    log = idiom(scenario)
    assert log == [("ttl_queue", (None, None, None)), ("plain", b"stays", "60000"),
                   ("plain_empty", (None, None, None))]


def test_33_priority_queue(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True, arguments={"x-max-priority": 10})
        for priority in (1, 9, 5, 0, 9):
            ch.basic_publish("", q, b"p%d" % priority,
                             x.lib.BasicProperties(priority=priority))
        conn.sleep(0.1)
        x.rec("order", [b for _m, _p, b in _wait_get(x, conn, ch, q, 5)])
    log = idiom(scenario)
    assert log == [("order", (b"p9", b"p9", b"p5", b"p1", b"p0"))]


def test_34_length_limit_drop_head(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True, arguments={"x-max-length": 2})
        for n in range(5):
            ch.basic_publish("", q, b"%d" % n)
        x.rec("survivors", [b for _m, _p, b in _wait_get(x, conn, ch, q, 2)])
    log = idiom(scenario)
    assert log == [("survivors", (b"3", b"4"))]


def test_35_alternate_exchange(idiom):
    def scenario(x):
        main, alt, q_alt = x.exchange(), x.exchange(), x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.exchange_declare(alt, exchange_type="fanout")
        ch.exchange_declare(main, exchange_type="direct",
                            arguments={"alternate-exchange": alt})
        ch.queue_declare(q_alt, exclusive=True)
        ch.queue_bind(q_alt, alt)
        ch.confirm_delivery()
        x.exc("publish", lambda: ch.basic_publish(main, "no.binding", b"caught",
                                                  mandatory=True))
        (method, _props, body), = _wait_get(x, conn, ch, q_alt, 1)
        x.rec("alt", body, method.exchange, method.routing_key)
    log = idiom(scenario)
    assert log == [("publish", "ok", None), ("alt", b"caught", "<x1>", "no.binding")]


# ------------------------------------------------------------ properties and topology


def test_36_every_property_and_header_type(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        props = x.lib.BasicProperties(
            content_type="application/json", content_encoding="utf-8",
            headers={"str": "s", "int": 7, "neg": -3, "big": 2 ** 40, "bool": True,
                     "none": None, "list": [1, "two", [3]], "dict": {"k": {"n": 1}},
                     "bytes": b"\x00\xff", "unicode": "h\u00e9llo"},
            delivery_mode=2, priority=3, correlation_id="c-1", reply_to="r",
            expiration="60000", message_id="m-1", timestamp=1700000000, type="t",
            user_id="guest", app_id="app", cluster_id="cl")
        ch.basic_publish("", q, b"{}", props)
        method, got, body = ch.basic_get(q, auto_ack=True)
        headers = got.headers
        got.headers = None
        x.rec("props", got)
        x.rec("headers", sorted((k, repr(_plain(v))) for k, v in headers.items()))
    log = idiom(scenario)
    assert "('timestamp', 1700000000)" in log[0][1]
    assert ("big", "1099511627776") in log[1][1] and ("list", "[1, 'two', [3]]") in log[1][1]


def _plain(value):
    """Table values with int subclasses (pika's compat.long) made plain ints."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_37_server_named_queue_declare_ok(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        ok = ch.queue_declare("", exclusive=True, auto_delete=True)
        x.alias(ok.method.queue)
        x.rec("declare_ok", ok, ok.channel_number, ok.method.message_count,
              ok.method.consumer_count)
        x.rec("frame_type", type(ok).__name__, type(ok.method).__name__, ok.method.NAME)
    log = idiom(scenario)
    assert log[1] == ("frame_type", "Method", "DeclareOk", "Queue.DeclareOk")


def test_38_purge_and_delete_counts(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q)
        for n in range(3):
            ch.basic_publish("", q, b"%d" % n)
        x.rec("purge", ch.queue_purge(q))
        ch.basic_publish("", q, b"last")
        x.rec("delete", ch.queue_delete(queue=q))
        x.exc("delete_if_unused_missing", lambda: ch.queue_delete(q, if_unused=True))
    log = idiom(scenario)
    assert "message_count', 3" in log[0][1] and "message_count', 1" in log[1][1]


def test_39_basic_recover_requeue(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_publish("", q, b"unacked")
        method, _p, _b = ch.basic_get(q)
        x.rec("first", method.redelivered)
        x.rec("recover", ch.basic_recover(requeue=True))
        (method, _p, body), = _wait_get(x, conn, ch, q, 1)
        x.rec("again", body, method.redelivered)
    log = idiom(scenario)
    assert log[0] == ("first", False) and log[2] == ("again", b"unacked", True)


def test_40_transactions(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        x.rec("select", ch.tx_select())
        ch.basic_publish("", q, b"rolled back")
        x.rec("rollback", ch.tx_rollback())
        x.rec("after_rollback", _count(x, conn, q))
        ch.basic_publish("", q, b"committed")
        x.rec("commit", ch.tx_commit())
        x.rec("after_commit", [b for _m, _p, b in _wait_get(x, conn, ch, q, 1)])
        ch2 = conn.channel()
        x.exc("commit_without_select", ch2.tx_commit)
    log = idiom(scenario)
    assert ("after_rollback", 0) in log and ("after_commit", (b"committed",)) in log
    assert log[-1][2].startswith("ChannelClosedByBroker(406, ")


def test_41_exchange_to_exchange_binding(idiom):
    def scenario(x):
        src, dst, q = x.exchange(), x.exchange(), x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.exchange_declare(src, "topic")
        ch.exchange_declare(dst, "fanout")
        ch.queue_declare(q, exclusive=True)
        ch.queue_bind(q, dst)
        x.rec("bind", ch.exchange_bind(destination=dst, source=src, routing_key="a.*"))
        ch.basic_publish(src, "a.b", b"via e2e")
        ch.basic_publish(src, "b.b", b"not bound")
        x.rec("got", [b for _m, _p, b in _wait_get(x, conn, ch, q, 1)])
        x.rec("unbind", ch.exchange_unbind(destination=dst, source=src, routing_key="a.*"))
        ch.basic_publish(src, "a.b", b"after unbind")
        conn.sleep(0.2)
        x.rec("left", _count(x, conn, q))
    log = idiom(scenario)
    assert ("got", (b"via e2e",)) in log and log[-1] == ("left", 0)


def test_42_queue_unbind(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.queue_bind(q, "amq.direct", routing_key=q)
        ch.basic_publish("amq.direct", q, b"bound")
        x.rec("unbind", ch.queue_unbind(queue=q, exchange="amq.direct", routing_key=q))
        ch.basic_publish("amq.direct", q, b"unbound")
        conn.sleep(0.2)
        x.rec("got", [b for _m, _p, b in _wait_get(x, conn, ch, q, 2, timeout=0.5)])
    log = idiom(scenario)
    assert log[-1] == ("got", (b"bound",))


# ------------------------------------------------------------- connection lifecycle


def test_43_context_managers(idiom):
    def scenario(x):
        q = x.queue()
        with x.lib.BlockingConnection(x.params()) as conn:
            with conn.channel() as ch:
                ch.queue_declare(q)
                ch.basic_publish("", q, b"in with")
            x.rec("channel_after_with", ch.is_closed, conn.is_open)
        x.rec("conn_after_with", conn.is_closed)
        try:
            with x.lib.BlockingConnection(x.params()) as conn2:
                conn2.channel().queue_declare(q, passive=True)
                raise KeyError("app error")
        except KeyError as error:
            x.rec("propagated", error.args, conn2.is_closed)
        conn3 = x.connect()
        x.rec("kept", _count(x, conn3, q))
    log = idiom(scenario)
    assert log == [("channel_after_with", True, True), ("conn_after_with", True),
                   ("propagated", ("app error",), True), ("kept", 1)]


def test_44_explicit_channel_numbers(idiom):
    def scenario(x):
        conn = x.connect()
        x.rec("numbered", conn.channel(channel_number=7).channel_number)
        x.rec("next_free", conn.channel().channel_number)
        # Not compared: asking again for a number in use, pika sends a second
        # Channel.Open and the broker closes the connection (504 CHANNEL_ERROR);
        # pika_fast refuses before sending (InvalidChannelNumber), the connection
        # stays open. Listed as a deliberate difference.
    log = idiom(scenario)
    assert log[:2] == [("numbered", 7), ("next_free", 1)]


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_45_readiness_probe_on_a_closed_port(idiom):
    port = _closed_port()

    def scenario(x):
        # testcontainers-style: try to connect, treat AMQPConnectionError as "not ready"
        params = x.lib.ConnectionParameters(host="127.0.0.1", port=port,
                                            connection_attempts=2, retry_delay=0.1,
                                            socket_timeout=2)
        try:
            x.lib.BlockingConnection(params)
        except x.lib.exceptions.AMQPConnectionError as error:
            x.rec("not_ready", error, isinstance(error, x.lib.exceptions.AMQPError))
        # and then ready: the real port
        conn = x.connect()
        x.rec("ready", conn.is_open)
    log = idiom(scenario)
    assert log == [("not_ready", "AMQPConnectionError", True), ("ready", True)]


def test_46_wrong_password(idiom):
    def scenario(x):
        params = x.params(credentials=x.lib.PlainCredentials("guest", "wrong-password"))
        x.exc("connect", lambda: x.connect(params))
    log = idiom(scenario)
    assert log == [("connect", "raised", "ProbableAuthenticationError")]


def test_47_unknown_vhost(idiom):
    def scenario(x):
        params = x.params(virtual_host="no-such-vhost-for-pika-fast-tests")
        error = x.exc("connect", lambda: x.connect(params))
        x.rec("is_connection_error",
              isinstance(error, x.lib.exceptions.AMQPConnectionError))
    log = idiom(scenario)
    assert log[0][2] in ("ProbableAccessDeniedError", "ConnectionClosedByBroker(530, "
                         "\"NOT_ALLOWED - vhost no-such-vhost-for-pika-fast-tests not found\")")
    assert log[1] == ("is_connection_error", True)


def test_48_url_parameters_with_query_options(idiom):
    def scenario(x):
        url = (AMQP_URL + ("&" if "?" in AMQP_URL else "?") +
               "heartbeat=30&connection_attempts=3&retry_delay=0.5&socket_timeout=5"
               "&blocked_connection_timeout=60&channel_max=100&frame_max=131072"
               "&locale=en_US&client_properties={'connection_name':'idioms'}")
        params = x.lib.URLParameters(url)
        x.rec("parsed", params.heartbeat, params.connection_attempts, params.retry_delay,
              params.socket_timeout, params.blocked_connection_timeout, params.channel_max,
              params.frame_max, params.locale, params.client_properties)
        conn = x.connect(params)
        ch = conn.channel()
        x.rec("open", conn.is_open, ch.is_open)
    log = idiom(scenario)
    assert log[0] == ("parsed", 30, 3, 0.5, 5.0, 60.0, 100, 131072, "en_US", "<dict>")


def test_49_heartbeat_callable(idiom):
    def scenario(x):
        calls = []

        def heartbeat(connection, broker_value):
            calls.append((type(connection).__name__, broker_value))
            return 15
        conn = x.connect(x.params(heartbeat=heartbeat))
        x.rec("called", len(calls), calls[0][1] > 0)
        x.rec("open", conn.is_open)
    log = idiom(scenario)
    assert log == [("called", 1, True), ("open", True)]


# ---------------------------------------------------------------- consumers


def test_50_explicit_and_duplicate_consumer_tag(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        x.rec("tag", ch.basic_consume(q, lambda *a: None, consumer_tag="worker-1"))
        x.exc("duplicate", lambda: ch.basic_consume(q, lambda *a: None,
                                                    consumer_tag="worker-1"))
        x.rec("tags", ch.consumer_tags, ch.is_open)
        x.rec("cancel", ch.basic_cancel("worker-1"), ch.consumer_tags)
        x.exc("cancel_unknown", lambda: ch.basic_cancel("never-was"))
    log = idiom(scenario)
    assert log[0] == ("tag", "worker-1")
    assert log[1] == ("duplicate", "raised", "DuplicateConsumerTag")


def test_51_consume_missing_queue(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        x.exc("consume", lambda: ch.basic_consume(x.queue(), lambda *a: None))
        x.rec("state", ch.is_closed, ch.consumer_tags)
    log = idiom(scenario)
    assert log[0][2].startswith("ChannelClosedByBroker(404, ")
    assert log[1] == ("state", True, ())


def test_52_second_exclusive_consumer_refused(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch1, ch2 = conn.channel(), conn.channel()
        ch1.queue_declare(q, exclusive=True)
        ch1.basic_consume(q, lambda *a: None, exclusive=True)
        x.exc("second", lambda: ch2.basic_consume(q, lambda *a: None))
        x.rec("states", ch1.is_open, ch2.is_closed)
    log = idiom(scenario)
    assert log[0][2].startswith("ChannelClosedByBroker(403, ")


def test_53_ack_of_unknown_delivery_tag(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        x.exc("ack", lambda: ch.basic_ack(delivery_tag=42))
        x.exc("next_call", lambda: ch.queue_declare("", exclusive=True))
        x.rec("state", ch.is_closed, conn.is_open)
    log = idiom(scenario)
    assert log[0] == ("ack", "ok", None)
    assert log[1][2] == "ChannelClosedByBroker(406, 'PRECONDITION_FAILED - unknown delivery tag 42')"


def test_54_ack_multiple(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q)
        for n in range(4):
            ch.basic_publish("", q, b"%d" % n)
        tags = [ch.basic_get(q)[0].delivery_tag for _ in range(4)]
        x.rec("tags", tags)
        ch.basic_ack(delivery_tag=3, multiple=True)
        ch.close()  # the one not acked goes back
        x.rec("left", _count(x, conn, q))
    log = idiom(scenario)
    assert log == [("tags", (1, 2, 3, 4)), ("left", 1)]


def test_55_use_after_close(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        conn.close()
        x.exc("publish", lambda: ch.basic_publish("", "q", b"x"))
        x.exc("declare", lambda: ch.queue_declare("q"))
        x.exc("channel", conn.channel)
        # pika raises a ValueError from its closed selector here, pika_fast a
        # ConnectionWrongStateError (a deliberate difference): compared is that it raises
        try:
            conn.process_data_events()
            x.rec("process_data_events", "ok")
        except Exception:  # noqa: BLE001 - the observation
            x.rec("process_data_events", "raised")
        x.exc("close_again", conn.close)
    log = idiom(scenario)
    assert log[0] == ("publish", "raised", "ChannelWrongStateError")
    assert log[2] == ("channel", "raised", "ConnectionWrongStateError")


def test_56_close_channel_twice(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        x.exc("close", ch.close)
        x.exc("close_again", ch.close)
        x.rec("states", ch.is_closed, conn.is_open)
    log = idiom(scenario)
    assert log == [("close", "ok", None), ("close_again", "raised", "ChannelWrongStateError"),
                   ("states", True, True)]


def test_57_str_body_non_ascii(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        ch.basic_publish("", q, "gr\u00fc\u00dfe \u2603 \U0001f407")
        x.rec("body", ch.basic_get(q, auto_ack=True)[2])
    log = idiom(scenario)
    assert log == [("body", "gr\u00fc\u00dfe \u2603 \U0001f407".encode("utf-8"))]


def test_58_large_body(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        body = bytes(range(256)) * 4096 + b"tail"
        ch.basic_publish("", q, body)
        got = _consume_n(x, ch, q, 1)
        x.rec("large", len(got[0]), got[0] == body)
    log = idiom(scenario)
    assert log == [("large", 1048580, True)]


def test_59_states_through_the_lifecycle(idiom):
    def scenario(x):
        conn = x.connect()
        x.rec("conn_open", conn.is_open, conn.is_closed)
        ch = conn.channel()
        x.rec("ch_open", ch.is_open, ch.is_closed, ch.channel_number)
        ch.close()
        x.rec("ch_closed", ch.is_open, ch.is_closed)
        ch2 = conn.channel()
        conn.close()
        x.rec("conn_closed", conn.is_open, conn.is_closed, ch2.is_open, ch2.is_closed)
    log = idiom(scenario)
    assert log == [("conn_open", True, False), ("ch_open", True, False, 1),
                   ("ch_closed", False, True), ("conn_closed", False, True, False, True)]


def test_60_broker_cancel_when_queue_deleted(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch, admin = conn.channel(), conn.channel()
        ch.queue_declare(q)

        def on_cancel(method_frame):
            x.rec("cancelled", method_frame, ch.consumer_tags)
        ch.add_on_cancel_callback(on_cancel)
        ch.basic_consume(q, lambda *a: None, consumer_tag="c1")
        admin.queue_delete(q)
        conn.process_data_events(time_limit=0.5)
        x.rec("after", ch.consumer_tags, ch.is_open)
    log = idiom(scenario)
    assert log[0][0] == "cancelled" and "Basic.Cancel" in log[0][1]
    assert log[-1] == ("after", (), True)


def test_61_opentelemetry_style_wrapping(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        original = ch.basic_publish

        def traced_publish(exchange, routing_key, body, properties=None, mandatory=False):
            properties = properties or x.lib.BasicProperties()
            properties.headers = dict(properties.headers or {}, traceparent="00-abc-01")
            x.rec("span", exchange, routing_key)
            return original(exchange, routing_key, body, properties, mandatory)
        # instrumentations replace the bound method on the channel instance
        ch.basic_publish = traced_publish
        ch.basic_publish("", q, b"traced")
        got = []

        def callback(channel, method, properties, body):
            got.append((body, properties.headers))
            channel.stop_consuming()

        def wrap(fn):
            def wrapper(*args):
                x.rec("consume_span")
                return fn(*args)
            return wrapper
        ch.basic_consume(q, wrap(callback), auto_ack=True)
        ch.start_consuming()
        x.rec("got", got[0][0], got[0][1])
    log = idiom(scenario)
    assert log[-1] == ("got", b"traced", "<dict>")
    assert log[:2] == [("span", "", "<q1>"), ("consume_span",)]


def test_62_call_later_and_remove_timeout(idiom):
    def scenario(x):
        conn = x.connect()
        fired = []
        keep = conn.call_later(0.6, lambda: fired.append("keep"))
        drop = conn.call_later(0.6, lambda: fired.append("drop"))
        conn.call_later(0.05, lambda: fired.append("early"))
        conn.remove_timeout(drop)
        # time_limit is an upper bound: the call returns once the early timer ran
        conn.process_data_events(time_limit=5)
        x.rec("first_call", fired)
        while len(fired) < 2:
            conn.process_data_events(time_limit=5)
        conn.sleep(0.7)  # the removed one never fires
        x.rec("fired", fired, keep is not drop)
        x.exc("remove_fired", lambda: conn.remove_timeout(keep))
    log = idiom(scenario)
    assert log[:2] == [("first_call", ("early",)), ("fired", ("early", "keep"), True)]


def test_63_consumer_priority_argument(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        low, high = conn.channel(), conn.channel()
        low.queue_declare(q, exclusive=True)
        got = []
        low.basic_consume(q, lambda c, m, p, b: got.append(("low", b)), auto_ack=True,
                          arguments={"x-priority": 1})
        high.basic_consume(q, lambda c, m, p, b: got.append(("high", b)), auto_ack=True,
                           arguments={"x-priority": 10})
        for n in range(3):
            low.basic_publish("", q, b"%d" % n)
        deadline = time.monotonic() + 5
        while len(got) < 3 and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.1)
        x.rec("got", got)
    log = idiom(scenario)
    assert log == [("got", (("high", b"0"), ("high", b"1"), ("high", b"2")))]


def test_64_process_data_events_none_waits_for_one_event(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        got = []
        ch.basic_consume(q, lambda c, m, p, b: got.append(b), auto_ack=True)
        threading.Timer(0.2, lambda: conn.add_callback_threadsafe(
            lambda: ch.basic_publish("", q, b"wake"))).start()
        while not got:
            conn.process_data_events(time_limit=None)
        x.rec("got", got)
    log = idiom(scenario)
    assert log == [("got", (b"wake",))]


def test_65_user_id_not_matching_login(idiom):
    def scenario(x):
        conn = x.connect()
        ch = conn.channel()
        ch.basic_publish("", "nowhere", b"x", x.lib.BasicProperties(user_id="impostor"))
        x.exc("next_call", lambda: ch.queue_declare("", exclusive=True))
    log = idiom(scenario)
    assert log[0][2].startswith("ChannelClosedByBroker(406, \"PRECONDITION_FAILED - user_id")


def test_66_dramatiq_style_enqueue_retry(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        state = {"channel": conn.channel()}
        known = set()
        attempts = 0
        while True:
            ch = state["channel"]
            try:
                if q not in known:
                    ch.queue_declare(q, passive=attempts == 0)
                    known.add(q)
                ch.basic_publish("", q, b"job",
                                 x.lib.BasicProperties(delivery_mode=2, priority=None))
                break
            except (x.lib.exceptions.AMQPConnectionError,
                    x.lib.exceptions.AMQPChannelError) as error:
                x.rec("retry", error, getattr(error, "reply_code", None))
                state["channel"] = conn.channel()
                attempts += 1
                assert attempts < 3
        x.rec("enqueued", attempts, _count(x, conn, q))
    log = idiom(scenario)
    assert log[0][2] == 404 and log[1] == ("enqueued", 1, 1)


def test_67_dramatiq_style_join_sleeps_on_the_connection(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        got = []
        ch.basic_consume(q, lambda c, m, p, b: got.append(b), auto_ack=True)
        for n in range(3):
            ch.basic_publish("", q, b"%d" % n)
        successes = 0
        rounds = 0
        while successes < 2 and rounds < 50:
            rounds += 1
            total = ch.queue_declare(q, passive=True).method.message_count
            successes = successes + 1 if total == 0 and len(got) == 3 else 0
            conn.sleep(0.05)  # deliveries are dispatched while sleeping
        x.rec("joined", successes, got)
    log = idiom(scenario)
    assert log == [("joined", 2, (b"0", b"1", b"2"))]


def test_68_basic_cancel_auto_ack_returns_pending(idiom):
    def scenario(x):
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        ch.queue_declare(q, exclusive=True)
        for n in range(3):
            ch.basic_publish("", q, b"%d" % n)
        got = []

        def on_message(channel, method, properties, body):
            got.append(body)
            if len(got) == 1:
                conn.sleep(0.3)  # the other two arrive meanwhile, queued for dispatch
                pending = channel.basic_cancel(method.consumer_tag)
                x.rec("pending", [(m.NAME, b) for m, p, b in pending])
        ch.basic_consume(q, on_message, auto_ack=True)
        ch.start_consuming()
        x.rec("got", got)
    log = idiom(scenario)
    assert log == [("pending", (("Basic.Deliver", b"1"), ("Basic.Deliver", b"2"))),
                   ("got", (b"0",))]


class _PopProxy:
    """A stand-in for OpenTelemetry's ReadyMessagesDequeProxy (a wrapt ObjectProxy
    around the generator's deque that sees every popleft)."""

    def __init__(self, wrapped, seen):
        self._wrapped, self._seen = wrapped, seen

    def popleft(self, *args):
        event = self._wrapped.popleft(*args)
        self._seen.append(type(event).__name__)
        return event

    def __len__(self):
        return len(self._wrapped)

    def __bool__(self):
        return bool(self._wrapped)

    def __iter__(self):
        return iter(self._wrapped)

    def __getattr__(self, name):
        return getattr(self._wrapped, name)


def test_69_opentelemetry_private_hooks(idiom):
    """opentelemetry-instrumentation-pika imports ``_QueueConsumerGeneratorInfo`` and
    ``_ConsumerDeliveryEvt`` from pika.adapters.blocking_connection, wraps the
    generator info's ``__init__`` to proxy ``pending_events``, rewrites
    ``channel._consumer_infos[tag].on_message_callback`` and reads
    ``channel.connection._impl.params.host/port``."""
    def scenario(x):
        import importlib
        module = importlib.import_module(x.lib.__name__ + ".adapters.blocking_connection")
        info_class = module._QueueConsumerGeneratorInfo
        x.rec("names", hasattr(module, "_ConsumerDeliveryEvt"),
              module.BlockingChannel.__name__)
        q = x.queue()
        conn = x.connect()
        ch = conn.channel()
        x.rec("peer", ch.connection._impl.params.host, ch.connection._impl.params.port)
        ch.queue_declare(q, exclusive=True)
        # 1. callbacks of existing consumers are swapped for traced ones (deliveries
        # pika_fast already holds when the swap happens keep the callback they came
        # for, so the messages are published after it)
        got = []
        ch.basic_consume(q, lambda c, m, p, b: (got.append(b), c.stop_consuming()),
                         auto_ack=True)
        for tag, info in ch._consumer_infos.items():
            callback = getattr(info, "on_message_callback", None)
            if callback is not None:
                def traced(channel, method, properties, body, callback=callback):
                    x.rec("traced", body)
                    return callback(channel, method, properties, body)
                setattr(info, "on_message_callback", traced)
        for n in range(2):
            ch.basic_publish("", q, b"%d" % n)
        ch.start_consuming()
        ch.basic_publish("", q, b"for the generator")
        x.rec("consumed", got)
        # 2. the generator's pending events are seen through a proxy
        seen = []
        original_init = info_class.__init__

        def wrapped_init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            self.pending_events = _PopProxy(self.pending_events, seen)
        info_class.__init__ = wrapped_init
        try:
            method, properties, body = next(ch.consume(q, auto_ack=True,
                                                       inactivity_timeout=5))
        finally:
            info_class.__init__ = original_init
        x.rec("generator", body, len(seen) >= 1)
        ch.cancel()
    log = idiom(scenario)
    assert log[0] == ("names", True, "BlockingChannel")
    assert log[2:] == [("traced", b"0"), ("consumed", (b"0",)),
                       ("generator", b"for the generator", True)]


def test_70_recover_after_the_connection_is_lost(idiom):
    """examples/blocking_consume_recover_multiple_hosts.py: consume in a loop; on
    ConnectionClosedByBroker stop, on AMQPChannelError stop, on AMQPConnectionError
    (a lost connection) connect again and carry on."""
    from tests.support.adapters import broker_port
    from tests.support.fault_proxy import FaultProxy

    def scenario(x):
        q = x.queue()
        setup = x.connect()
        setup.channel().queue_declare(q)
        with FaultProxy(broker_port(AMQP_URL)[1]) as proxy:
            params = x.lib.ConnectionParameters(host="127.0.0.1", port=proxy.port,
                                                credentials=x.lib.PlainCredentials(
                                                    "guest", "guest"),
                                                connection_attempts=3, retry_delay=0.2)
            got, rounds = [], 0
            while rounds < 3:
                rounds += 1
                try:
                    conn = x.connect(params)
                    ch = conn.channel()
                    ch.basic_qos(prefetch_count=1)

                    def on_message(channel, method, properties, body):
                        got.append((body, method.redelivered))
                        if len(got) == 1:
                            # lose the connection before the ack gets out
                            proxy.cut()
                            return
                        channel.basic_ack(method.delivery_tag)
                        channel.stop_consuming()
                    ch.basic_consume(q, on_message)
                    if rounds == 1:
                        setup.channel().basic_publish("", q, b"survivor")
                    ch.start_consuming()
                    x.rec("consumed", rounds)
                    break
                except x.lib.exceptions.ConnectionClosedByBroker as error:
                    x.rec("closed_by_broker", error)
                    break
                except x.lib.exceptions.AMQPChannelError as error:
                    x.rec("channel_error", error)
                    break
                except x.lib.exceptions.AMQPConnectionError as error:
                    x.rec("lost", error, conn.is_closed)
                    continue
            x.rec("got", got)
    log = idiom(scenario)
    assert log == [("lost", "StreamLostError", True), ("consumed", 2),
                   ("got", ((b"survivor", False), (b"survivor", True)))]
