"""pika_fast.install_as_pika(): a library that imports pika itself runs on pika_fast.

Each scenario runs in a fresh interpreter (a subprocess), since it changes sys.modules and
the import system for the whole process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
THIRDPARTY = os.path.join(REPO, "tests", "support", "thirdparty")


def run_python(code: str, amqp_url: str) -> dict:
    """Run ``code`` in a new interpreter; it prints one JSON object as its last line."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, THIRDPARTY]), AMQP_URL=amqp_url)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"subprocess failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_third_party_module_runs_on_pika_fast(amqp_url):
    result = run_python("""
        import json, os, sys
        import pika_fast
        pika_fast.install_as_pika()
        import pika_using_lib                       # does `import pika` and friends itself
        import pika
        import pika.adapters.blocking_connection as bc
        from pika.adapters.blocking_connection import BlockingConnection
        out = pika_using_lib.round_trip(os.environ["AMQP_URL"], "through the alias")
        out["same_package"] = pika is pika_fast
        out["same_submodules"] = (bc is pika_fast.adapters.blocking_connection
                                  and pika.spec is pika_fast.spec
                                  and BlockingConnection is pika_fast.BlockingConnection)
        out["real_pika_loaded"] = any(getattr(m, "__file__", "") and "site-packages" in
                                      (m.__file__ or "") and n.split(".")[0] == "pika"
                                      and not (m.__name__ or "").startswith("pika_fast")
                                      for n, m in list(sys.modules.items()) if m)
        print(json.dumps(out))
    """, amqp_url)
    assert result == {
        "body": "through the alias", "headers": {"lib": "thirdparty"}, "method_is_spec": True,
        "closed_by_broker": 404,
        "connection_class": "pika_fast.adapters.blocking_connection.BlockingConnection",
        "same_package": True, "same_submodules": True, "real_pika_loaded": False,
    }


def test_every_submodule_path_resolves_to_the_same_object(amqp_url):
    result = run_python("""
        import importlib, json, pkgutil, sys
        import pika_fast
        names = sorted(m.name[len("pika_fast"):] for m in
                       pkgutil.walk_packages(pika_fast.__path__, "pika_fast."))
        pika_fast.install_as_pika()
        mismatched = []
        for name in names:
            try:
                alias = importlib.import_module("pika" + name)
            except ImportError as exc:
                # Only where pika_fast's own module fails the same way (an absent
                # optional framework, the compiled codec not built).
                try:
                    importlib.import_module("pika_fast" + name)
                    mismatched.append(name)
                except ImportError:
                    pass
                continue
            if alias is not sys.modules["pika_fast" + name]:
                mismatched.append(name)
        print(json.dumps({"count": len(names), "mismatched": mismatched}))
    """, amqp_url)
    assert result["count"] > 20 and result["mismatched"] == []


def test_submodule_imported_only_after_the_call(amqp_url):
    """A pika_fast module nobody imported yet is loaded once, under both names."""
    result = run_python("""
        import importlib, importlib.util, json, pkgutil, sys
        import pika_fast
        candidates = [m.name for m in pkgutil.walk_packages(pika_fast.__path__, "pika_fast.")
                      if m.name not in sys.modules]
        loadable = []
        for name in candidates:
            try:
                if importlib.util.find_spec(name) is not None:
                    loadable.append(name)
            except ImportError:
                pass
        pika_fast.install_as_pika()
        checked = []
        for name in loadable[:3]:
            alias = "pika" + name[len("pika_fast"):]
            try:
                module = importlib.import_module(alias)
            except ImportError:
                continue  # e.g. the compiled codec when it is not built
            checked.append([alias, module is sys.modules[name], module.__name__ == name])
        print(json.dumps({"checked": checked, "loadable": len(loadable)}))
    """, amqp_url)
    if result["loadable"]:
        assert result["checked"], "no later-imported module could be loaded"
    for alias, same_object, named in result["checked"]:
        assert same_object and named, alias


def test_refuses_when_real_pika_is_already_imported(amqp_url):
    result = run_python("""
        import json
        import pika                      # the real pika 1.4.4 from site-packages
        import pika_fast
        try:
            pika_fast.install_as_pika()
            outcome = "installed"
        except RuntimeError as exc:
            outcome = str(exc)
        import sys
        print(json.dumps({"outcome": outcome,
                          "pika_untouched": sys.modules["pika"] is pika,
                          "finder_added": any(type(f).__name__ == "_PikaAliasFinder"
                                              for f in sys.meta_path)}))
    """, amqp_url)
    assert "install_as_pika() must run before pika is imported" in result["outcome"]
    assert "pika" in result["outcome"]
    assert result["pika_untouched"] and not result["finder_added"]


def test_missing_module_error_and_second_call(amqp_url):
    result = run_python("""
        import json
        import pika_fast
        pika_fast.install_as_pika()
        pika_fast.install_as_pika()      # idempotent
        import sys
        finders = sum(type(f).__name__ == "_PikaAliasFinder" for f in sys.meta_path)
        try:
            import pika.no_such_module
            error = None
        except ModuleNotFoundError as exc:
            error = [str(exc), exc.name]
        from pika import BlockingConnection, URLParameters, spec
        print(json.dumps({"finders": finders, "error": error,
                          "names": [BlockingConnection.__module__, spec.__name__]}))
    """, amqp_url)
    assert result == {"finders": 1,
                      "error": ["No module named 'pika.no_such_module'", "pika.no_such_module"],
                      "names": ["pika_fast.adapters.blocking_connection", "pika_fast.spec"]}


def test_pika_logger_settings_reach_pika_fast(amqp_url):
    result = run_python("""
        import json, logging
        import pika_fast
        pika_fast.install_as_pika()
        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append((record.name, record.levelname))
        # What applications do to quieten pika or collect its logs:
        logging.getLogger("pika").setLevel(logging.WARNING)
        logging.getLogger("pika").addHandler(Keep())
        logger = logging.getLogger("pika_fast.adapters.blocking_connection")
        logger.info("hidden by the pika logger's level")
        logger.warning("shown")
        print(json.dumps({"records": records}))
    """, amqp_url)
    assert result["records"] == [["pika_fast.adapters.blocking_connection", "WARNING"]]
