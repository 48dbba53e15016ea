"""The plugin's template files, read while its snapshot is made.

A running plugin has no filesystem (gale gives its sandbox no directories), so the files its
templates are loaded from are read at ``gale build``, when the plugin's module is imported,
and kept in the snapshot; ``source`` finds them there.
"""

import os

# Absolute path -> the file's bytes.
_files = {}

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


def has(path):
    """Whether the file at ``path`` was embedded."""
    return os.path.abspath(path) in _files


def source(path):
    """The bytes of the file at ``path``: embedded, else read (only while building: a running
    plugin has no files, so a template not embedded is not found, as a missing file)."""
    found = _files.get(os.path.abspath(path))
    if found is not None:
        return found
    with open(path, "rb") as f:
        return f.read()
