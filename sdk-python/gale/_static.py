"""Tornado's ``static_path``: the routes it adds, and ``static_url``'s ``?v=`` version, the
SHA-512 of the file as Tornado computes it, so a page links the same URL on both.

The host serves the files (its ``StaticFileHandler``, from the directory beside the plugin's
component, where ``gale build`` copies them; under ``gale dev``, from the sources). A running
plugin has no files: their versions are computed while its snapshot is made, and kept.
"""

import hashlib
import os
import re

from gale import _embedded
from gale.log import gen_log

# Absolute path -> the SHA-512 of the file, in hex, for every file under `static_path`.
_versions = {}

# Tornado's `StaticFileHandler.MAX_VERSION_CONTENT_SIZE`: a larger file gets no version.
MAX_VERSION_CONTENT_SIZE = 64 * 1024 * 1024
# Files whose versions are kept: past it, a file's URL has no version (the log says so).
MAX_FILES = 10000


def routes(settings, handlers, static_file_handler):
    """``handlers`` with Tornado's routes for ``static_path`` first, as its ``Application``
    puts them."""
    handlers = list(handlers or [])
    if settings.get("static_path"):
        prefix = settings.get("static_url_prefix", "/static/")
        handler_class = settings.get("static_handler_class", static_file_handler)
        args = settings.get("static_handler_args", {})
        args["path"] = settings["static_path"]
        for pattern in [re.escape(prefix) + r"(.*)", r"/(favicon\.ico)", r"/(robots\.txt)"]:
            handlers.insert(0, (pattern, handler_class, args))
    return handlers


def remember(root, problems):
    """Computes the version of every file under ``root`` (while the snapshot is made)."""
    for here, dirs, files in os.walk(root):
        dirs.sort()
        for file in sorted(files):
            path = os.path.abspath(os.path.join(here, file))
            if len(_versions) >= MAX_FILES:
                problems.append("%s has no static_url version: at most %d files have one"
                                % (path, MAX_FILES))
                return
            try:
                _versions[path] = _version_of(path)
            except (OSError, ValueError) as failed:
                problems.append("%s has no static_url version: %s" % (path, failed))


def directory(settings):
    """The ``static_path`` setting's directory; a relative one is the plugin's (Tornado's is
    the process's working directory, which is the plugin's when it is run from there)."""
    return os.path.join(_embedded.root(), settings["static_path"])


def url(settings, path, include_version=True):
    """Tornado's ``StaticFileHandler.make_static_url``: the prefix, ``path`` and, when the file
    is there, ``?v=`` and its version."""
    found = settings.get("static_url_prefix", "/static/") + path
    if not include_version:
        return found
    version = _cached_version(_absolute(directory(settings), path))
    return "%s?v=%s" % (found, version) if version else found


def _absolute(root, path):
    """Tornado 6.6's ``get_absolute_path``: a path that leads out of ``root`` is a 403."""
    absolute = os.path.abspath(os.path.join(root, path))
    if not (absolute + os.sep).startswith(os.path.abspath(root) + os.sep):
        from gale.web import HTTPError
        raise HTTPError(403, "%s is not in root static directory", path)
    return absolute


def _cached_version(path):
    # Under gale dev the file is read as it is now; otherwise as the snapshot was made.
    if path in _versions and not _embedded.live():
        return _versions[path]
    try:
        return _version_of(path)
    except Exception as failed:  # noqa: BLE001 (Tornado logs any failure and goes on)
        gen_log.error("Could not open static file %r: %s", path, failed)
        return None


def _version_of(path):
    """Tornado's ``get_content_version``: the SHA-512 of the file's bytes, in hex."""
    if os.path.getsize(path) > MAX_VERSION_CONTENT_SIZE:
        raise ValueError("content is larger than MAX_VERSION_CONTENT_SIZE (%d bytes)"
                         % MAX_VERSION_CONTENT_SIZE)
    hasher = hashlib.sha512()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(64 * 1024), b""):
            hasher.update(chunk)
    return hasher.hexdigest()
