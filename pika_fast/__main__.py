"""``python -m pika_fast``: the ``pika-fast`` command line (see :mod:`pika_fast.cli`)."""
import sys

from pika_fast.cli import main

if __name__ == "__main__":
    sys.exit(main())
