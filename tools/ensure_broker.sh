#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1:5672: install it on a fresh
# machine, start it if it is down, and wait until it accepts AMQP connections.
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if port_open; then
  echo "broker: RabbitMQ is up on 127.0.0.1:5672"
  exit 0
fi
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "broker: installing rabbitmq-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq rabbitmq-server >/dev/null
fi
echo "broker: starting rabbitmq-server"
rabbitmq-server -detached || true
for _ in $(seq 1 90); do
  if port_open; then
    echo "broker: RabbitMQ is up on 127.0.0.1:5672"
    exit 0
  fi
  sleep 1
done
echo "broker: RabbitMQ did not come up on 127.0.0.1:5672 within 90 s" >&2
exit 1
