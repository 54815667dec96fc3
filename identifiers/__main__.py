"""``python -m identifiers``: see :mod:`identifiers.cli`."""

import io
import sys

from identifiers.cli import main

if __name__ == "__main__":
    # UTF-8 whatever the locale: Vietnamese names must leave the process byte-exact.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8")
    raise SystemExit(main())
