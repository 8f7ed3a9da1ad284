"""The seam picks the backend the switches ask for, both twins expose one API, the
generated files are fresh, and the package never imports pika."""
import filecmp
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pika_fast
from pika_fast import _codec, spec

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_JSON = REPO_ROOT.parent / "shared" / "amqp" / "amqp-rabbitmq-0.9.1.json"
GENERATED = ("pika_fast/spec.py", "pika_fast/_spec_py.py", "src_pyx/_spec_gen.pxi")

SWITCHES = ("PIKA_FAST_NO_EXTENSIONS", "PIKA_FAST_REQUIRE_EXTENSIONS")


def _flag(name):
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = _flag("PIKA_FAST_NO_EXTENSIONS")
REQUIRE_EXTENSIONS = _flag("PIKA_FAST_REQUIRE_EXTENSIONS")


def _import_in_subprocess(**switches):
    """Import pika_fast in a fresh interpreter with only ``switches`` set."""
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    env.update(switches)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    code = ("import pika_fast, pika_fast._codec as c; "
            "print(pika_fast.codec_backend(), c._impl.__name__)")
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=False)


# ------------------------------------------------------------------ (a) the switch


def test_active_backend_matches_the_switches():
    if NO_EXTENSIONS:
        expected = ("python", "pika_fast._codec_py")
    else:
        # REQUIRE set, or neither: the suite treats a missing build as an error.
        expected = ("cython", "pika_fast._codec_c")
    assert (pika_fast.codec_backend(), _codec._impl.__name__) == expected
    assert _codec.BACKEND == pika_fast.codec_backend()


def test_no_extensions_switch_selects_the_twin():
    result = _import_in_subprocess(PIKA_FAST_NO_EXTENSIONS="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python", "pika_fast._codec_py"]


@pytest.mark.skipif(NO_EXTENSIONS, reason="PIKA_FAST_NO_EXTENSIONS is set: no compiled codec")
def test_require_extensions_switch_selects_the_compiled_codec():
    result = _import_in_subprocess(PIKA_FAST_REQUIRE_EXTENSIONS="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cython", "pika_fast._codec_c"]


def test_contradictory_switches_refuse_to_import():
    result = _import_in_subprocess(PIKA_FAST_NO_EXTENSIONS="1",
                                   PIKA_FAST_REQUIRE_EXTENSIONS="1")
    assert result.returncode != 0
    assert "ImportError" in result.stderr


def test_zero_means_unset():
    zero = _import_in_subprocess(PIKA_FAST_NO_EXTENSIONS="0", PIKA_FAST_REQUIRE_EXTENSIONS="0")
    unset = _import_in_subprocess()
    assert zero.returncode == unset.returncode == 0, zero.stderr + unset.stderr
    assert zero.stdout == unset.stdout


def test_seam_reexports_the_active_twin():
    for name in _codec.API:
        assert getattr(_codec, name) is getattr(_codec._impl, name), name


# ------------------------------------------------------------------------- (b) parity

# A valid call of every API function, all arguments by keyword (the Python twin's
# parameter names). Defaulted arguments are left out of ``required``.
_PUBLISH = spec.Basic.Publish(exchange="ex", routing_key="rk")
_PROPS = spec.BasicProperties(content_type="text/plain", headers={"a": 1})
_TABLE = b"\x00\x00\x00\x07\x01aI\x00\x00\x00\x01"
_ACK_FRAME = bytes.fromhex("01 0001 0000000d 003c0050 0000000000000007 00 ce")


