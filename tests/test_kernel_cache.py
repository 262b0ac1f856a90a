"""No stale compiled kernels: a change to any search module clears numba's cached kernels."""

from dispatch_opt.engine import search  # noqa: F401  (importing it checks the stamp)
from dispatch_opt.engine.search.cache import SOURCES, STAMP, drop_stale, source_stamp


def _tree(tmp_path):
    sources = tmp_path / "search"
    cache = sources / "__pycache__"
    cache.mkdir(parents=True)
    (sources / "kernel.py").write_text("def cost(x):\n    return x + 1\n")
    (sources / "routes.py").write_text("from .kernel import cost\n")
    return sources, cache


def _compiled(cache):
    for name in ("kernel.cost-1.py311.nbi", "kernel.cost-1.py311.1.nbc", "routes.put-9.py311.nbi"):
        (cache / name).write_bytes(b"machine code")
    (cache / "other.cpython-311.pyc").write_bytes(b"bytecode")


def test_unchanged_sources_keep_the_compiled_kernels(tmp_path):
    sources, cache = _tree(tmp_path)
    drop_stale(sources)  # first sight: stamps the sources
    _compiled(cache)
    assert drop_stale(sources) is False
    assert len(list(cache.glob("*.nb?"))) == 3


def test_editing_a_module_a_kernel_calls_drops_every_compiled_kernel(tmp_path):
    sources, cache = _tree(tmp_path)
    drop_stale(sources)
    _compiled(cache)
    (sources / "kernel.py").write_text("def cost(x):\n    return x + 2\n")  # routes' callee
    assert drop_stale(sources) is True
    assert list(cache.glob("*.nb?")) == []
    assert (cache / "other.cpython-311.pyc").exists()  # only numba's files go
    assert (cache / STAMP).read_text() == source_stamp(sources)


def test_kernels_compiled_in_a_fresh_tree_are_kept_by_the_next_process(tmp_path):
    sources, cache = _tree(tmp_path)
    cache.rmdir()  # just installed: numba has not made its cache folder yet
    drop_stale(sources)  # the first process imports the search, then compiles
    _compiled(cache)
    assert drop_stale(sources) is False  # the second process loads them
    assert len(list(cache.glob("*.nb?"))) == 3


def test_kernels_of_unknown_age_are_dropped(tmp_path):
    sources, cache = _tree(tmp_path)
    _compiled(cache)  # no stamp: compiled by a version that did not keep one
    assert drop_stale(sources) is True
    assert list(cache.glob("*.nb?")) == []


def test_the_package_stamps_its_own_search_sources_on_import():
    assert (SOURCES / "__pycache__" / STAMP).read_text() == source_stamp()
