"""A misbehaving AMQP server on a loopback socket, scripted per test.

``HostileServer(script)`` listens on 127.0.0.1 (a free port) and runs
``script(peer)`` on a thread for each client that connects. The :class:`Peer` speaks
just enough AMQP 0-9-1 to get a client to the point the test cares about (the
handshake, a channel) and then sends whatever the test wants: frames no broker would
send, lengths that lie, garbage. After the script it keeps reading (answering a
Connection.Close with CloseOk, as a broker would) until the client closes its socket,
and records that it did.

Frames are built and read with the pure-Python codec: it has no limit on what it is
asked to encode that a hostile server needs, and the server side is never the code
under test.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any, Callable, List, Optional

from pika_fast import _codec_py as codec
from pika_fast import spec

PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
FRAME_END = b"\xce"


def frame_bytes(frame_type: int, channel: int, payload: bytes) -> bytes:
    """A frame with an honest size field."""
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + FRAME_END


def method_bytes(channel: int, method: Any) -> bytes:
    return codec.marshal_method_frame(channel, method)


def method_payload_frame(channel: int, index: int, arguments: bytes) -> bytes:
    """A method frame with hand-made argument bytes."""
    return frame_bytes(1, channel, struct.pack(">I", index) + arguments)


def header_bytes(channel: int, body_size: int, properties: Any = None) -> bytes:
    return codec.marshal_header_frame(channel, body_size, properties or spec.BasicProperties())


def body_bytes(channel: int, fragment: bytes) -> bytes:
    return frame_bytes(3, channel, fragment)


def start_method(mechanisms: bytes = b"PLAIN AMQPLAIN",
                 server_properties: Optional[dict] = None) -> Any:
    props = {"product": "hostile", "version": "0",
             "capabilities": {"publisher_confirms": True, "basic.nack": True,
                              "consumer_cancel_notify": True,
                              "connection.blocked": True}}
    if server_properties is not None:
        props = server_properties
    return spec.Connection.Start(0, 9, props, mechanisms, b"en_US")


class PeerClosed(Exception):
    """The client closed its socket while the script expected more from it."""


class Peer:
    """One accepted client connection, as the script sees it."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.reader = codec.FrameReader(frame_max=0)
        self.received: List[Any] = []   # frames (and protocol header) from the client
        self.client_closed = False      # the client closed its socket (EOF or reset)
        self.bytes_sent = 0

    # -- input

    def _recv(self) -> bool:
        """Read once into the reader; False at EOF."""
        self.sock.settimeout(max(0.05, min(1.0, self.deadline - time.monotonic())))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except OSError:
            data = b""
        if not data:
            self.client_closed = True
            return False
        self.reader.feed(data)
        return True

    def next_frame(self) -> Any:
        """The next frame from the client (PeerClosed at EOF, TimeoutError past the
        deadline)."""
        while True:
            item = self.reader.next_frame()
            if item is not None:
                self.received.append(item)
                return item
            if time.monotonic() > self.deadline:
                raise TimeoutError("hostile server: client sent nothing in time")
            if not self._recv():
                raise PeerClosed()

    def expect_protocol_header(self) -> None:
        while self.reader.buffered < 8:
            if time.monotonic() > self.deadline:
                raise TimeoutError("hostile server: no protocol header")
            if not self._recv():
                raise PeerClosed()
        self.received.append(self.reader.next_frame())

    def expect(self, method_class: Any) -> Any:
        """Frames until a method of ``method_class``; the method frame."""
        while True:
            item = self.next_frame()
            method = getattr(item, "method", None)
            if isinstance(method, method_class):
                return item

    # -- output

    def send(self, data: bytes) -> bool:
        """Send bytes; False if the client has gone."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        self.bytes_sent += len(data)
        return True

    def send_method(self, channel: int, method: Any) -> bool:
        return self.send(method_bytes(channel, method))

    def stream(self, chunk: bytes, total: int) -> int:
        """Send ``chunk`` repeatedly, up to ``total`` bytes or until the client stops
        taking them; the bytes sent."""
        sent = 0
        self.sock.settimeout(2.0)
        while sent < total and time.monotonic() < self.deadline:
            try:
                self.sock.sendall(chunk)
            except OSError:  # reset, or a timeout: the client stopped reading
                break
            sent += len(chunk)
        self.bytes_sent += sent
        return sent

    # -- conversation steps

    def handshake(self, start: Any = None, tune: Any = None, open_ok: bool = True) -> None:
        """Protocol header, Start/StartOk, Tune/TuneOk, Open/OpenOk (each stage can be
        replaced: ``start``/``tune`` as bytes or a method)."""
        self.expect_protocol_header()
        start = start_method() if start is None else start
        self.send(start if isinstance(start, bytes) else method_bytes(0, start))
        self.expect(spec.Connection.StartOk)
        tune = spec.Connection.Tune(2047, 131072, 0) if tune is None else tune
        self.send(tune if isinstance(tune, bytes) else method_bytes(0, tune))
        self.expect(spec.Connection.TuneOk)
        self.expect(spec.Connection.Open)
        if open_ok:
            self.send_method(0, spec.Connection.OpenOk(""))

    def open_channel(self) -> int:
        """Answer the client's Channel.Open; its channel number."""
        opened = self.expect(spec.Channel.Open)
        self.send_method(opened.channel_number, spec.Channel.OpenOk())
        return opened.channel_number

    def until_closed(self) -> None:
        """Read until the client closes its socket; answer Connection.Close with
        CloseOk and Channel.Close with Channel.CloseOk, as a broker would."""
        while time.monotonic() < self.deadline:
            try:
                item = self.next_frame()
            except (PeerClosed, TimeoutError):
                return
            except Exception:  # noqa: BLE001 - the client's bytes are not ours to judge
                self.reader = codec.FrameReader(frame_max=0)
                continue
            method = getattr(item, "method", None)
            if isinstance(method, spec.Connection.Close):
                self.send_method(0, spec.Connection.CloseOk())
            elif isinstance(method, spec.Channel.Close):
                self.send_method(item.channel_number, spec.Channel.CloseOk())

    def methods(self) -> List[Any]:
        """The methods received from the client, in order."""
        return [f.method for f in self.received if hasattr(f, "method")]


Script = Callable[[Peer], None]


class HostileServer:
    """A scripted AMQP peer on 127.0.0.1:<port>; a context manager."""

    def __init__(self, script: Script, timeout: float = 30.0) -> None:
        self.script = script
        self.timeout = timeout
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.peers: List[Peer] = []
        self.errors: List[BaseException] = []
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept",
                                          daemon=True)

    def __enter__(self) -> "HostileServer":
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        try:
            self.listener.close()
        except OSError:
            pass
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)
        for peer in self.peers:
            try:
                peer.sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                sock, _address = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            peer = Peer(sock, time.monotonic() + self.timeout)
            self.peers.append(peer)
            thread = threading.Thread(target=self._serve, args=(peer,),
                                      name="hostile-peer", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, peer: Peer) -> None:
        try:
            self.script(peer)
            peer.until_closed()
        except PeerClosed:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.errors.append(exc)
        finally:
            if not peer.client_closed:
                peer.until_closed()

    def wait_client_closed(self, timeout: float = 10.0,
                           sleep: Callable[[float], Any] = time.sleep) -> bool:
        """Whether every client that connected has closed its socket (waits, with
        ``sleep``: gevent's lets the hub finish closing a gevent socket)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.peers and all(p.client_closed for p in self.peers):
                return True
            sleep(0.02)
        return bool(self.peers) and all(p.client_closed for p in self.peers)
