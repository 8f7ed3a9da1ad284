"""The ``pika-fast`` command line: placeholder replaced below."""
import sys


def main(argv=None) -> int:
    print("pika-fast")
    return 0
