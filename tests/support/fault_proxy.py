"""A loopback TCP proxy for fault injection: delay, stall, cut or corrupt a stream.

    with FaultProxy(5672) as proxy:
        conn = BlockingConnection(ConnectionParameters(port=proxy.port))
        proxy.stall()      # stop forwarding both ways, keep the sockets open
        proxy.cut()        # close every proxied connection abruptly
        proxy.corrupt_next_from_server(b"\\xff")  # overwrite the next bytes sent down
        proxy.delay = 0.2  # hold each chunk this long before forwarding it
"""
from __future__ import annotations

import select
import socket
import threading
import time
from typing import List, Optional, Tuple


class FaultProxy:
    """Forwards 127.0.0.1:<port> to 127.0.0.1:<upstream_port> in a background thread."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self.delay = 0.0
        self._stalled = threading.Event()
        self._corruption: Optional[bytes] = None
        self._pairs: List[Tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self.bytes_to_server = 0
        self.bytes_to_client = 0

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stall(self) -> None:
        """Stop forwarding in both directions; connections stay open."""
        self._stalled.set()

    def resume(self) -> None:
        self._stalled.clear()

    def cut(self) -> None:
        """Abruptly close every proxied connection (RST where possible)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, server in pairs:
            for sock in (client, server):
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00"
                                    b"\x00\x00\x00\x00")
                except OSError:
                    pass
                sock.close()

    def corrupt_next_from_server(self, garbage: bytes) -> None:
        """Overwrite the start of the next chunk the server sends with ``garbage``."""
        self._corruption = garbage

    def close(self) -> None:
        self._stop.set()
        self.cut()
        self._listener.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                socks: List[socket.socket] = [self._listener]
                for client, server in self._pairs:
                    socks.extend((client, server))
            try:
                readable, _, _ = select.select(socks, [], [], 0.05)
            except (OSError, ValueError):
                continue
            for sock in readable:
                if sock is self._listener:
                    self._accept()
                elif not self._stalled.is_set():
                    self._forward(sock)
            if self._stalled.is_set():
                time.sleep(0.01)

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
        with self._lock:
            self._pairs.append((client, server))

    def _forward(self, sock: socket.socket) -> None:
        with self._lock:
            pair = next((p for p in self._pairs if sock in p), None)
        if pair is None:
            return
        client, server = pair
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop(pair)
            return
        if self.delay:
            time.sleep(self.delay)
        try:
            if sock is server:
                if self._corruption is not None:
                    garbage, self._corruption = self._corruption, None
                    data = garbage + data[len(garbage):]
                self.bytes_to_client += len(data)
                client.sendall(data)
            else:
                self.bytes_to_server += len(data)
                server.sendall(data)
        except OSError:
            self._drop(pair)

    def _drop(self, pair: Tuple[socket.socket, socket.socket]) -> None:
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        for sock in pair:
            sock.close()
