#!/usr/bin/python3
"""The message table stays the only place for the engine's texts (webhook/engine/messages.h).

Fails when
- a C file of webhook/engine holds a string literal that starts with "gomemlimit: " (a
  warning or denial written outside the table, which test_messages.c would not see), or
- a GMW_MSG_ macro defined in messages.h is not named in tests/unit/engine/test_messages.c
  (a text the table test does not hold).

Comments are ignored; string literals are read as C reads them (escapes, adjacent literals
count separately: only the first piece of a text can start with "gomemlimit: ").

`--self-test` checks the checker on made-up sources: a literal outside the table, one in a
comment, one split over adjacent literals, an escaped quote, a macro missing from the test.

Run from the source root (ctest does: tests/CMakeLists.txt, test messages_table).
"""

import glob
import os
import re
import sys

PREFIX = "gomemlimit: "


def strip_comments_and_literals(src):
    """Return (code with comments blanked, list of (line, literal text))."""
    out, literals = [], []
    i, n, line = 0, len(src), 1
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += src.count("\n", i, j)
            out.append("\n" * src.count("\n", i, j))
            i = j
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif c == '"' or c == "'":
            j, text = i + 1, []
            while j < n and src[j] != c:
                if src[j] == "\\" and j + 1 < n:
                    text.append(src[j:j + 2])
                    j += 2
                    continue
                text.append(src[j])
                j += 1
            if c == '"':
                literals.append((line, "".join(text)))
            out.append(c + c)
            i = j + 1
        else:
            if c == "\n":
                line += 1
            out.append(c)
            i += 1
    return "".join(out), literals


def literals_outside_table(path, src):
    _, literals = strip_comments_and_literals(src)
    return ["%s:%d: \"%s\"" % (path, ln, text) for ln, text in literals if text.startswith(PREFIX)]


def macros_missing(header_src, test_src):
    code, _ = strip_comments_and_literals(header_src)
    names = re.findall(r"^\s*#\s*define\s+(GMW_MSG_\w+)", code, re.M)
    return sorted(set(n for n in names if not re.search(r"\b%s\b" % n, test_src)))


def self_test():
    bad = 'void f(void) { warn("gomemlimit: container %s: oops", n); }\n'
    assert literals_outside_table("x.c", bad) == ['x.c:1: "gomemlimit: container %s: oops"']
    ok = ('/* says "gomemlimit: container x" */\n// "gomemlimit: y"\n'
          'void f(void) { warn(GMW_MSG_PREFIX "%s", t); char c = \'"\'; }\n')
    assert literals_outside_table("y.c", ok) == [], literals_outside_table("y.c", ok)
    split = 'x = "gomem" "limit: a"; y = "a \\"gomemlimit: b\\"";\nz = "gomemlimit: "\n  "c";\n'
    assert literals_outside_table("z.c", split) == ['z.c:2: "gomemlimit: "']
    header = '#define GMW_MSG_A "a"\n/* #define GMW_MSG_C "c" */\n#define GMW_MSG_B(k) "b" k\n'
    assert macros_missing(header, "GMW_MSG_A GMW_MSG_BB") == ["GMW_MSG_B"]
    assert macros_missing(header, "GMW_MSG_A, GMW_MSG_B(") == []


def main():
    self_test()
    if "--self-test" in sys.argv:
        print("self-test ok")
        return 0
    problems = []
    for path in sorted(glob.glob(os.path.join("webhook", "engine", "*.c"))):
        with open(path, encoding="utf-8") as f:
            problems += ["a text outside messages.h: " + p
                         for p in literals_outside_table(path, f.read())]
    with open(os.path.join("webhook", "engine", "messages.h"), encoding="utf-8") as f:
        header = f.read()
    with open(os.path.join("tests", "unit", "engine", "test_messages.c"), encoding="utf-8") as f:
        test = f.read()
    problems += ["%s is not in tests/unit/engine/test_messages.c" % m
                 for m in macros_missing(header, test)]
    for p in problems:
        print("FAIL " + p)
    if problems:
        return 1
    print("ok: no engine text outside messages.h; every GMW_MSG_ macro is in the table test")
    return 0


if __name__ == "__main__":
    sys.exit(main())
