"""The README's run command works on a machine that has only what running needs.

A fresh machine gets `scripts/deps` (the run dependencies) and then `meson setup` + `ninja`:
that must configure, build and start with the test-only libraries absent. Here they are
hidden rather than uninstalled: pkg-config is pointed at a folder holding only the .pc files
of the run dependencies (and what they require), so cmocka and libcurl cannot be found. The
build then leaves the suite out with a message, builds the server, and the server answers.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import StatusdServer  # noqa: E402

RUN_DEPENDENCIES = ["libmicrohttpd", "jansson", "gnutls", "hiredis", "libnghttp2",
                    "zlib", "libbrotlienc", "libbrotlidec", "libzstd"]
SOURCE = os.environ.get("STATUSD_SOURCE_ROOT",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def pc_file(name):
    for folder in subprocess.run(["pkg-config", "--variable", "pc_path", "pkg-config"],
                                 capture_output=True, text=True, check=True).stdout.strip().split(":"):
        path = os.path.join(folder, name + ".pc")
        if os.path.exists(path):
            return path
    raise AssertionError("no %s.pc: is scripts/deps installed?" % name)


def closure(names):
    """The run dependencies and every package their .pc files require."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        out = subprocess.run(["pkg-config", "--print-requires", "--print-requires-private", name],
                             capture_output=True, text=True, check=True).stdout
        todo += [line.split()[0] for line in out.splitlines() if line.strip()]
    return seen


class FreshMachineBuild(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="statusd-fresh-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.pc = os.path.join(self.work, "pkgconfig")
        os.mkdir(self.pc)
        for name in closure(RUN_DEPENDENCIES):
            os.symlink(pc_file(name), os.path.join(self.pc, name + ".pc"))
        self.env = dict(os.environ, PKG_CONFIG_LIBDIR=self.pc, PKG_CONFIG_PATH="")

    def meson_setup(self, build, *options):
        return subprocess.run(["meson", "setup", build, SOURCE, "--buildtype=debug", *options],
                              env=self.env, capture_output=True, text=True, timeout=300)

    def test_test_only_libraries_are_hidden(self):
        for name in ("cmocka", "libcurl"):
            found = subprocess.run(["pkg-config", "--exists", name], env=self.env)
            self.assertNotEqual(found.returncode, 0, "%s is visible; the check proves nothing" % name)

    def test_asking_for_the_tests_without_their_libraries_says_what_is_missing(self):
        setup = self.meson_setup(os.path.join(self.work, "build-enabled"), "-Dtests=enabled")
        self.assertNotEqual(setup.returncode, 0)
        self.assertIn("cmocka", setup.stdout + setup.stderr)

    def test_configures_builds_and_serves_with_only_the_run_dependencies(self):
        build = os.path.join(self.work, "build")
        setup = self.meson_setup(build)
        self.assertEqual(setup.returncode, 0, setup.stdout[-3000:] + setup.stderr[-3000:])
        self.assertIn("The test suite is not configured", setup.stdout)
        made = subprocess.run(["ninja", "-C", build, "src/statusd"], env=self.env,
                              capture_output=True, text=True, timeout=600)
        self.assertEqual(made.returncode, 0, made.stdout[-3000:])
        server = StatusdServer()
        server.args[0] = os.path.join(build, "src", "statusd")
        with server:  # stop() asserts exit code 0 after SIGTERM
            with urllib.request.urlopen(server.url("/health"), timeout=10) as response:
                self.assertEqual(response.status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
