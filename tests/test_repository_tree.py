"""Scenario: the whole test suite runs and leaves the repository tree as it found it.

conftest.py snapshots the checkout's untracked and ignored files (path, size, mtime) when
the session starts and orders this test last; any file a test created or changed in the
tree (``data/``, ``spark-warehouse/``, ``metastore_db``, ``derby.log``, a Dagster home,
``.hypothesis``...) fails it by name.
"""

from __future__ import annotations

import pytest

from tests.conftest import repository_tree_snapshot

pytestmark = pytest.mark.repository_tree  # also the last tests of make test-integration


def test_the_suite_left_the_repository_tree_unchanged(tree_before):
    after = repository_tree_snapshot()
    created = sorted(set(after) - set(tree_before))
    changed = sorted(p for p in set(after) & set(tree_before) if after[p] != tree_before[p])
    removed = sorted(set(tree_before) - set(after))
    assert (created, changed, removed) == ([], [], []), (
        f"tests wrote into the repository tree: created {created[:20]}, changed {changed[:20]}, "
        f"removed {removed[:20]}"
    )


def test_the_snapshot_sees_a_file_written_into_the_tree():
    """The check above can fail: a file dropped in an ignored directory shows up."""
    import os
    import uuid

    from tests.conftest import REPO

    data = os.path.join(REPO, "data")
    made_dir = not os.path.isdir(data)
    probe = os.path.join(data, f"offbeat-tree-probe-{uuid.uuid4().hex}")
    before = repository_tree_snapshot()
    os.makedirs(data, exist_ok=True)
    try:
        with open(probe, "w") as f:
            f.write("x")
        after = repository_tree_snapshot()
    finally:
        os.unlink(probe)
        if made_dir:
            os.rmdir(data)
    assert os.path.relpath(probe, REPO) in set(after) - set(before)
    assert os.path.relpath(probe, REPO) not in repository_tree_snapshot()
