"""Background workers: the outbox relay (store → bus) and the router (bus → pull lists)."""
