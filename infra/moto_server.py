"""The local AWS emulator: moto's server, with every request serialised.

moto's backends are not thread-safe: under concurrent requests a
TransactWriteItems condition can pass twice, and iterating a table while
another request writes to it fails with "dictionary changed size during
iteration". DynamoDB itself serialises conflicting transactions, and our tests
rely on that (one concurrent writer wins). One lock around the application
gives the emulator the same guarantee. Long polls are not used against it (the
dev server polls queues with WaitTimeSeconds=0), so the lock is never held
while waiting.

Usage: python moto_server.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

try:
    from moto.server import MotoRequestHandler
except ImportError:  # older moto
    MotoRequestHandler = None


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialised(environ, start_response):
        with lock:
            body = app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                if hasattr(body, "close"):
                    body.close()

    kwargs = {"threaded": True}
    if MotoRequestHandler is not None:
        kwargs["request_handler"] = MotoRequestHandler
    run_simple(host, port, serialised, **kwargs)


if __name__ == "__main__":
    main()
