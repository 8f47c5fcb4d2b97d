#!/usr/bin/env python3
"""What a resting Portico process holds in memory, and which part of it holds what: reads
/proc/PID/smaps once and sums the resident pages (Rss) of every mapping by the part it belongs
to, judged by the mapped file's name. With the published files layout (one file per assembly)
each part of the stack shows; a single-file build maps all its assemblies from one file, so
they show as one "single-file bundle" part.

Rss counts clean file pages too (code read from the images): the kernel can drop and re-read
those, and several processes share them. Private_Dirty is what the process alone costs.

usage: rest_memory.py PID
prints: REST rss_kb=N private_dirty_kb=N anon_kb=N file_kb=N
        PART <name> rss_kb=N private_dirty_kb=N     (one line per part, largest first)
"""
import re
import sys

# First match wins; names are matched against the mapped file's base name.
PARTS = [
    ("runtime (native: coreclr, clrjit, System.*.so)", re.compile(r"^(libcoreclr|libclrjit|libhostfxr|libhostpolicy|libSystem\.|libmscordaccore|libmscordbi)")),
    ("system libraries (libc, libssl, libstdc++, ...)", re.compile(r"^(lib|ld-linux)")),
    ("runtime (managed: System.Private.CoreLib)", re.compile(r"^System\.Private\.CoreLib\.dll$")),
    ("base class library (System.*.dll)", re.compile(r"^(System\.|Microsoft\.Win32|Microsoft\.VisualBasic|Microsoft\.CSharp|netstandard|mscorlib)")),
    ("ASP.NET Core + Kestrel (Microsoft.AspNetCore.*, Microsoft.Extensions.*)", re.compile(r"^Microsoft\.(AspNetCore|Extensions|Net\.Http\.Headers|JSInterop)")),
    ("YARP", re.compile(r"^Yarp\.")),
    ("OpenTelemetry", re.compile(r"^OpenTelemetry")),
    ("Portico (portico.dll)", re.compile(r"^portico\.dll$")),
    ("composite ReadyToRun image (code of every assembly)", re.compile(r"\.r2r\.dll$")),
    ("other libraries (YamlDotNet, IdentityModel, Zstd, ...)", re.compile(r"\.dll$")),
    ("JIT-compiled code and stubs (W^X double mapping)", re.compile(r"^/memfd:doublemapper")),
    ("single-file bundle (every assembly)", re.compile(r"^portico$")),
]


def part_of(path):
    if path == "" or path.startswith("["):
        return "anonymous (GC heap, native heap, thread stacks)"
    base = path if path.startswith("/memfd:") else path.rsplit("/", 1)[-1]
    for name, pattern in PARTS:
        if pattern.search(base):
            return name
    return "other mappings"


def main():
    pid = sys.argv[1]
    header = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")
    parts = {}
    totals = {"Rss": 0, "Private_Dirty": 0, "Anonymous": 0}
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if header.match(line):
                fields = line.split(None, 5)
                current = part_of(fields[5].strip() if len(fields) > 5 else "")
                parts.setdefault(current, {"Rss": 0, "Private_Dirty": 0})
                continue
            key, _, value = line.partition(":")
            if key in totals:
                kb = int(value.split()[0])
                totals[key] += kb
                if key in parts[current]:
                    parts[current][key] += kb
    print(f"REST rss_kb={totals['Rss']} private_dirty_kb={totals['Private_Dirty']} "
          f"anon_kb={totals['Anonymous']} file_kb={totals['Rss'] - totals['Anonymous']}")
    for name, kb in sorted(parts.items(), key=lambda p: -p[1]["Rss"]):
        if kb["Rss"] > 0:
            print(f"PART {name}\trss_kb={kb['Rss']}\tprivate_dirty_kb={kb['Private_Dirty']}")


if __name__ == "__main__":
    main()
