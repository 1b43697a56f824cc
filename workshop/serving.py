"""gunicorn's settings for `workshop serve`, which starts ``python -m gunicorn -c <this file>``
with the address, the workers and their connections on the command line (workshop/cli.py).

gunicorn reads this file by its path, so the server's master process never imports Credo:
each worker patches the standard library for gevent first and only then loads the app, so
every lock Credo makes (db._write_lock, the hub's, the rate limits') is gevent's own.
"""

# A gevent worker serves every connection as a greenlet: a client that sends its request
# slowly (slowloris) holds a greenlet, not a thread, and is dropped when its headers have
# not all arrived within keepalive seconds (gunicorn's gevent worker times out reading each
# request's headers with it, the first one included). `workshop serve` passes
# --keep-alive rules.REQUEST_HEADERS_SECONDS. The body, read when the app asks for it, has a
# deadline of its own, which the app sets (workshop/deadline.py).
worker_class = "gevent"
# The worker is restarted if its event loop is stuck this long; a restart lets requests
# finish for graceful_timeout.
timeout = 60
graceful_timeout = 5
accesslog = None
wsgi_app = "workshop:create_app()"


def post_worker_init(worker: object) -> None:
    """Check the app was loaded after gevent patched, and start the slow loads early."""
    from workshop.cli import prepare_worker  # noqa: PLC0415 - lazy: only in a worker, patched

    prepare_worker(worker)
