"""CPU-bound work (laying out and writing PDFs, drawing previews, decoding logos) off the
event loop.

`workshop serve` runs gevent workers: every request and live stream of a worker is a
greenlet on one thread, so a poster that takes a second to lay out would hold every phone
of that worker for that second. Under gevent, ``run`` hands the work to gevent's pool of
native threads and lets the other greenlets go on meanwhile; anywhere else (tests, the
command line) it is a plain call. The work sees the caller's Flask contexts (app, request,
locale), copied, but must not use the caller's database connection: SQLite connections
stay on the thread that opened them.
"""

import contextvars
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import gevent
from gevent import monkey

P = ParamSpec("P")
T = TypeVar("T")


def cooperative() -> bool:
    """Return whether this process runs under gevent (its threading is monkey-patched)."""
    return monkey.is_module_patched("threading")


def run(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Return ``function(*args, **kwargs)``, computed on a native thread under gevent."""
    if not cooperative():
        return function(*args, **kwargs)
    context = contextvars.copy_context()
    return gevent.get_hub().threadpool.apply(context.run, (function, *args), kwargs)


def is_cooperative(lock: object) -> bool:
    """Return whether ``lock`` lets other greenlets run while it is waited on (not a lock
    made by the interpreter's own _thread module, as every lock made before patching is)."""
    return type(lock).__module__ != "_thread"