def _api_calls():
    return {
        "decode_frame": ({"data_in": b"xx" + _ACK_FRAME, "offset": 2}, {"data_in": _ACK_FRAME}),
        "encode_table": ({"table": {"a": 1}}, None),
        "decode_table": ({"data": b"x" + _TABLE, "offset": 1}, {"data": _TABLE}),
        "encode_value": ({"value": "s"}, None),
        "decode_value": ({"data": b"xxt\x01", "offset": 2}, {"data": b"t\x01"}),
        "encode_method_args": ({"method": _PUBLISH}, None),
        "decode_method_into": (
            {"method": spec.Basic.Ack(), "data": b"x" + _ACK_FRAME[11:-1], "offset": 1},
            {"method": spec.Basic.Ack(), "data": _ACK_FRAME[11:-1]}),
        "encode_properties": ({"properties": _PROPS}, None),
        "decode_properties_into": (
            {"properties": spec.BasicProperties(), "data": b"\x10\x00\x02", "offset": 0},
            {"properties": spec.BasicProperties(), "data": b"\x10\x00\x02"}),
        "marshal_method_frame": ({"channel_number": 3, "method": _PUBLISH}, None),
        "marshal_header_frame": (
            {"channel_number": 3, "body_size": 10, "properties": _PROPS}, None),
        "marshal_body_frame": ({"channel_number": 3, "fragment": b"abc"}, None),
        "marshal_content": ({"channel_number": 3, "method": _PUBLISH, "properties": _PROPS,
                             "body": b"x" * 50, "frame_max": 20}, None),
        "marshal_content_into": ({"out": bytearray(b"pre"), "channel_number": 3,
                                  "method": _PUBLISH, "properties": _PROPS,
                                  "body": b"x" * 50, "frame_max": 20}, None),
        "content_frame_buffers": ({"channel_number": 3, "method": _PUBLISH,
                                   "properties": _PROPS, "body": b"x" * 50,
                                   "frame_max": 20}, None),
    }


def _canonical(value):
    """Comparable form of a call's result (spec objects by class and attributes)."""
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_canonical(v) for v in value]
    if isinstance(value, memoryview):
        return "memoryview", value.tobytes()
    if isinstance(value, bytearray):
        return "bytearray", bytes(value)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return type(value).__name__, {k: _canonical(v) for k, v in vars(value).items()}
    return value


def _signature(func):
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    return [(p.name, p.default) for p in sig.parameters.values()]


def test_both_twins_export_the_api(codec):
    missing = [name for name in _codec.API if not hasattr(codec, name)]
    assert not missing


def test_api_constants_are_equal(codec):
    from pika_fast import _codec_py as py

    assert codec.MAX_NESTING_DEPTH == py.MAX_NESTING_DEPTH
    assert type(codec.HEARTBEAT_FRAME) is bytes
    assert codec.HEARTBEAT_FRAME == py.HEARTBEAT_FRAME == bytes.fromhex("08 0000 00000000 ce")


def test_every_api_function_has_a_call_check():
    functions = [name for name in _codec.API
                 if inspect.isfunction(getattr(importlib.import_module("pika_fast._codec_py"),
                                               name))]
    assert sorted(functions) == sorted(_api_calls())


@pytest.mark.parametrize("name", sorted(_api_calls()))
def test_signatures_match_the_python_twin(codec, name):
    from pika_fast import _codec_py as py

    expected = _signature(getattr(py, name))
    assert expected is not None
    compiled = _signature(getattr(codec, name))
    if compiled is not None:  # Cython with binding=True exposes it
        assert compiled == expected


@pytest.mark.parametrize("name", sorted(_api_calls()))
def test_keyword_calls_match_the_python_twin(codec, name):
    """Names and defaults, checked by calling, for builds that hide signatures."""
    from pika_fast import _codec_py as py

    full, required = _api_calls()[name]
    for kwargs in filter(None, (full, required)):
        ours = dict(kwargs)
        theirs = {k: (bytearray(v) if isinstance(v, bytearray) else v)
                  for k, v in kwargs.items()}
        for arg in ("method", "properties"):  # *_into mutate these
            if arg in ours and name.endswith("_into"):
                ours[arg] = type(ours[arg])()
                theirs[arg] = type(theirs[arg])()
        got = getattr(codec, name)(**ours)
        want = getattr(py, name)(**theirs)
        assert _canonical(got) == _canonical(want)
        if "out" in kwargs:
            assert ours["out"] == theirs["out"]


