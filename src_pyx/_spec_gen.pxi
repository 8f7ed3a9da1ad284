# GENERATED FILE -- DO NOT EDIT.
# Source: amqp-rabbitmq-0.9.1.json (sha256 48dd1bb5374de5db...)
# Regenerate with `make spec` (python tools/gen_spec.py).

# (compiled per-method marshalling not generated yet)
