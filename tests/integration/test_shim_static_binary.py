#!/usr/bin/python3
"""test_shim_static_binary.py SHIM - the shipped gomemlimit-shim is a static, stripped ELF
executable of at most 64 KiB, so it runs in any image (no libc, no loader) and costs
nothing to copy into a Pod. Reads the ELF headers itself (no binutils needed).
"""
import os
import struct
import sys

LIMIT = 64 * 1024
PT_DYNAMIC, PT_INTERP = 2, 3
SHT_SYMTAB = 2


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/gomemlimit-shim"
    failures = []
    with open(path, "rb") as f:
        data = f.read()
    size = len(data)
    print(f"{path}: {size} bytes (limit {LIMIT})")
    if size > LIMIT:
        failures.append(f"stripped size {size} > {LIMIT} bytes")
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        print("FAIL: not a 64-bit little-endian ELF file")
        return 1
    (e_type, _machine, _version, _entry, e_phoff, e_shoff, _flags, _ehsize, e_phentsize,
     e_phnum, e_shentsize, e_shnum, _shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if e_type != 2:  # ET_EXEC: not PIE, not a shared object
        failures.append(f"e_type {e_type}, want ET_EXEC (2): static non-PIE executable")
    for i in range(e_phnum):
        p_type = struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0]
        if p_type == PT_INTERP:
            failures.append("has PT_INTERP: needs a dynamic loader")
        if p_type == PT_DYNAMIC:
            failures.append("has PT_DYNAMIC: dynamically linked")
    for i in range(e_shnum):
        sh_type = struct.unpack_from("<I", data, e_shoff + i * e_shentsize + 4)[0]
        if sh_type == SHT_SYMTAB:
            failures.append("has a symbol table: not stripped")
    if not os.access(path, os.X_OK):
        failures.append("not executable")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("PASS: static, stripped, within 64 KiB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
