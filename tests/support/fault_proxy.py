"""A loopback TCP proxy for fault injection: delay, stall, cut, reset, half-close or
corrupt the byte stream between a client and the broker.

    with FaultProxy(5672) as proxy:
        conn = BlockingConnection(ConnectionParameters(port=proxy.port))
        proxy.delay = 0.05        # hold every chunk 50 ms (latency, order kept)
        proxy.stall()             # stop forwarding both ways, keep the sockets open
        proxy.resume()
        proxy.half_close("to_client")   # FIN to the client; the broker side stays up
        proxy.cut_mid_frame("to_client", min_payload=4096)  # end inside the next big frame
        proxy.reset()             # RST both sides of every proxied connection (= cut())
        proxy.corrupt_next_from_server(b"\\xff")  # overwrite the next bytes sent down

Every socket is owned by the proxy's one thread: the methods above post a command to it
and return once it has been carried out, so a test never races the proxy for a file
descriptor (closing an fd another thread still polls could hit a reused number).
Sockets are non-blocking with a buffer per direction, so a client that stops reading
never stalls the other direction or other connections.
"""
from __future__ import annotations

import collections
import select
import socket
import struct
import threading
import time
from typing import Any, Callable, Deque, List, Optional, Tuple

_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST
_HIGH_WATER = 1 << 20  # stop reading a side while this much is waiting to be written
_AMQP_HEADER_LEN = 8  # b"AMQP\x00\x00\x09\x01", sent by the client before any frame
DIRECTIONS = ("to_server", "to_client")


class _FrameScanner:
    """Follows AMQP frame boundaries in one direction to find a cut point mid-frame."""

    def __init__(self, preamble: int) -> None:
        self.pos = 0  # stream offset of the next byte scanned
        self.frame_start = preamble  # stream offset where the next frame header begins
        self.header = bytearray()
        self.pending: Optional[int] = None  # stream offset of a cut still to come

    def cut_offset(self, data: bytes, min_payload: int) -> Optional[int]:
        """Scan ``data`` (the next chunk of the stream): the offset inside it halfway
        through the payload of the first frame whose payload is at least
        ``min_payload`` bytes, or None. A middle that falls in a later chunk is kept
        as :attr:`pending` (see :meth:`pending_offset`)."""
        start, end = self.pos, self.pos + len(data)
        found = self.pending_offset(data)
        while self.frame_start + 7 <= end:
            if self.frame_start < start:
                # The header straddles the previous chunk; rebuild it from both.
                missing = self.frame_start + 7 - start
                header = bytes(self.header[len(self.header) - (7 - missing):]) + \
                    data[:missing]
            else:
                offset = self.frame_start - start
                header = data[offset:offset + 7]
            size = struct.unpack(">I", header[3:7])[0]
            if size >= min_payload and found is None and self.pending is None:
                cut_at = self.frame_start + 7 + size // 2
                if cut_at < end:
                    found = cut_at - start
                else:
                    self.pending = cut_at
            self.frame_start += 7 + size + 1
        self.header = (self.header + data)[-7:]
        self.pos = end
        return found

    def pending_offset(self, data: bytes) -> Optional[int]:
        """The offset in ``data`` (the next chunk) of a cut found in an earlier chunk."""
        if self.pending is None:
            return None
        start, end = self.pos, self.pos + len(data)
        if start <= self.pending < end:
            return self.pending - start
        return None


class _Pipe:
    """One direction of one proxied connection."""

    def __init__(self, name: str, src: socket.socket, dst: socket.socket) -> None:
        self.name = name
        self.src, self.dst = src, dst
        self.queue: Deque[Tuple[float, bytes, bool]] = collections.deque()  # (due, data, cut)
        self.out = bytearray()
        self.queued = 0
        self.src_eof = False  # the source sent FIN
        self.dst_shut = False  # we sent FIN to the destination
        self.discard = False  # half-closed: what the source still sends is dropped
        self.cut_after_flush = False
        self.scanner = _FrameScanner(_AMQP_HEADER_LEN if name == "to_server" else 0)

    def backlog(self) -> int:
        return self.queued + len(self.out)


class _Link:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server = client, server
        self.pipes = {"to_server": _Pipe("to_server", client, server),
                      "to_client": _Pipe("to_client", server, client)}
        self.closed = False


