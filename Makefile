# pika_fast developer tasks. Every target sets up what it needs: the virtualenv,
# the compiled codec and, for tests and benchmarks, a running RabbitMQ.
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_JSON ?= ../shared/amqp/amqp-rabbitmq-0.9.1.json
TEST_DEPS := "pytest>=7" "hypothesis>=6" "pika==1.4.4" "mypy==2.4.1" "tornado>=6" "twisted>=22" "gevent>=22"
BUILD_DEPS := "Cython==3.3.1" "setuptools>=68" wheel
export PYTHONPATH := $(CURDIR)

.PHONY: venv build build-pure broker test typecheck test-compiled test-pure spec spec-check \
        bench-codec bench demo clean

$(VENV)/.deps: pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(BUILD_DEPS) $(TEST_DEPS)
	touch $@

venv: $(VENV)/.deps

# The compiled codec is mandatory here: a build that fell back to pure Python fails.
build: venv
	PIKA_FAST_REQUIRE_EXTENSIONS=1 $(PY) setup.py -q build_ext --inplace
	env -u PIKA_FAST_NO_EXTENSIONS PIKA_FAST_REQUIRE_EXTENSIONS=1 $(PY) -c \
	  "import pika_fast; assert pika_fast.codec_backend() == 'cython'; print('codec backend: cython')"

broker:
	bash tools/ensure_broker.sh

# Type check, then the whole suite twice: compiled codec (required), then the
# pure-Python twin.
test: build broker typecheck test-compiled test-pure

typecheck: venv
	$(PY) -m mypy pika_fast --ignore-missing-imports

test-compiled:
	env -u PIKA_FAST_NO_EXTENSIONS PIKA_FAST_REQUIRE_EXTENSIONS=1 $(PY) -m pytest tests -q

test-pure:
	env -u PIKA_FAST_REQUIRE_EXTENSIONS PIKA_FAST_NO_EXTENSIONS=1 $(PY) -m pytest tests -q

spec: venv
	$(PY) tools/gen_spec.py $(SHARED_JSON)

spec-check: venv
	@test -f $(SHARED_JSON) || { echo "spec-check: $(SHARED_JSON) is absent; cannot check the generated spec"; exit 2; }
	@tmp=$$(mktemp -d) && $(PY) tools/gen_spec.py $(SHARED_JSON) --out $$tmp >/dev/null && \
	  for f in pika_fast/spec.py pika_fast/_spec_py.py src_pyx/_spec_gen.pxi; do \
	    diff -u $$f $$tmp/$$f || { echo "spec-check: $$f is stale; run make spec"; rm -rf $$tmp; exit 1; }; \
	  done; rm -rf $$tmp; echo "spec-check: generated files are fresh"

# Each adapter (and the thread-safe Connection) against pika 1.4.4's same adapter.
.PHONY: bench-adapters
bench-adapters: build broker
	$(PY) benchmarks/adapters.py $(BENCH_ARGS)

bench-codec: build
	$(PY) benchmarks/codec.py

# End to end against the local broker: pika 1.4.4, pika_fast and a raw-socket ceiling.
bench: build broker
	$(PY) benchmarks/e2e.py $(BENCH_ARGS)

clean:
	rm -rf build dist *.egg-info src_pyx/*.c pika_fast/*.so
