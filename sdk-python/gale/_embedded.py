"""The plugin's template files, read while its snapshot is made.

A running plugin has no filesystem (gale gives its sandbox no directories), so the files its
templates are loaded from are read at ``gale build``, when the plugin's module is imported,
and kept in the snapshot; ``source`` finds them there. Under ``gale dev`` the plugin sees its
sources again, read-only, where its build saw them: the files are then read as they are now,
so an edited template is served without a build.
"""

import os

# Absolute path -> the file's bytes.
_files = {}

# The plugin's directory, as its build saw it.
_root = None

# A plugin's directory may hold more than templates (data, a virtualenv): past these the rest
# is left out, and the log says so. Every instance maps the snapshot, so a byte kept here is
# a byte of every instance's image.
MAX_FILES = 2000
MAX_BYTES = 16 * 1024 * 1024
_SKIPPED = (".py", ".pyc", ".pyo", ".so", ".wasm")


def embed(directory, problems):
    """Reads the files under ``directory`` (not hidden ones, nor Python's or compiled code)
    and returns their names relative to it; what is left out is added to ``problems``."""
    root = os.path.abspath(directory)
    names = []
    total = sum(len(data) for data in _files.values())
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for file in sorted(files):
            if file.startswith(".") or file.endswith(_SKIPPED):
                continue
            path = os.path.join(here, file)
            if path in _files:
                names.append(os.path.relpath(path, root))
                continue
            if len(_files) >= MAX_FILES or total + os.path.getsize(path) > MAX_BYTES:
                problems.append("%s is not embedded: a plugin's templates are at most %d files "
                                "and %d MiB" % (path, MAX_FILES, MAX_BYTES >> 20))
                continue
            with open(path, "rb") as f:
                _files[path] = f.read()
            total += len(_files[path])
            names.append(os.path.relpath(path, root))
    return names


def watch(root):
    """Records the plugin's directory: ``live`` asks whether it is there while serving."""
    global _root
    _root = os.path.abspath(root)


def root():
    """The plugin's directory, as its build saw it (``/`` before it is known)."""
    return _root or os.sep


def relative(path):
    """``path`` relative to the plugin's directory when it is inside it, else as it is."""
    if isinstance(path, str) and _root is not None and os.path.isabs(path):
        inside = os.path.relpath(os.path.abspath(path), _root)
        if inside != os.pardir and not inside.startswith(os.pardir + os.sep):
            return inside
    return path


def live():
    """Whether the plugin sees its sources now (``gale dev``): then templates are read at each
    request, as Tornado's ``debug`` mode does, instead of once."""
    # Asked afresh: a value kept would be the build's, in the snapshot. Without the
    # directory, WASI's C library fails the call without asking the host.
    return _root is not None and os.path.isdir(_root)


def has(path):
    """Whether the file at ``path`` was embedded, or is there now."""
    path = os.path.abspath(path)
    return path in _files or (live() and os.path.isfile(path))


def source(path):
    """The bytes of the file at ``path``: as it is now where the plugin sees its files (while
    building, and under ``gale dev``), else as embedded; a template in neither place is not
    found, as a missing file."""
    path = os.path.abspath(path)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        found = _files.get(path)
        if found is None:
            raise
        return found