class FaultProxy:
    """Forwards 127.0.0.1:<port> to <upstream_host>:<upstream_port> in a background
    thread; see the module docstring for the faults it can inject."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.setblocking(False)
        self.port: int = self._listener.getsockname()[1]
        #: seconds every chunk is held before it is forwarded (latency, order kept)
        self.delay = 0.0
        self._stalled = {name: False for name in DIRECTIONS}
        self._corruption: Optional[bytes] = None
        self._cut_plan: Optional[Tuple[str, int, str, threading.Event]] = None
        self._links: List[_Link] = []
        self._commands: Deque[Tuple[Callable[[], Any], threading.Event]] = collections.deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self.bytes_to_server = 0
        self.bytes_to_client = 0
        #: connections accepted so far
        self.accepted = 0

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the faults

    def stall(self, direction: str = "both") -> None:
        """Stop forwarding (both ways by default); the connections stay open."""
        for name in self._directions(direction):
            self._stalled[name] = True
        self._wake()

    def resume(self, direction: str = "both") -> None:
        """Forward again what a stall held back."""
        for name in self._directions(direction):
            self._stalled[name] = False
        self._wake()

    def cut(self) -> None:
        """Abruptly close every proxied connection: RST to both client and broker."""
        self._command(self._reset_all)

    def reset(self) -> None:
        """RST both sides of every proxied connection (SO_LINGER 0); as :meth:`cut`."""
        self.cut()

    def half_close(self, direction: str) -> None:
        """Shut one direction of every proxied connection: ``"to_client"`` sends the
        client a FIN (it reads EOF) while the broker side stays connected and what the
        broker still sends is dropped; ``"to_server"`` does the same toward the broker.
        The other direction keeps forwarding."""
        (name,) = self._directions(direction)

        def shut() -> None:
            for link in self._links:
                pipe = link.pipes[name]
                pipe.discard = True
                pipe.queue.clear()
                pipe.queued = 0
                pipe.out.clear()
                self._shut_dst(pipe)
        self._command(shut)

    def cut_mid_frame(self, direction: str = "to_client", min_payload: int = 1024,
                      mode: str = "close") -> threading.Event:
        """Arm a cut inside the next frame sent ``direction`` whose payload is at least
        ``min_payload`` bytes: its header and the first half of its payload are
        forwarded, then both sides are closed (``mode="close"``: FIN, so the partial
        frame surely arrives before EOF; ``"reset"``: RST). Returns an event set once
        the cut happened."""
        (name,) = self._directions(direction)
        if mode not in ("close", "reset"):
            raise ValueError(f"mode must be 'close' or 'reset', not {mode!r}")
        done = threading.Event()
        self._command(lambda: setattr(self, "_cut_plan", (name, min_payload, mode, done)))
        return done

    def corrupt_next_from_server(self, garbage: bytes) -> None:
        """Overwrite the start of the next chunk the server sends with ``garbage``."""
        self._corruption = garbage

    @property
    def connections(self) -> int:
        """How many proxied connections are open now."""
        return len(self._links)

    def close(self) -> None:
        """Close every connection, the listener and stop the thread."""
        if self._thread.is_alive():
            try:
                self._command(self._reset_all)
            except RuntimeError:
                pass
            self._stop.set()
            self._wake()
            self._thread.join(timeout=5)
        else:
            self._reset_all()
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()

    # ------------------------------------------------------------------ plumbing

    @staticmethod
    def _directions(direction: str) -> Tuple[str, ...]:
        if direction == "both":
            return DIRECTIONS
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS} or 'both', "
                             f"not {direction!r}")
        return (direction,)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _command(self, fn: Callable[[], Any], timeout: float = 5.0) -> None:
        """Run ``fn`` on the proxy thread and wait for it (at once if not started)."""
        if not self._thread.is_alive():
            fn()
            return
        done = threading.Event()
        self._commands.append((fn, done))
        self._wake()
        if not done.wait(timeout):
            raise RuntimeError("the fault proxy's thread did not answer")

    def _run(self) -> None:
        while not self._stop.is_set():
            readers: List[socket.socket] = [self._listener, self._wake_r]
            writers: List[socket.socket] = []
            timeout = 0.05
            now = time.monotonic()
            for link in self._links:
                for pipe in link.pipes.values():
                    stalled = self._stalled[pipe.name]
                    if not (pipe.src_eof or stalled or pipe.cut_after_flush) and \
                            pipe.backlog() < _HIGH_WATER:
                        readers.append(pipe.src)
                    if pipe.out and not stalled:
                        writers.append(pipe.dst)
                    if pipe.queue and not stalled:
                        timeout = min(timeout, max(0.0, pipe.queue[0][0] - now))
            try:
                readable, _writable, _ = select.select(readers, writers, [], timeout)
            except (OSError, ValueError):
                readable = []
                self._reap()
            while self._commands:
                fn, done = self._commands.popleft()
                try:
                    fn()
                finally:
                    done.set()
            if self._wake_r in readable:
                try:
                    while self._wake_r.recv(4096):
                        pass
                except OSError:
                    pass
            if self._listener in readable:
                self._accept()
            for link in list(self._links):
                for pipe in link.pipes.values():
                    if link.closed:
                        break
                    if pipe.src in readable and pipe.src.fileno() != -1:
                        self._receive(link, pipe)
                    if not link.closed and not self._stalled[pipe.name]:
                        self._release_due(pipe)
                        if pipe.out:
                            self._send(link, pipe)
                if not link.closed:
                    self._finish_if_done(link)
        self._reset_all()

    def _accept(self) -> None:
        try:
            client, _addr = self._listener.accept()
        except OSError:
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        client.setblocking(False)
        server.setblocking(False)
        self._links.append(_Link(client, server))
        self.accepted += 1

    def _receive(self, link: _Link, pipe: _Pipe) -> None:
        try:
            data = pipe.src.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            # The source reset us: pass the reset on to the other side.
            self._reset_link(link)
            return
        if not data:
            pipe.src_eof = True
            return
        if pipe.discard:
            return
        cut = False
        plan = self._cut_plan
        if plan is not None and plan[0] == pipe.name:
            offset = pipe.scanner.cut_offset(data, plan[1])
            if offset is not None:
                data, cut = data[:offset], True
        else:
            pipe.scanner.cut_offset(data, 1 << 62)  # follow the frames only
        if pipe.name == "to_client" and self._corruption is not None:
            garbage, self._corruption = self._corruption, None
            data = garbage + data[len(garbage):]
        pipe.queue.append((time.monotonic() + self.delay, data, cut))
        pipe.queued += len(data)

    def _release_due(self, pipe: _Pipe) -> None:
        now = time.monotonic()
        while pipe.queue and pipe.queue[0][0] <= now and not pipe.cut_after_flush:
            _due, data, cut = pipe.queue.popleft()
            pipe.queued -= len(data)
            pipe.out += data
            if cut:
                pipe.cut_after_flush = True

    def _send(self, link: _Link, pipe: _Pipe) -> None:
        try:
            sent = pipe.dst.send(pipe.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._reset_link(link)
            return
        del pipe.out[:sent]
        if pipe.name == "to_server":
            self.bytes_to_server += sent
        else:
            self.bytes_to_client += sent

    def _finish_if_done(self, link: _Link) -> None:
        for pipe in link.pipes.values():
            if pipe.cut_after_flush and not pipe.out:
                plan, self._cut_plan = self._cut_plan, None
                if plan is not None:
                    plan[3].set()  # first: the client may see the end at once
                if plan is not None and plan[2] == "reset":
                    self._reset_link(link)
                else:
                    self._close_link(link)
                return
            if pipe.src_eof and not pipe.queue and not pipe.out:
                # Pass the FIN on once everything before it has left.
                self._shut_dst(pipe)
        if all(p.src_eof and p.dst_shut for p in link.pipes.values()):
            self._close_link(link)

    @staticmethod
    def _shut_dst(pipe: _Pipe) -> None:
        if not pipe.dst_shut:
            pipe.dst_shut = True
            try:
                pipe.dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def _close_link(self, link: _Link, rst: bool = False) -> None:
        if link.closed:
            return
        link.closed = True
        if link in self._links:
            self._links.remove(link)
        for sock in (link.client, link.server):
            if rst:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
                except OSError:
                    pass
            sock.close()

    def _reset_link(self, link: _Link) -> None:
        self._close_link(link, rst=True)

    def _reset_all(self) -> None:
        for link in list(self._links):
            self._reset_link(link)

    def _reap(self) -> None:
        """Drop links whose sockets went bad (select raised)."""
        for link in list(self._links):
            if link.client.fileno() == -1 or link.server.fileno() == -1:
                self._reset_link(link)
