"""A private RabbitMQ node for tests that the shared broker cannot serve.

It runs under its own node name, ports, config, data and log directories inside a
temporary directory, and is stopped and removed at the end. The shared broker on
127.0.0.1:5672 is never touched.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from typing import Dict, Iterable, List, Optional


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateRabbitNode:
    """One RabbitMQ node of our own. Use as a context manager or start()/stop()."""

    def __init__(self, config_lines: Iterable[str] = (), plugins: Iterable[str] = (),
                 amqp_port: Optional[int] = None, extra_ports: Iterable[str] = ()) -> None:
        self.name = f"pikafast-{uuid.uuid4().hex[:8]}@localhost"
        self.amqp_port = amqp_port or free_port()
        self.dist_port = free_port()
        self.base = tempfile.mkdtemp(prefix="pika_fast_node_")
        self.config_lines = [f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}",
                             "loopback_users = none", *config_lines]
        self.plugins = list(plugins)
        self.started = False

    @property
    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.base, "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.base, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.base, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.base, "enabled_plugins"),
            "RABBITMQ_PID_FILE": os.path.join(self.base, "rabbit.pid"),
        })
        return env

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/%2F"

    def write_file(self, name: str, data: bytes, mode: int = 0o644) -> str:
        """Write a file (a certificate, say) where the node's user can read it."""
        path = os.path.join(self.base, name)
        with open(path, "wb") as handle:
            handle.write(data)
        os.chmod(path, mode)
        self._chown(path)
        return path

    def _chown(self, path: str) -> None:
        try:
            entry = pwd.getpwnam("rabbitmq")
        except KeyError:
            return
        os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self, timeout: float = 90.0) -> "PrivateRabbitNode":
        if shutil.which("rabbitmq-server") is None:
            raise RuntimeError("rabbitmq-server is not installed")
        for sub in ("mnesia", "log"):
            os.makedirs(os.path.join(self.base, sub), exist_ok=True)
        with open(os.path.join(self.base, "rabbitmq.conf"), "w") as handle:
            handle.write("\n".join(self.config_lines) + "\n")
        with open(os.path.join(self.base, "enabled_plugins"), "w") as handle:
            handle.write("[%s].\n" % ",".join(self.plugins))
        for root, dirs, files in os.walk(self.base):
            for item in dirs + files:
                self._chown(os.path.join(root, item))
        self._chown(self.base)
        os.chmod(self.base, 0o755)
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        self.started = True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_open(self.amqp_port) and self._await_boot():
                return self
            time.sleep(0.5)
        logs = self.log_tail()
        self.stop()
        raise RuntimeError(f"private RabbitMQ node {self.name} did not start:\n{logs}")

    def _await_boot(self) -> bool:
        result = subprocess.run(["rabbitmqctl", "-n", self.name, "await_startup"],
                                env=self.env, capture_output=True, timeout=60)
        return result.returncode == 0

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """Run rabbitmqctl against this node; return its output."""
        result = subprocess.run(["rabbitmqctl", "-n", self.name, *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: "
                               f"{result.stdout}{result.stderr}")
        return result.stdout

    def log_tail(self, lines: int = 40) -> str:
        out: List[str] = []
        log_dir = os.path.join(self.base, "log")
        if os.path.isdir(log_dir):
            for name in sorted(os.listdir(log_dir)):
                if name.endswith(".log"):
                    with open(os.path.join(log_dir, name), errors="replace") as handle:
                        out.append(f"== {name}\n" + "".join(handle.readlines()[-lines:]))
        return "\n".join(out)

    def restart_app(self) -> None:
        """Stop and start the RabbitMQ application inside the running node
        (``rabbitmqctl stop_app`` / ``start_app``): every client connection is closed
        by the broker; durable queues and persistent messages survive."""
        self.ctl("stop_app", timeout=120)
        self.ctl("start_app", timeout=120)
        self.ctl("await_startup", timeout=120)

    def restart(self, timeout: float = 120.0) -> None:
        """Stop the whole node (its Erlang VM) and boot it again on the same ports and
        data directory, as a host restart would."""
        subprocess.run(["rabbitmqctl", "-n", self.name, "stop"], env=self.env,
                       capture_output=True, timeout=120)
        deadline = time.monotonic() + timeout
        while port_open(self.amqp_port) and time.monotonic() < deadline:
            time.sleep(0.2)
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        while time.monotonic() < deadline:
            if port_open(self.amqp_port) and self._await_boot():
                return
            time.sleep(0.5)
        raise RuntimeError(f"private RabbitMQ node {self.name} did not come back:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        if self.started:
            try:
                subprocess.run(["rabbitmqctl", "-n", self.name, "stop"], env=self.env,
                               capture_output=True, timeout=60)
            except subprocess.TimeoutExpired:
                pass
            pid_file = os.path.join(self.base, "rabbit.pid")
            if os.path.exists(pid_file):
                try:
                    with open(pid_file) as handle:
                        os.kill(int(handle.read().strip()), 9)
                except (OSError, ValueError):
                    pass
            self.started = False
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "PrivateRabbitNode":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
