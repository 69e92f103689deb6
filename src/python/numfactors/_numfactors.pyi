"""Type stub of numfactors._numfactors, the compiled part of the package (module.cpp).

The public functions are numfactors.histogram and numfactors.run (__init__.py), which take
keyword arguments with defaults and call these with every argument given.
"""

from typing import Callable, Optional, TypedDict

__version__: str

class _RunDict(TypedDict):
    histogram: dict[int, int]
    lo: int
    hi: int
    count: str
    method: str
    kernel: Optional[str]
    mode: str
    chunk_size: Optional[int]
    workers: list[tuple[str, int, int, float]]
    tasks: int
    seconds: float
    started: float
    finished: float

def histogram(lo: int, hi: int, count: str, method: str, kernel: Optional[str],
              workers: Optional[int], mode: str, chunk: Optional[int],
              progress: Optional[Callable[[float, float], object]]) -> dict[int, int]: ...
def run(lo: int, hi: int, count: str, method: str, kernel: Optional[str],
        workers: Optional[int], mode: str, chunk: Optional[int],
        progress: Optional[Callable[[float, float], object]]) -> _RunDict: ...
def cpp_call_seconds(lo: int, hi: int, repeat: int) -> float: ...
def choices(which: str) -> tuple[str, ...]: ...
