"""One native thread for scikit-learn's fits in these tests: the fits are small, and
OpenMP threads spinning on a shared 2-core machine made them 10–50× slower (and the
results do not depend on the thread count)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="package")
def _one_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield
