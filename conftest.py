"""Fixtures shared by every test: a real local network process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.localnet_process import LocalNet, free_port


@pytest.fixture(scope="session")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNet]:
    """One local network for the whole session (fast ledgers: 0.2 s)."""
    data: Path = tmp_path_factory.mktemp("localnet")
    net = LocalNet(data_dir=data, port=free_port()).start()
    yield net
    net.stop()


@pytest.fixture
def fresh_localnet(tmp_path: Path) -> Iterator[LocalNet]:
    """A local network of its own, for tests that restart it or inject faults."""
    net = LocalNet(data_dir=tmp_path / "net", port=free_port())
    net.data_dir.mkdir()
    yield net
    net.stop()
