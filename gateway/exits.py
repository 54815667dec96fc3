"""The exit statuses of ``python -m gateway``, defined once (docs/gateway.md, "Exit statuses").

Every command uses these names; 0 is success and 3 is uvicorn's own start-up failure.
"""

from __future__ import annotations

#: A coded refusal of the input: a lookup failed (e.g. AGENCY_UNKNOWN), a value (an instant, a
#: month, a day) was refused.
EXIT_BAD_INPUT = 1
#: The same status, named for the registry lookups that fail with a coded error.
EXIT_REGISTRY_ERROR = EXIT_BAD_INPUT
#: The configuration was refused (each bad variable named on stderr).
EXIT_CONFIG = 2
#: A command other than ``serve``/``migrate`` found no database (STORE_MISSING).
EXIT_NO_DATABASE = 4
