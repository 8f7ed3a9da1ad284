"""Builds the one compiled extension, pika_fast._codec_c, from src_pyx/.

PIKA_FAST_NO_EXTENSIONS=1 skips it (the pure-Python twin is used);
PIKA_FAST_REQUIRE_EXTENSIONS=1 makes any failure to build it fatal.
Otherwise a failed build falls back to pure Python and says so loudly.
"""
import os
import platform
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext


def _flag(name):
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = _flag("PIKA_FAST_NO_EXTENSIONS") or platform.python_implementation() != "CPython"
REQUIRE_EXTENSIONS = _flag("PIKA_FAST_REQUIRE_EXTENSIONS")

if NO_EXTENSIONS and REQUIRE_EXTENSIONS:
    sys.exit("PIKA_FAST_NO_EXTENSIONS and PIKA_FAST_REQUIRE_EXTENSIONS are both set")


class OptionalBuildExt(build_ext):
    """Falls back to the pure-Python codec unless the extension is required."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # compiler missing, Cython missing, ...
            self._fallback(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._fallback(exc)

    def _fallback(self, exc):
        if REQUIRE_EXTENSIONS:
            raise exc
        banner = "*" * 72
        print(f"\n{banner}\npika_fast: the compiled codec failed to build ({exc}).\n"
              f"Installing the pure-Python codec instead: it works, but slower.\n{banner}\n",
              file=sys.stderr)


def extensions():
    if NO_EXTENSIONS:
        return []
    from Cython.Build import cythonize
    from setuptools import Extension

    ext = Extension(
        "pika_fast._codec_c",
        ["src_pyx/_codec_c.pyx"],
        # -g0: no debug info, which would otherwise quadruple the wheel; a build that
        # asks for it in CFLAGS (a sanitizer build, a debugger session) keeps it.
        extra_compile_args=[] if sys.platform == "win32" else
        ["-O3"] if "-g" in os.environ.get("CFLAGS", "").split() else ["-O3", "-g0"],
    )
    return cythonize(
        [ext],
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "embedsignature": True,
            # Annotations document the twin's signatures; they must not become checks.
            "annotation_typing": False,
        },
        include_path=["src_pyx"],
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
