"""``python -m connectors.bus``: print the RabbitMQ definitions of the bus topology.

The shipped file is the output with no options::

    python -m connectors.bus > deploy/rabbitmq/definitions.json
    python -m connectors.bus --prefix gw --vhost node-hcm > hcm.json   # another node's vhost
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from connectors.bus.base import DEFAULT_RETRY, DEFAULT_TOPICS, RetryPolicy
from connectors.bus.topology import DEFAULT_PREFIX, definitions_json


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Write the definitions JSON to stdout; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m connectors.bus",
        description="Print the bus topology as RabbitMQ definitions (for import_definitions).",
    )
    parser.add_argument(
        "--prefix", default=DEFAULT_PREFIX, help="name prefix (default: %(default)s)"
    )
    parser.add_argument(
        "--topics", default=",".join(DEFAULT_TOPICS), help="comma-separated (default: %(default)s)"
    )
    parser.add_argument(
        "--delays",
        default=",".join(f"{d:g}" for d in DEFAULT_RETRY.delays),
        help="retry delays in seconds, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--vhost", default="/", help="virtual host (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        text = definitions_json(
            args.prefix,
            [topic.strip() for topic in args.topics.split(",") if topic.strip()],
            RetryPolicy(_numbers(args.delays)),
            vhost=args.vhost,
        )
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
