import pytest

from darkscan.io.atomic import atomic_output, write_text_atomic


def test_atomic_output_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "limits.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half-writ")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["limits.json"]


def test_atomic_output_keeps_suffix_and_creates_dirs(tmp_path):
    target = tmp_path / "sub" / "plot.png"
    with atomic_output(target) as tmp:
        assert tmp.suffix == ".png"
        assert tmp.parent == target.parent
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"


def test_durable_write_without_target_suffix(tmp_path, monkeypatch):
    import darkscan.io.atomic as atomic

    target = tmp_path / "chunks" / "3.pkl"
    seen = []
    original = atomic._fsync_path

    def record(path):
        seen.append(path)
        original(path)

    monkeypatch.setattr(atomic, "_fsync_path", record)
    atomic.write_bytes_atomic(target, b"abc", durable=True, keep_suffix=False)
    assert target.read_bytes() == b"abc"
    # fsynced under its temporary ".tmp" name (ignored by scans for *.pkl), then the directory
    assert seen[0].name.startswith(".3.pkl.") and seen[0].name.endswith(".tmp")
    assert seen[1] == target.parent
    assert [p.name for p in target.parent.iterdir()] == ["3.pkl"]
