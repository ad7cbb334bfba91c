#!/usr/bin/env python3
"""Builds the starting corpus of every fuzz target from the repository's examples and fixtures.

Usage: python3 fuzz/seed.py [OUT_DIR]   (default: fuzz/seeds; see docs/fuzzing.md)

The formats are those of the harnesses in fuzz/src/lib.rs: for `workspace`, files joined by NUL
bytes, each prefixed by the index of its place in PLACES; `config` and `handoff` take a file's
bytes as they are; `lsp_frames` takes what a client writes to the server; `edits` takes a base
index, an encoding byte and edit records.
"""
import os
import pathlib
import random
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "fuzz" / "seeds"


def place(rel: str) -> int | None:
    """The index in fuzz/src/lib.rs PLACES a repository file best corresponds to."""
    name = rel.rsplit("/", 1)[-1]
    if name == "baton.toml":
        return 9
    if rel.endswith(".tsx"):
        return 1
    if rel.endswith(".ts"):
        return 0 if "/app/" in "/" + rel else 10
    if rel.endswith((".js", ".jsx", ".mjs", ".cjs")):
        return 2
    if rel.endswith(".sql"):
        return 3
    if rel.endswith(".signal"):
        return 7
    if rel.endswith(".json"):
        return 8 if ".claude/" in rel else 11
    if rel.endswith(".md"):
        if "/agents/" in rel:
            return 6
        if "workflow" in rel.lower():
            return 5
        return 4
    return None


def write(target: str, name: str, data: bytes) -> None:
    folder = OUT / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def files_under(folder: pathlib.Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "node_modules" not in path.parts:
            rel = path.relative_to(folder).as_posix()
            if place(rel) is not None:
                yield rel, path.read_bytes()


def frame(body: str) -> bytes:
    data = body.encode()
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


def main() -> None:
    rng = random.Random(321)
    workspaces = [p for p in (ROOT / "examples").iterdir() if p.is_dir()]
    workspaces += [ROOT / "tests" / "fixtures", ROOT / "tests" / "corpus"]
    count = 0
    for ws in sorted(workspaces):
        files = [f for f in files_under(ws) if len(f[1]) < 64_000]
        for rel, data in files:
            if rel.endswith("baton.toml"):
                write("config", f"{count:04}", data)
            if place(rel) in (6, 7, 8):
                write("handoff", f"{count:04}", data)
            write("workspace", f"{count:04}", bytes([place(rel)]) + data)
            count += 1
        for group in range(max(1, len(files) // 4)):
            chosen = rng.sample(files, min(5, len(files)))
            write("workspace", f"group-{ws.name}-{group}", b"\0".join(bytes([place(r)]) + d.replace(b"\0", b"") for r, d in chosen))
    sessions = [
        [
            '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}',
            '{"jsonrpc":"2.0","method":"initialized","params":{}}',
            '{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///w/a.ts","languageId":"typescript","version":1,"text":"prisma.user.findMany()"}}}',
            '{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///w/a.ts"},"position":{"line":0,"character":3}}}',
            '{"jsonrpc":"2.0","id":3,"result":null}',
            '{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}',
            '{"jsonrpc":"2.0","id":"s","method":"shutdown"}',
        ],
        ['{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}', '{"jsonrpc":"2.0","method":"exit"}'],
    ]
    for i, session in enumerate(sessions):
        write("lsp_frames", f"session-{i}", b"".join(frame(m) for m in session))
    write("lsp_frames", "broken-header", b"Content-Length: x\r\n\r\n{}" + frame('{"jsonrpc":"2.0","method":"exit"}'))
    # lsp_resync: garbage before three well-formed requests (the first byte also sets the read size).
    one = '{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{}}'
    broken = {
        "stray-byte": b"x" + frame(one),
        "short": b"Content-Length: %d\r\n\r\n%s" % (len(one) - 1, one.encode()),
        "long": b"Content-Length: %d\r\n\r\n%s" % (len(one) + 1, one.encode()),
        "absurd": b"Content-Length: 99999999999999999999\r\n\r\n" + one.encode(),
        "open-string": b"Content-Length: 500\r\n\r\n{\"a\":\"",
        "no-blank-line": b"Content-Length: %d\r\n%s" % (len(one), one.encode()),
    }
    for name, garbage in broken.items():
        for step in (0, 1, 3):
            write("lsp_resync", f"{name}-{step}", bytes([step]) + garbage)
    for base in range(6):
        for n in range(3):
            edits = bytes(rng.randrange(256) for _ in range(40 * (n + 1)))
            write("edits", f"base{base}-{n}", bytes([base, n]) + edits)
    print(f"seeds written to {OUT}")


if __name__ == "__main__":
    main()
