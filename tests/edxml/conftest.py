"""Fixtures of the edxml tests: the corpus folders and a sample package builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from edxml.model import DocumentPackage
from tests.conftest import SDK_SAMPLES
from tests.edxml.corpus.generate import document

CORPUS = Path(__file__).resolve().parent / "corpus"


def corpus(folder: str) -> list[Path]:
    """Every package file of a corpus folder (adding a file adds a test case)."""
    return sorted((CORPUS / folder).glob("*.edxml"))


def sdk_samples() -> list[Path]:
    """The official SDK sample packages from shared/."""
    return sorted(SDK_SAMPLES.glob("*.edxml"))


def expected_code(path: Path) -> str:
    """The code a corpus file name promises: ``<name>__<CODE>.edxml``."""
    return path.stem.rpartition("__")[2]


@pytest.fixture
def doc_package() -> DocumentPackage:
    """A valid document package with Vietnamese text and one PDF attachment."""
    return document()
