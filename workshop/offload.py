"""CPU-bound work (laying out and writing PDFs, drawing previews, decoding logos) off the
event loop.

`workshop serve` runs gevent workers: every request and live stream of a worker is a
greenlet on one thread, so a poster that takes a second to lay out would hold every phone
of that worker for that second. Under gevent, ``run`` hands the work to a gevent pool of
one native thread and lets the other greenlets go on meanwhile; anywhere else (tests, the
command line) it is a plain call. The work sees the caller's Flask contexts (app, request,
locale), copied, but must not use the caller's database connection: SQLite connections
stay on the thread that opened them.
"""

import contextvars
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from gevent import monkey
from gevent.threadpool import ThreadPool

P = ParamSpec("P")
T = TypeVar("T")

# One native thread: the renders take one lock after another (the renderer's, pdfium's), and
# two native threads contending for a lock that gevent patched can miss the wake-up and wait
# for ever. The renders are one at a time anyway (the renderer's lock).
_pool: ThreadPool | None = None


def cooperative() -> bool:
    """Return whether this process runs under gevent (its threading is monkey-patched)."""
    return monkey.is_module_patched("threading")


def run(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Return ``function(*args, **kwargs)``, computed on a native thread under gevent."""
    if not cooperative():
        return function(*args, **kwargs)
    global _pool
    if _pool is None:  # made in the worker that uses it, after the fork
        _pool = ThreadPool(1)
    context = contextvars.copy_context()
    return _pool.apply(context.run, (function, *args), kwargs)


def is_cooperative(lock: object) -> bool:
    """Return whether ``lock`` lets other greenlets run while it is waited on (not a lock
    made by the interpreter's own _thread module, as every lock made before patching is)."""
    return type(lock).__module__ != "_thread"
