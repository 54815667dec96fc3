"""The exit statuses of ``python -m gateway``, defined once (docs/gateway.md, "Exit statuses").

Every command uses these names; docs/gateway.md documents each of them.
"""

from __future__ import annotations

#: Success.
EXIT_OK = 0
#: A coded refusal of the input: a lookup failed (e.g. AGENCY_UNKNOWN), a value (an instant, a
#: month, a day) was refused, a store change was refused; also a failed ``demo`` step.
EXIT_BAD_INPUT = 1
#: The same status, named for the registry lookups that fail with a coded error.
EXIT_REGISTRY_ERROR = EXIT_BAD_INPUT
#: ``audit verify`` found the chain broken (the first broken entry is named on stderr).
EXIT_AUDIT_BROKEN = EXIT_BAD_INPUT
#: The configuration was refused (each bad variable named on stderr); also a command-line usage
#: error (typer's own status for an unknown option or a missing argument).
EXIT_CONFIG = 2
#: ``serve`` failed to start (uvicorn's own status), e.g. a bad ``GATEWAY_REGISTRY_FILE``.
EXIT_START_FAILED = 3
#: A command other than ``serve``/``migrate`` found no database (STORE_MISSING).
EXIT_NO_DATABASE = 4
#: Interrupted by Ctrl-C (128 + SIGINT), as ``demo`` reports it.
EXIT_INTERRUPTED = 130
