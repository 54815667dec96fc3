"""Pydantic models of every REST body the node sends or receives.

This package imports only pydantic and the standard library (design.md §2). Conversions from the
domain dataclasses (``identifiers``, ``gateway.core``) to these models live in ``gateway``.
"""
