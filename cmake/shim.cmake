# shim area: the static libc-only runtime shim and its tests.
