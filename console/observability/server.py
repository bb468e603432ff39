"""A small HTTP server for processes that have no web server: workers and beat.

``/healthz`` answers 200 while the process runs (the liveness probe); ``/metrics`` answers
only the metrics bearer token; anything else is 404. It runs in a daemon thread of the
process that starts it (Celery's main process, not the pool's children).
"""

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from core.metrics import CONTENT_TYPE, bearer_ok, exposition


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # scrapes are not news
        pass


def metrics_app(token: str) -> Callable:
    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status": "ok"}']
        if path != "/metrics" or not bearer_ok(environ.get("HTTP_AUTHORIZATION", ""), token):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found\n"]
        body = exposition()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve_metrics(*, host: str, port: int, token: str) -> WSGIServer:
    server = make_server(host, port, metrics_app(token), server_class=_Server, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
