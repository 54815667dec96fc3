"""``python -m edxml``: see :mod:`edxml.cli`."""

import sys

from edxml.cli import main

sys.exit(main())
