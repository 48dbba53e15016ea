"""Where a process's resident memory is, from /proc/PID/smaps: its binary's own pages, shared
libraries, plugins' compiled code, the plugin images mapped into wasmtime's pool slots (the
compiled-code cache's file, copy-on-write), the slots' own pages, malloc's arenas, stacks
(wasmtime's async stacks and threads', each behind a guard page), and the other anonymous
mappings (malloc's large blocks, wasmtime's tables). RSS counts a shared page
once in every mapping of it, as the kernel's VmRSS does; PSS counts it once in all."""

import pathlib
import re

# glibc's thread arenas are 64 MiB regions aligned to 64 MiB (HEAP_MAX_SIZE).
ARENA = 64 << 20
# A slot of linear memory is the memory limit and its guard: gigabytes of address space.
SLOT = 1 << 30

HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def mappings(pid):
    """Each mapping of `pid`: start, end, permissions, name, Rss and Pss in KiB."""
    found = []
    for line in pathlib.Path(f"/proc/{pid}/smaps").read_text().splitlines():
        header = HEADER.match(line)
        if header:
            start, end, perms, name = header.groups()
            found.append({"start": int(start, 16), "end": int(end, 16), "perms": perms,
                          "name": name, "Rss": 0, "Pss": 0})
        elif line.startswith(("Rss:", "Pss:")):
            key, value = line.split()[:2]
            found[-1][key[:-1]] = int(value)
    return found


def kind_of(mapping, before, binary_name):
    """What a mapping holds, by its name, size and alignment, and the mapping `before` it."""
    name, size = mapping["name"], mapping["end"] - mapping["start"]
    if name.endswith(".cwasm"):
        writable = "w" in mapping["perms"]
        return "plugin images in pool slots" if writable else "plugins' compiled code"
    if name.endswith(binary_name):
        return "the binary's own pages"
    if name.startswith("/"):
        return "shared libraries and other files"
    if name == "[heap]" or (name == "" and mapping["start"] % ARENA == 0 and size <= ARENA):
        return "malloc's arenas"
    if name == "" and size >= SLOT:
        return "slots' own pages"
    guarded = (before and before["end"] == mapping["start"] and before["perms"] == "---p"
               and before["end"] - before["start"] == 4096)
    if guarded or name == "[stack]":
        return "stacks (wasmtime's, threads')"
    return "other anonymous (malloc's large blocks, wasmtime's tables)"


def breakdown(pid, binary_name):
    """`pid`'s resident memory by kind, in MiB: a dict of (RSS, PSS) pairs, `total` last."""
    kinds = {}
    found = mappings(pid)
    for before, mapping in zip([None] + found, found):
        kind = kind_of(mapping, before, binary_name)
        rss, pss = kinds.get(kind, (0, 0))
        kinds[kind] = (rss + mapping["Rss"], pss + mapping["Pss"])
    kinds = {kind: (rss / 1024, pss / 1024) for kind, (rss, pss) in sorted(kinds.items())}
    kinds["total"] = (sum(rss for rss, _ in kinds.values()),
                      sum(pss for _, pss in kinds.values()))
    return kinds
