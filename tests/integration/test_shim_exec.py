#!/usr/bin/python3
"""test_shim_exec.py SHIM - gomemlimit-shim as a black box.

Exec semantics (argv and environment passed through, exit status propagated, no fork,
126/127/2 with one-line messages), the GOMEMLIMIT/GOGC decisions on fake cgroup trees
(GOMEMLIMIT_SHIM_ROOT, test-only), --print JSON (parsed by Python's json), --install.
Run against both the static musl build and the host build (ASan+UBSan in the sanitizer
pass).
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

SHIM = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build/gomemlimit-shim")
PY = "/usr/bin/python3"
MIB = 1 << 20

# Print argv (after the program name) as JSON, and the environment.
ARGV_JSON = "import json,sys; print(json.dumps(sys.argv[1:]))"
ENV_JSON = "import json,os; print(json.dumps(dict(os.environ)))"


def fake_v2(root, limit="max", high="max"):
    """A cgroup v2 tree: process in /pod/c, memory.max/high at the leaf."""
    os.makedirs(f"{root}/proc/self", exist_ok=True)
    with open(f"{root}/proc/self/cgroup", "w") as f:
        f.write("0::/pod/c\n")
    with open(f"{root}/proc/self/mountinfo", "w") as f:
        f.write("30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n")
    d = f"{root}/sys/fs/cgroup/pod/c"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/memory.max", "w") as f:
        f.write(f"{limit}\n")
    with open(f"{d}/memory.high", "w") as f:
        f.write(f"{high}\n")


def fake_v1(root, limit):
    os.makedirs(f"{root}/proc/self", exist_ok=True)
    with open(f"{root}/proc/self/cgroup", "w") as f:
        f.write("4:memory:/job\n0::/\n")
    with open(f"{root}/proc/self/mountinfo", "w") as f:
        f.write("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")
    d = f"{root}/sys/fs/cgroup/memory/job"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/memory.limit_in_bytes", "w") as f:
        f.write(f"{limit}\n")


class ShimTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gmw-shim-test-")
        self.root = os.path.join(self.tmp, "root")
        os.makedirs(self.root)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_shim(self, args, env=None, root=True, **kw):
        e = {"PATH": "/usr/bin:/bin"}
        if root:
            e["GOMEMLIMIT_SHIM_ROOT"] = self.root
        e.update(env or {})
        return subprocess.run([SHIM] + args, env=e, capture_output=True, text=True,
                              timeout=30, **kw)

    def env_after(self, args, env=None):
        """Run the shim with a command that prints its environment; returns (env, stderr)."""
        r = self.run_shim(args + ["--", PY, "-c", ENV_JSON], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout), r.stderr

    def print_json(self, args, env=None):
        r = self.run_shim(["--print"] + args, env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("\n"), 1, "one JSON object on one line")
        return json.loads(r.stdout)

    # ---- exec semantics ----

    def test_argv_passed_through(self):
        fake_v2(self.root, 256 * MIB)
        argv = ["a b", "", "  ", "--", "-x", "--ratio", "ünïcode", "tab\there", "'\"$HOME"]
        r = self.run_shim(["--", PY, "-c", ARGV_JSON] + argv)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), argv)

    def test_command_without_double_dash(self):
        fake_v2(self.root, 256 * MIB)
        r = self.run_shim(["--ratio", "0.5", PY, "-c", ARGV_JSON, "--ratio", "x"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), ["--ratio", "x"])

    def test_env_passed_through(self):
        fake_v2(self.root, 256 * MIB)
        env, _ = self.env_after([], {"KEEP_ME": "v a l=ue", "EMPTY": ""})
        self.assertEqual(env["KEEP_ME"], "v a l=ue")
        self.assertEqual(env["EMPTY"], "")
        self.assertEqual(env["GOMEMLIMIT_SHIM_ROOT"], self.root)

    def test_exit_status_propagated(self):
        fake_v2(self.root, 256 * MIB)
        for code in (0, 1, 3, 42, 125, 255):
            r = self.run_shim(["--", "/bin/sh", "-c", f"exit {code}"])
            self.assertEqual(r.returncode, code)

    def test_signal_death_propagated(self):
        fake_v2(self.root, 256 * MIB)
        r = self.run_shim(["--", "/bin/sh", "-c", "kill -TERM $$"])
        self.assertEqual(r.returncode, -15)

    def test_no_fork_same_pid(self):
        fake_v2(self.root, 256 * MIB)
        p = subprocess.Popen([SHIM, "--", PY, "-c", "import os; print(os.getpid())"],
                             env={"GOMEMLIMIT_SHIM_ROOT": self.root}, stdout=subprocess.PIPE,
                             text=True)
        out, _ = p.communicate(timeout=30)
        self.assertEqual(int(out), p.pid)

    def test_127_not_found(self):
        fake_v2(self.root, 256 * MIB)
        for cmd in ("/nonexistent/prog", "gmw-no-such-command-xyz"):
            r = self.run_shim(["--", cmd, "arg"])
            self.assertEqual(r.returncode, 127)
            self.assertEqual(r.stdout, "")
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertTrue(lines[0].startswith("gomemlimit-shim: " + cmd + ": "), lines[0])
        r = self.run_shim(["--", "gmw-no-such-command-xyz"])
        self.assertIn("command not found", r.stderr)

    def test_126_not_executable(self):
        fake_v2(self.root, 256 * MIB)
        f = os.path.join(self.tmp, "data.txt")
        with open(f, "w") as fh:
            fh.write("#!/bin/sh\necho hi\n")
        os.chmod(f, 0o644)
        for cmd in (f, self.tmp):  # a non-executable file, a directory
            r = self.run_shim(["--", cmd])
            self.assertEqual(r.returncode, 126, r.stderr)
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertTrue(lines[0].startswith(f"gomemlimit-shim: {cmd}: "), lines[0])

    def test_path_search(self):
        fake_v2(self.root, 256 * MIB)
        a, b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        os.makedirs(a)
        os.makedirs(b)
        with open(os.path.join(a, "gmwtool"), "w") as fh:  # same name, not executable
            fh.write("#!/bin/sh\nexit 1\n")
        with open(os.path.join(b, "gmwtool"), "w") as fh:
            fh.write("#!/bin/sh\necho \"from b: $*\"\n")
        os.chmod(os.path.join(b, "gmwtool"), 0o755)
        path = f"/nonexistent:{a}:{b}:/usr/bin:/bin"
        r = self.run_shim(["--", "gmwtool", "x y"], {"PATH": path})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "from b: x y\n")
        # Only the non-executable one: 126 (EACCES wins over "not found").
        r = self.run_shim(["--", "gmwtool"], {"PATH": f"/nonexistent:{a}"})
        self.assertEqual(r.returncode, 126, r.stderr)
        self.assertIn("Permission denied", r.stderr)
        r = self.run_shim(["--", ""])
        self.assertEqual(r.returncode, 127, r.stderr)

    def test_126_exec_format_error(self):
        fake_v2(self.root, 256 * MIB)
        f = os.path.join(self.tmp, "garbage")
        with open(f, "wb") as fh:
            fh.write(b"\x7fELF\x00garbage")
        os.chmod(f, 0o755)
        r = self.run_shim(["--", f])
        self.assertEqual(r.returncode, 126, r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1)

    def test_usage_errors_exit_2(self):
        fake_v2(self.root, 256 * MIB)
        cases = [
            [],
            ["--"],
            ["--ratio"],
            ["--ratio", "0", "--", "true"],
            ["--ratio", "1.5", "--", "true"],
            ["--ratio", "0.12345", "--", "true"],
            ["--ratio", "-0.5", "--", "true"],
            ["--ratio", "abc", "--", "true"],
            ["--ratio", "", "--", "true"],
            ["--ratio", ".", "--", "true"],
            ["--ratio", "1.", "--", "true"],  # the webhook's ratio grammar: digits after "."
            ["--ratio", "10", "--", "true"],
            ["--gogc", "0", "--", "true"],
            ["--gogc", "100001", "--", "true"],
            ["--gogc", "-1", "--", "true"],
            ["--gogc", "fast", "--", "true"],
            ["--gogc", "0100", "--", "true"],  # the webhook's GOGC grammar: no leading zeros
            ["--gogc"],
            ["--min-limit", "-1", "--", "true"],
            ["--min-limit", "-1.5Gi", "--", "true"],
            ["--min-limit", "10Qi", "--", "true"],
            ["--min-limit", "1K", "--", "true"],
            ["--min-limit", "1.2.3", "--", "true"],
            ["--min-limit", " 16Mi", "--", "true"],
            ["--min-limit", "9223372036854775808", "--", "true"],
            ["--min-limit", "8Ei", "--", "true"],
            ["--min-limit", "", "--", "true"],
            ["--bogus", "--", "true"],
            ["-", "--", "true"],
            ["--malformed", "fix", "--", "true"],
            ["--malformed"],
            ["--install"],
            ["--install", ""],
            ["--install", "/tmp", "--", "true"],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = self.run_shim(args)
                self.assertEqual(r.returncode, 2, r.stderr)
                lines = r.stderr.splitlines()
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertTrue(lines[0].startswith("gomemlimit-shim: "), lines[0])
        r = self.run_shim(["--min-limit", "10Qi", "--", "true"])
        self.assertIn("not a Kubernetes quantity", r.stderr)
        self.assertIn("10Qi", r.stderr)
        self.assertIn("e.g. 16Mi", r.stderr)
        r = self.run_shim(["--min-limit", "1K", "--", "true"])
        self.assertIn("unknown quantity suffix", r.stderr)
        r = self.run_shim(["--min-limit", "-1", "--", "true"])
        self.assertIn("negative quantity", r.stderr)
        r = self.run_shim(["--ratio", "1.5", "--", "true"])
        self.assertIn("1.5", r.stderr)

    def test_accepted_option_forms(self):
        fake_v2(self.root, 1000 * MIB)
        for args, want in [
            (["--ratio", "0.5"], "500MiB"),
            (["--ratio=0.5"], "500MiB"),
            (["--ratio", ".5"], "500MiB"),
            (["--ratio", "1"], "1000MiB"),
            (["--ratio", "1.0000"], "1000MiB"),
            (["--ratio", "0.0001"], "0MiB"),  # under 1 MiB: left alone (checked below)
            (["--ratio", "0.75", "--min-limit", "1000Mi"], "750MiB"),
            (["--min-limit=1048576000"], "900MiB"),
            (["--min-limit", "1G"], "900MiB"),
            # --min-limit takes the full Kubernetes quantity grammar (the webhook's parser).
            (["--min-limit", "1.5Gi"], None),  # 1000 MiB < 1.5 GiB: left alone
            (["--min-limit", "1e9"], "900MiB"),
            (["--min-limit", "1000Mi"], "900MiB"),  # equal to the limit: not below it
            (["--min-limit", "1048576001"], None),
            (["--min-limit", "1048576000001m"], None),  # 1000 MiB + 1 milli-byte, ceil
            (["--min-limit", "0.9765625Gi"], "900MiB"),  # exactly 1000 MiB
            (["--min-limit", "+0.5Mi"], "900MiB"),
        ]:
            with self.subTest(args=args):
                env, err = self.env_after(args)
                if want is None:
                    self.assertNotIn("GOMEMLIMIT", env)
                    self.assertIn("below --min-limit", err)
                elif want == "0MiB":
                    self.assertNotIn("GOMEMLIMIT", env)
                else:
                    self.assertEqual(env["GOMEMLIMIT"], want)

    def test_min_limit_quantity_grammar(self):
        # The webhook's quantity parser: Value() rounded up to a whole byte, exact.
        fake_v2(self.root, 1000 * MIB)
        for q, want in [("1.5Gi", 1610612736), ("1e9", 10**9), ("1.G", 10**9),
                        ("2560Ki", 2621440), ("100m", 1), ("1500m", 2), ("0", 0), ("-0", 0),
                        ("1181116006400m", 1181116007), ("+16Mi", 16 * MIB),
                        ("9223372036854775807", 9223372036854775807)]:
            with self.subTest(q=q):
                self.assertEqual(self.print_json(["--min-limit", q])["minLimitBytes"], want)

    def test_help_and_version(self):
        r = self.run_shim(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: gomemlimit-shim", r.stdout)
        r = self.run_shim(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("gomemlimit-shim "))

    # ---- GOMEMLIMIT / GOGC decisions ----

    def test_unset_is_set_to_floor_ratio_mib(self):
        # 1000 MiB + 1 byte: floor(x 0.9) = 900 MiB exactly, never rounded up.
        fake_v2(self.root, 1000 * MIB + 1)
        env, err = self.env_after([])
        self.assertEqual(env["GOMEMLIMIT"], "900MiB")
        self.assertEqual(env["GOGC"], "100")
        self.assertEqual(err, "")

    def test_exact_integer_arithmetic(self):
        # 64 MiB x 0.9 = 57.6 MiB -> 57MiB; 0.3 x 100Mi = 30 MiB exactly (binary floating
        # point would give 29.999...).
        for limit, ratio, want in [(64 * MIB, "0.9", "57MiB"), (100 * MIB, "0.3", "30MiB"),
                                   (3 * MIB, "0.3333", "0MiB"),
                                   (4611686018427387903, "1", f"{4611686018427387903 // MIB}MiB"),
                                   (4611686018427387903, "0.9999",
                                    f"{4611686018427387903 * 9999 // 10000 // MIB}MiB")]:
            with self.subTest(limit=limit, ratio=ratio):
                shutil.rmtree(self.root)
                fake_v2(self.root, limit)
                d = self.print_json(["--ratio", ratio, "--min-limit", "0"])
                if want == "0MiB":
                    self.assertEqual(d["GOMEMLIMIT"]["action"], "none")
                    self.assertIn("under 1 MiB", d["GOMEMLIMIT"]["note"])
                else:
                    self.assertEqual(d["GOMEMLIMIT"]["value"], want)

    def test_valid_below_limit_is_kept(self):
        fake_v2(self.root, 1024 * MIB)
        # "-0", "-0B", "-MiB" are Go's parseByteCount quirks: go1.19 runs with a limit of 0.
        for v in ("100MiB", "1GiB", "1073741824", "1073741824B", "512KiB", "0", "off", "-0",
                  "-0B", "-MiB"):
            with self.subTest(v=v):
                env, err = self.env_after([], {"GOMEMLIMIT": v})
                self.assertEqual(env["GOMEMLIMIT"], v)
                self.assertEqual(err, "")

    def test_above_limit_is_replaced_with_one_line(self):
        fake_v2(self.root, 1024 * MIB)
        for v in ("2GiB", "1073741825", "1TiB"):
            with self.subTest(v=v):
                env, err = self.env_after([], {"GOMEMLIMIT": v})
                self.assertEqual(env["GOMEMLIMIT"], "921MiB")
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn(f"GOMEMLIMIT={v} exceeds the memory limit 1073741824 bytes",
                              lines[0])
                self.assertIn("/sys/fs/cgroup/pod/c/memory.max", lines[0])

    def test_malformed_is_replaced_with_one_line(self):
        fake_v2(self.root, 1024 * MIB)
        # not Kubernetes quantities either: the computed value
        for v in ("1GB", "1.5GiB", "-5", "-", "MiB", " 100MiB", "OFF", "1kiB",
                  "99999999999999999999", "9007199254740992KiB", "1PiB"):
            with self.subTest(v=v):
                env, err = self.env_after([], {"GOMEMLIMIT": v})
                self.assertEqual(env["GOMEMLIMIT"], "921MiB")
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn("is not valid for Go", lines[0])
        # Kubernetes quantities: the same bytes in Go's grammar (issue 9), within the limit
        for v, want in (("1Gi", "1GiB"), ("100M", "100000000"), ("0.5Gi", "512MiB")):
            with self.subTest(v=v):
                env, err = self.env_after([], {"GOMEMLIMIT": v})
                self.assertEqual(env["GOMEMLIMIT"], want)
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertIn("is a Kubernetes quantity", lines[0])

    def test_empty_is_unset(self):
        fake_v2(self.root, 1024 * MIB)
        env, err = self.env_after([], {"GOMEMLIMIT": "", "GOGC": ""})
        self.assertEqual(env["GOMEMLIMIT"], "921MiB")
        self.assertEqual(env["GOGC"], "100")
        self.assertEqual(err, "")

    def test_force(self):
        fake_v2(self.root, 1024 * MIB)
        env, err = self.env_after(["--force"], {"GOMEMLIMIT": "100MiB"})
        self.assertEqual(env["GOMEMLIMIT"], "921MiB")
        self.assertEqual(len(err.splitlines()), 1)
        self.assertIn("--force", err)
        env, err = self.env_after(["--force"], {"GOMEMLIMIT": "921MiB"})
        self.assertEqual(env["GOMEMLIMIT"], "921MiB")
        self.assertEqual(err, "")
        env, _ = self.env_after(["--force"], {"GOMEMLIMIT": "off"})
        self.assertEqual(env["GOMEMLIMIT"], "921MiB")

    def test_memory_high_used_when_lower(self):
        fake_v2(self.root, 1024 * MIB, high=512 * MIB)
        d = self.print_json([])
        self.assertEqual(d["limitBytes"], 512 * MIB)
        self.assertEqual(d["source"], "/sys/fs/cgroup/pod/c/memory.high")
        self.assertEqual(d["GOMEMLIMIT"]["value"], "460MiB")

    def test_no_limit_leaves_env(self):
        fake_v2(self.root, "max")
        env, err = self.env_after([])
        self.assertNotIn("GOMEMLIMIT", env)
        self.assertEqual(err, "")
        env, err = self.env_after([], {"GOMEMLIMIT": "100MiB"})
        self.assertEqual(env["GOMEMLIMIT"], "100MiB")  # a valid value stays
        self.assertEqual(err, "")
        # issue 9: a value Go aborts on is not passed through silently without a limit
        env, err = self.env_after([], {"GOMEMLIMIT": "garbage"})
        self.assertNotIn("GOMEMLIMIT", env)
        self.assertEqual(env["GOGC"], "100")
        self.assertIn('GOMEMLIMIT="garbage" is not valid for Go', err)
        env, err = self.env_after(["--malformed", "keep"], {"GOMEMLIMIT": "garbage"})
        self.assertEqual(env["GOMEMLIMIT"], "garbage")

    def test_no_memory_cgroup_at_all(self):
        os.makedirs(f"{self.root}/proc/self")
        with open(f"{self.root}/proc/self/cgroup", "w") as f:
            f.write("1:cpu:/\n")
        with open(f"{self.root}/proc/self/mountinfo", "w") as f:
            f.write("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n")
        env, err = self.env_after([])
        self.assertNotIn("GOMEMLIMIT", env)
        self.assertEqual(err, "")

    def test_below_min_limit_leaves_env_with_message(self):
        fake_v2(self.root, 8 * MIB)
        env, err = self.env_after([])
        self.assertNotIn("GOMEMLIMIT", env)
        self.assertEqual(len(err.splitlines()), 1)
        self.assertIn("below --min-limit 16777216", err)
        env, err = self.env_after(["--min-limit", "4Mi"])
        self.assertEqual(env["GOMEMLIMIT"], "7MiB")
        env, err = self.env_after(["--min-limit", "1Gi"], {"GOMEMLIMIT": "1MiB"})
        self.assertEqual(env["GOMEMLIMIT"], "1MiB")

    def test_read_failure_one_line_and_exec(self):
        fake_v2(self.root, 1024 * MIB)
        os.remove(f"{self.root}/sys/fs/cgroup/pod/c/memory.max")
        os.makedirs(f"{self.root}/sys/fs/cgroup/pod/c/memory.max")  # unreadable as a file
        r = self.run_shim(["--", PY, "-c", ENV_JSON], {"GOMEMLIMIT": "2GiB"})
        self.assertEqual(r.returncode, 0)
        env = json.loads(r.stdout)
        self.assertEqual(env["GOMEMLIMIT"], "2GiB")  # left as it is
        self.assertEqual(env["GOGC"], "100")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("cannot read /sys/fs/cgroup/pod/c/memory.max", lines[0])
        # No proc tree at all: also one line, still exec.
        shutil.rmtree(self.root)
        os.makedirs(self.root)
        r = self.run_shim(["--", "/bin/sh", "-c", "exit 7"])
        self.assertEqual(r.returncode, 7)
        self.assertEqual(len(r.stderr.splitlines()), 1)
        self.assertIn("/proc/self/cgroup", r.stderr)

    def test_quiet(self):
        fake_v2(self.root, 1024 * MIB)
        env, err = self.env_after(["--quiet"], {"GOMEMLIMIT": "5GiB", "GOGC": "fast"})
        self.assertEqual(env["GOMEMLIMIT"], "921MiB")
        self.assertEqual(err, "")
        r = self.run_shim(["--quiet", "--", "/nonexistent"])
        self.assertEqual(r.returncode, 127)
        self.assertEqual(len(r.stderr.splitlines()), 1)  # errors are still printed

    def test_gogc(self):
        fake_v2(self.root, 1024 * MIB)
        env, err = self.env_after(["--gogc", "50"])
        self.assertEqual(env["GOGC"], "50")
        env, err = self.env_after(["--gogc", "off"])
        self.assertEqual(env["GOGC"], "off")
        # Go's atoi32: "-" and "-0" are 0, a negative value is off (checked with go1.19).
        for v in ("200", "off", "-1", "0", "-", "-0", "-2147483648", "0100"):
            env, err = self.env_after(["--gogc", "50"], {"GOGC": v})
            self.assertEqual(env["GOGC"], v)
            self.assertEqual(err, "")
        for v in ("fast", "1.5", "99999999999", "100%", "2147483648", "-2147483649", "+5"):
            with self.subTest(v=v):
                env, err = self.env_after([], {"GOGC": v})
                self.assertEqual(env["GOGC"], v)  # kept: only a warning
                self.assertEqual(len(err.splitlines()), 1)
                self.assertIn(f"GOGC={v} is malformed; the Go runtime reads it as 100", err)

    def test_v1_tree(self):
        fake_v1(self.root, 64 * MIB)
        env, _ = self.env_after([])
        self.assertEqual(env["GOMEMLIMIT"], "57MiB")
        shutil.rmtree(self.root)
        fake_v1(self.root, 9223372036854771712)
        env, _ = self.env_after([])
        self.assertNotIn("GOMEMLIMIT", env)

    # ---- --print ----

    def test_print_json(self):
        fake_v1(self.root, 64 * MIB)
        d = self.print_json(["--ratio", "0.75"], {"GOGC": "off"})
        self.assertEqual(d["cgroupVersion"], 1)
        self.assertEqual(d["limitBytes"], 64 * MIB)
        self.assertEqual(d["source"], "/sys/fs/cgroup/memory/job/memory.limit_in_bytes")
        self.assertEqual(d["cgroupDir"], "/sys/fs/cgroup/memory/job")
        self.assertIsNone(d["error"])
        self.assertEqual(d["ratio"], "0.75")
        self.assertEqual(d["minLimitBytes"], 16 * MIB)
        self.assertIs(d["force"], False)
        self.assertEqual(d["limitMiB"], 64)
        self.assertEqual(d["minLimitMiB"], 16)
        self.assertEqual(d["malformed"], "repair")
        reason = d["GOMEMLIMIT"].pop("reason")
        self.assertIn("48MiB = floor(67108864 bytes (64.00 MiB) x ratio)", reason)
        self.assertEqual(d["GOMEMLIMIT"], {"action": "set", "value": "48MiB", "current": None,
                                           "note": None, "valueBytes": 48 * MIB, "valueMiB": 48})
        self.assertEqual(d["GOGC"], {"action": "keep", "value": "off", "current": "off",
                                     "note": None, "reason": "GOGC is set: the user's value is kept"})

    def test_print_json_escaping_and_errors(self):
        fake_v2(self.root, 1024 * MIB)
        d = self.print_json([], {"GOMEMLIMIT": 'bad"\\\x01value'})
        self.assertEqual(d["GOMEMLIMIT"]["action"], "replace")
        self.assertEqual(d["GOMEMLIMIT"]["current"], 'bad"\\\x01value')
        self.assertIn("not valid for Go", d["GOMEMLIMIT"]["note"])
        shutil.rmtree(self.root)
        os.makedirs(self.root)
        d = self.print_json([])
        self.assertEqual(d["cgroupVersion"], 0)
        self.assertIsNone(d["limitBytes"])
        self.assertIn("/proc/self/cgroup", d["error"])
        self.assertEqual(d["GOMEMLIMIT"]["action"], "none")

    # ---- issue 9: a malformed GOMEMLIMIT, reasons, MiB, dry run ----

    def test_malformed_repair_with_and_without_limit(self):
        """--malformed repair (default): the webhook's rule, with or without a cgroup limit."""
        cases = [
            # (limit, value, want GOMEMLIMIT in the command's env, or None when unset)
            (1024 * MIB, "512Mi", "512MiB"),      # a quantity: the same bytes in Go's grammar
            (1024 * MIB, "1G", "1000000000"),
            (1024 * MIB, "1.5Gi", "921MiB"),      # repaired to 1536MiB, above the limit: computed
            (1024 * MIB, "lots", "921MiB"),       # not a quantity: the computed value
            ("max", "512Mi", "512MiB"),           # no limit: still repaired
            ("max", "0.5Gi", "512MiB"),
            ("max", "lots", None),                # no limit, nothing to compute: unset
            ("max", "100 MiB", None),
        ]
        for limit, value, want in cases:
            with self.subTest(limit=limit, value=value):
                shutil.rmtree(self.root, ignore_errors=True)
                fake_v2(self.root, limit)
                env, err = self.env_after([], {"GOMEMLIMIT": value})
                self.assertEqual(env.get("GOMEMLIMIT"), want, err)
                self.assertIn(value, err)  # one line says what happened to the value
                d = self.print_json([], {"GOMEMLIMIT": value})
                self.assertEqual(d["GOMEMLIMIT"]["current"], value)
                self.assertEqual(d["GOMEMLIMIT"]["value"], want)
                self.assertTrue(d["GOMEMLIMIT"]["reason"])

    def test_malformed_keep_and_deny(self):
        fake_v2(self.root, 1024 * MIB)
        env, err = self.env_after(["--malformed", "keep"], {"GOMEMLIMIT": "512Mi"})
        self.assertEqual(env["GOMEMLIMIT"], "512Mi")
        self.assertIn('GOMEMLIMIT="512Mi" kept (--malformed keep), Go aborts on it; use 512MiB', err)
        for value, fix in (("512Mi", "use 512MiB"), ("lots", "use e.g. 921MiB")):
            r = self.run_shim(["--malformed", "deny", "--quiet", "--", PY, "-c", "print('ran')"],
                              {"GOMEMLIMIT": value})
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, "")  # the command did not run
            self.assertEqual(r.stderr, f'gomemlimit-shim: GOMEMLIMIT="{value}" makes Go abort at '
                                       f"start; {fix} (--malformed deny)\n")
        # a valid value is never refused
        env, _ = self.env_after(["--malformed", "deny"], {"GOMEMLIMIT": "400MiB"})
        self.assertEqual(env["GOMEMLIMIT"], "400MiB")

    def test_print_reason_for_every_action(self):
        """Every decision carries a reason, 'none' included, with sizes in MiB beside bytes."""
        cases = [
            (256 * MIB, {}, "set", "256.00 MiB"),
            (256 * MIB, {"GOMEMLIMIT": "100MiB"}, "keep", "100.00 MiB"),
            (256 * MIB, {"GOMEMLIMIT": "off"}, "keep", "GOMEMLIMIT=off is the user's choice"),
            (256 * MIB, {"GOMEMLIMIT": "1GiB"}, "replace", "1024.00 MiB"),
            (256 * MIB, {"GOMEMLIMIT": "512Mi"}, "replace", "512.00 MiB"),
            ("max", {}, "none", "no memory limit in the cgroup"),
            ("max", {"GOMEMLIMIT": "100MiB"}, "none", "the user's GOMEMLIMIT=100MiB is kept"),
            ("max", {"GOMEMLIMIT": "512Mi"}, "repair", "same bytes as 512MiB"),
            ("max", {"GOMEMLIMIT": "lots"}, "unset", "nothing to compute from"),
            (8 * MIB, {}, "none", "(8.00 MiB) is below --min-limit 16777216 bytes (16.00 MiB)"),
        ]
        for limit, env, action, in_reason in cases:
            with self.subTest(limit=limit, env=env):
                shutil.rmtree(self.root, ignore_errors=True)
                fake_v2(self.root, limit)
                d = self.print_json([], env)
                self.assertEqual(d["GOMEMLIMIT"]["action"], action)
                self.assertIn(in_reason, d["GOMEMLIMIT"]["reason"])
                self.assertTrue(d["GOGC"]["reason"])
                if d["GOMEMLIMIT"]["valueBytes"] is not None:
                    self.assertEqual(d["GOMEMLIMIT"]["valueMiB"],
                                     float(f"{d['GOMEMLIMIT']['valueBytes'] * 100 // MIB / 100:.2f}"))
        shutil.rmtree(self.root)
        os.makedirs(self.root)
        d = self.print_json([])  # no cgroup at all
        self.assertEqual(d["GOMEMLIMIT"]["action"], "none")
        self.assertIn("/proc/self/cgroup", d["GOMEMLIMIT"]["reason"])

    def test_print_dry_run_with_command(self):
        """--print -- CMD ARGS: the decision and the command it would exec; nothing runs."""
        fake_v2(self.root, 256 * MIB)
        marker = os.path.join(self.tmp, "ran")
        r = self.run_shim(["--print", "--", "touch", marker, "a b"], {"GOMEMLIMIT": "lots"})
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertFalse(os.path.exists(marker), "the dry run executed the command")
        self.assertEqual(d["exec"]["argv"], ["touch", marker, "a b"])
        self.assertEqual(d["exec"]["path"], shutil.which("touch", path="/usr/bin:/bin"))
        self.assertIs(d["exec"]["wouldExec"], True)
        self.assertEqual(d["exec"]["env"], {"GOMEMLIMIT": "230MiB", "GOGC": "100"})
        r = self.run_shim(["--print", "--", "no-such-command-xyz"])
        d = json.loads(r.stdout)
        self.assertIsNone(d["exec"]["path"])
        self.assertIs(d["exec"]["wouldExec"], False)
        r = self.run_shim(["--print", "--malformed", "deny", "--", "touch", marker], {"GOMEMLIMIT": "1G"})
        d = json.loads(r.stdout)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(d["GOMEMLIMIT"]["action"], "deny")
        self.assertIs(d["exec"]["wouldExec"], False)
        self.assertFalse(os.path.exists(marker))

    def test_print_real_system(self):
        # Without the test root: whatever this machine has, the output is valid JSON.
        r = self.run_shim(["--print"], root=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertIn(d["cgroupVersion"], (0, 1, 2))

    # ---- --install ----

    def test_install(self):
        dest = os.path.join(self.tmp, "vol")
        os.makedirs(dest)
        for _ in range(2):  # a restarted init container installs over the old copy
            r = self.run_shim(["--install", dest], root=False)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, "")
        target = os.path.join(dest, "gomemlimit-shim")
        st = os.stat(target)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o555)
        with open(target, "rb") as a, open(SHIM, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(sorted(os.listdir(dest)), ["gomemlimit-shim"])  # no temp file left
        fake_v2(self.root, 1024 * MIB)
        r = subprocess.run([target, "--print"], env={"GOMEMLIMIT_SHIM_ROOT": self.root},
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["GOMEMLIMIT"]["value"], "921MiB")

    def test_install_failure(self):
        r = self.run_shim(["--install", os.path.join(self.tmp, "missing", "dir")], root=False)
        self.assertEqual(r.returncode, 1)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("gomemlimit-shim: --install: "), lines[0])


if __name__ == "__main__":
    if not os.access(SHIM, os.X_OK):
        print(f"FAIL: shim not found or not executable: {SHIM}")
        sys.exit(1)
    print(f"testing {SHIM}")
    unittest.main(verbosity=2)
