"""``tornado.httpserver``: gale is the server; ``HTTPServer(app).listen(port)`` is accepted
and noted in the log."""

from gale import routing

__all__ = ["HTTPServer"]


class HTTPServer:
    """A server for an application; under gale, gale itself."""

    def __init__(self, application, *args, **kwargs):
        self.application = application

    def listen(self, port=None, address=""):
        """Accepted: gale listens where its --listen says."""
        routing.notes.append("HTTPServer.listen(%r) is not used: gale listens where its "
                             "--listen says" % (port,))

    bind = listen

    def start(self, num_processes=1):
        """Accepted: gale's --workers says how many loops serve."""
