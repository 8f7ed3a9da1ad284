"""API parity with pika 1.4.4's BlockingConnection/BlockingChannel: names, keyword
arguments, return values and argument-error classes, run side by side on the broker."""
import inspect

import pytest

import pika as real_pika
from pika.adapters import blocking_connection as real_bc

import pika_fast as pika
from pika_fast.adapters import blocking_connection as fast_bc

CLASSES = ["BlockingConnection", "BlockingChannel"]


def _public(cls):
    return {name for name in dir(cls) if not name.startswith("_")}


@pytest.mark.parametrize("name", CLASSES)
def test_every_public_name_of_pika_exists(name):
    missing = _public(getattr(real_bc, name)) - _public(getattr(fast_bc, name))
    assert not missing, f"{name} lacks {sorted(missing)}"


def _methods(cls):
    for attr in sorted(_public(cls)):
        value = inspect.getattr_static(cls, attr)
        if isinstance(value, property) or not callable(value):
            continue
        yield attr, getattr(cls, attr)


@pytest.mark.parametrize("name", CLASSES)
def test_pika_keyword_arguments_are_accepted(name):
    """Every parameter name of pika's methods can be passed by keyword to pika_fast's."""
    fast_cls = getattr(fast_bc, name)
    problems = []
    for attr, real_method in _methods(getattr(real_bc, name)):
        fast_sig = inspect.signature(getattr(fast_cls, attr))
        params = fast_sig.parameters
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for pname, p in inspect.signature(real_method).parameters.items():
            if pname == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if pname not in params and not takes_kwargs:
                problems.append(f"{attr}({pname}=)")
            elif pname in params and p.default is not p.empty:
                fast_default = params[pname].default
                if fast_default != p.default:
                    problems.append(f"{attr}: default of {pname} is {fast_default!r}, "
                                    f"pika's is {p.default!r}")
    assert not problems, problems


def test_return_values_match_pika(amqp_url):
    def scenario(lib):
        out = {}
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            out["channel_number"] = ch.channel_number
            out["int(channel)"] = int(ch)
            out["is_open"] = (conn.is_open, conn.is_closed, ch.is_open, ch.is_closed)
            q = ch.queue_declare("", exclusive=True).method.queue
            out["publish"] = ch.basic_publish("", q, b"1")
            ch.basic_publish("", q, b"2")
            ch.basic_publish("", q, b"3")
            m, _p, _b = ch.basic_get(q)
            out["ack"] = ch.basic_ack(m.delivery_tag)
            m, _p, _b = ch.basic_get(q)
            out["nack"] = ch.basic_nack(m.delivery_tag, requeue=True)
            m, _p, _b = ch.basic_get(q)
            out["reject"] = ch.basic_reject(m.delivery_tag, requeue=True)
            out["qos"] = ch.basic_qos(prefetch_count=10)
            out["recover"] = ch.basic_recover(requeue=True)
            out["flow"] = ch.flow(True)
            tag = ch.basic_consume(q, lambda *a: None)
            out["consumer_tags"] = (type(ch.consumer_tags).__name__, len(ch.consumer_tags))
            out["tag"] = (type(tag).__name__, tag.startswith("ctag%d." % ch.channel_number),
                          len(tag))
            out["basic_cancel"] = ch.basic_cancel(tag)
            out["stop_consuming"] = ch.stop_consuming()
            out["start_consuming"] = ch.start_consuming()
            out["cancel"] = ch.cancel()
            out["waiting"] = ch.get_waiting_message_count()
            out["pde"] = conn.process_data_events(0)
            out["sleep"] = conn.sleep(0.01)
            out["threadsafe"] = conn.add_callback_threadsafe(lambda: None)
            out["update_secret"] = None  # (compared in the connect suite)
            ch2 = conn.channel()
            out["confirm"] = ch2.confirm_delivery()
            out["confirmed_publish"] = ch2.basic_publish("", q, b"c")
            out["channel_close"] = ch2.close()
            out["channel_close_state"] = (ch2.is_open, ch2.is_closed)
        out["conn_close_state"] = (conn.is_open, conn.is_closed)
        return out

    assert scenario(pika) == scenario(real_pika)


BAD_CALLS = {
    "basic_consume(q, None)": lambda conn, ch, q: ch.basic_consume(q, None),
    "basic_consume(q, 'x')": lambda conn, ch, q: ch.basic_consume(q, "x"),
    "basic_consume(5, cb)": lambda conn, ch, q: ch.basic_consume(5, lambda *a: None),
    "call_later(1, 'x')": lambda conn, ch, q: conn.call_later(1, "x"),
    "basic_get(5)": lambda conn, ch, q: ch.basic_get(5),
    "queue_declare(5)": lambda conn, ch, q: ch.queue_declare(5),
    "sleep(-1)": lambda conn, ch, q: conn.sleep(-1),
}

@pytest.mark.parametrize("call", list(BAD_CALLS))
def test_argument_errors_match_pika(amqp_url, call):
    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            q = ch.queue_declare("", exclusive=True).method.queue
            try:
                BAD_CALLS[call](conn, ch, q)
                outcome = None
            except Exception as exc:  # noqa: BLE001 - compared by class name
                outcome = type(exc).__name__
            return outcome, ch.is_open, conn.is_open

    assert scenario(pika) == scenario(real_pika)
