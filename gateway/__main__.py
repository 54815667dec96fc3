"""``python -m gateway``: the node's command line (see :mod:`gateway.cli`)."""

from gateway.cli import main

if __name__ == "__main__":
    main()
