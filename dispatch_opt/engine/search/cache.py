"""No stale compiled kernels: numba keys a cached kernel on its own source file only, so editing a
function it calls from another module of the search would leave the old machine code in use.

A stamp (a hash of every search source) is kept beside the cache; when the sources no longer
match it, the cached kernels are deleted before any is loaded, and numba compiles afresh.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SOURCES = Path(__file__).parent
STAMP = "search-sources.stamp"
CACHE_SUFFIXES = (".nbi", ".nbc")


def source_stamp(sources: Path = SOURCES) -> str:
    """A hash of the search sources: names and bytes of every module, in name order."""
    h = hashlib.sha256()
    for path in sorted(sources.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_dirs(sources: Path = SOURCES) -> list[Path]:
    """Where numba keeps the search's kernels: `__pycache__` beside the sources, and the tree
    under NUMBA_CACHE_DIR when that is set (it mirrors the source path there)."""
    dirs = [sources / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        dirs.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    return dirs


def drop_stale(sources: Path = SOURCES, cache_dir: Path | None = None) -> bool:
    """Delete the cached kernels of `sources` if they were compiled from other sources (or from
    sources of unknown age); True if anything was deleted. Best effort: a cache folder that cannot
    be written is left alone, and numba then compiles in memory anyway."""
    stamp = source_stamp(sources)
    dirs = [cache_dir] if cache_dir is not None else cache_dirs(sources)
    modules = {p.stem for p in sources.glob("*.py")}
    dropped = False
    for directory in dirs:
        stamp_file = directory / STAMP
        try:
            if stamp_file.read_text() == stamp:
                continue
        except OSError:
            pass
        try:
            for path in directory.rglob("*"):
                ours = directory == sources / "__pycache__" or "dispatch_opt" in path.parts
                if ours and path.suffix in CACHE_SUFFIXES and path.name.split(".")[0] in modules:
                    path.unlink()
                    dropped = True
            # stamp a fresh tree too (no cache folder yet): else the next process would take the
            # kernels the first one compiles for kernels of unknown age and compile them again
            directory.mkdir(parents=True, exist_ok=True)
            stamp_file.write_text(stamp)
        except OSError:
            continue
    return dropped
