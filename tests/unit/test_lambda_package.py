"""estate.aws.lambda_package: the same sources always give the same package (so a function's
CodeSha256, and its deployment, change only when its sources do)."""

from __future__ import annotations

import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

from support.source import load_plugin

package = load_plugin("modules/lambda_package.py")
EXCLUDE = ["__pycache__", "*.pyc", ".*", "tests"]


def sources(root: Path) -> Path:
    (root / "lib").mkdir(parents=True)
    (root / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "lib" / "util.py").write_text("X = 1\n")
    for left_out in ("__pycache__/handler.cpython-312.pyc", ".env", "tests/test_handler.py"):
        (root / left_out).parent.mkdir(parents=True, exist_ok=True)
        (root / left_out).write_text("not packaged")
    return root


def digest(src: Path) -> str:
    return hashlib.sha256(package.build(src, package.package_files(src, EXCLUDE))).hexdigest()


def test_package_is_reproducible_and_follows_the_sources(tmp_path: Path) -> None:
    first, second = sources(tmp_path / "a"), sources(tmp_path / "b")
    os.utime(second / "handler.py", (time.time() + 3600, time.time() + 3600))
    assert package.package_files(first, EXCLUDE) == ["handler.py", "lib/util.py"]
    assert digest(first) == digest(second), "timestamps or paths leaked into the package"
    (second / "lib" / "util.py").write_text("X = 2\n")
    assert digest(first) != digest(second), "a source change did not change the package"


def test_package_entries_are_normalised(tmp_path: Path) -> None:
    src = sources(tmp_path / "a")
    data = package.build(src, package.package_files(src, EXCLUDE))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["handler.py", "lib/util.py"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert archive.read("handler.py").startswith(b"def handler")