def _public_members(cls):
    members = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if inspect.isdatadescriptor(attr):
            members[name] = "property"
        elif callable(getattr(cls, name)):
            members[name] = "method"
        else:
            members[name] = "attribute"
    return members


def test_frame_reader_has_the_same_public_members(codec):
    from pika_fast import _codec_py as py

    assert _public_members(codec.FrameReader) == _public_members(py.FrameReader)
    assert _public_members(py.FrameReader) == {
        "buffered": "property", "frame_max": "property", "feed": "method",
        "next_frame": "method", "read_messages": "method"}


def test_frame_reader_method_signatures(codec):
    from pika_fast import _codec_py as py

    for name in ("feed", "next_frame", "read_messages"):
        expected = _signature(getattr(py.FrameReader, name))
        compiled = _signature(getattr(codec.FrameReader, name))
        if compiled is not None:
            assert compiled == expected, name


def test_frame_reader_constructor_by_calling(codec):
    assert codec.FrameReader().frame_max == spec.FRAME_MAX_SIZE
    assert codec.FrameReader(frame_max=4096).frame_max == 4096
    assert codec.FrameReader(0).frame_max == 0
    reader = codec.FrameReader()
    reader.feed(data=_ACK_FRAME)
    assert reader.buffered == len(_ACK_FRAME)
    reader.frame_max = 8192
    assert reader.frame_max == 8192
    with pytest.raises(ValueError):
        reader.frame_max = -1
    with pytest.raises(ValueError):
        codec.FrameReader(-1)


def test_twin_docstrings_name_their_counterpart(codec):
    counterpart = "_codec_py" if codec.__name__.endswith("_codec_c") else "_codec_c"
    undocumented = [name for name in _codec.API
                    if callable(getattr(codec, name))
                    and counterpart not in (getattr(codec, name).__doc__ or "")]
    assert not undocumented


# -------------------------------------------------------------- (c) generated files


def test_generated_files_are_fresh(tmp_path):
    if not SPEC_JSON.exists():
        pytest.skip(f"{SPEC_JSON} is absent: the generated spec cannot be checked")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "gen_spec.py"), str(SPEC_JSON),
         "--out", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    stale = [rel for rel in GENERATED
             if not filecmp.cmp(REPO_ROOT / rel, tmp_path / rel, shallow=False)]
    assert not stale, f"stale generated files, run `make spec`: {stale}"


# ------------------------------------------------------------------ (d) no pika import

_IMPORTS_PIKA = re.compile(
    r"^\s*(?:from\s+pika(?![\w])|(?:c?import)\s+(?:[\w.]+\s*,\s*)*pika(?![\w]))"
    r"|import_module\(\s*['\"]pika(?![\w])",
    re.MULTILINE)


def _sources():
    for folder, patterns in (("pika_fast", ("*.py",)),
                             ("src_pyx", ("*.pyx", "*.pxd", "*.pxi"))):
        for pattern in patterns:
            yield from sorted((REPO_ROOT / folder).rglob(pattern))


def test_import_pattern_catches_what_it_should():
    for line in ("import pika", "from pika import spec", "from pika.frame import Method",
                 "    import pika.data", "import os, pika", "importlib.import_module('pika')"):
        assert _IMPORTS_PIKA.search(line), line
    for line in ("import pika_fast", "from pika_fast import spec", "from pika_fast.x import y",
                 "# pika is not imported", "import pikachu"):
        assert not _IMPORTS_PIKA.search(line), line


def test_package_never_imports_pika():
    offenders = [
        f"{path.relative_to(REPO_ROOT)}: {match.group(0).strip()}"
        for path in _sources()
        for match in _IMPORTS_PIKA.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders
