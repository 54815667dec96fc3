"""Background workers: the outbox relay (store → bus), the router (copies whose system was not
known at accept time), the notifier (``notify`` events), and on a provincial node the forwarder,
the puller and the reporter (docs/axes.md)."""
