"""Authentication as real clients do it (SPEC §6): the curl command line (-u, --digest) and
Python's urllib handlers, which read the challenge, answer it and retry on their own. A client
that cannot finish the handshake with statusd's challenge fails here, whatever the raw bytes
look like.

Every client call is bounded (curl --max-time, subprocess and urlopen timeouts), and proxies
from the environment are bypassed so the requests stay on loopback.
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import StatusdServer  # noqa: E402

SERVER = None
CLIENT_TIMEOUT = 10
PARALLEL_CLIENTS = 8


def setUpModule():
    global SERVER
    SERVER = StatusdServer().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()  # asserts exit code 0 after SIGTERM


def curl_status(path, *options):
    """Runs the curl CLI on path; returns the final HTTP status as an int."""
    command = ["curl", "--silent", "--show-error", "--noproxy", "*", "--output", os.devnull,
               "--write-out", "%{http_code}", "--max-time", str(CLIENT_TIMEOUT), *options,
               SERVER.url(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CLIENT_TIMEOUT + 5)
    if done.returncode != 0:
        raise AssertionError("curl failed (%d): %s" % (done.returncode, done.stderr))
    return int(done.stdout)


def urllib_status(path, handler_class, user, password):
    """Opens path with urllib and an auth handler; returns the status, or the HTTPError's."""
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, SERVER.base_url, user, password)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         handler_class(passwords))
    try:
        with opener.open(SERVER.url(path), timeout=CLIENT_TIMEOUT) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        error.close()
        return error.code


class CurlCommandLine(unittest.TestCase):
    def test_curl_basic_with_right_credentials_is_200(self):
        self.assertEqual(curl_status("/basic-auth/user/passwd", "-u", "user:passwd"), 200)

    def test_curl_basic_with_wrong_password_is_401(self):
        self.assertEqual(curl_status("/basic-auth/user/passwd", "-u", "user:wrong"), 401)

    def test_curl_basic_without_credentials_is_401(self):
        self.assertEqual(curl_status("/basic-auth/user/passwd"), 401)

    def test_curl_digest_md5_is_200(self):
        self.assertEqual(curl_status("/digest-auth/auth/user/passwd/MD5",
                                     "--digest", "-u", "user:passwd"), 200)

    def test_curl_digest_sha256_is_200(self):
        self.assertEqual(curl_status("/digest-auth/auth/user/passwd/SHA-256",
                                     "--digest", "-u", "user:passwd"), 200)

    def test_curl_digest_without_algorithm_is_200(self):
        self.assertEqual(curl_status("/digest-auth/auth/user/passwd",
                                     "--digest", "-u", "user:passwd"), 200)

    def test_curl_digest_with_wrong_password_is_401(self):
        for algorithm in ("MD5", "SHA-256"):
            with self.subTest(algorithm=algorithm):
                self.assertEqual(curl_status("/digest-auth/auth/user/passwd/" + algorithm,
                                             "--digest", "-u", "user:wrong"), 401)

    def test_curl_anyauth_finds_digest_on_its_own(self):
        self.assertEqual(curl_status("/digest-auth/auth/user/passwd/SHA-256",
                                     "--anyauth", "-u", "user:passwd"), 200)

    def test_curl_proxy_auth_header_is_200(self):
        # dXNlcjpwYXNzd2Q= is base64 of user:passwd
        self.assertEqual(curl_status("/proxy-auth/user/passwd", "-H",
                                     "Proxy-Authorization: Basic dXNlcjpwYXNzd2Q="), 200)

    def test_curl_oauth2_bearer_is_200(self):
        self.assertEqual(curl_status("/bearer?token=abc", "--oauth2-bearer", "abc"), 200)
        self.assertEqual(curl_status("/bearer?token=abc", "--oauth2-bearer", "abd"), 401)

    def test_parallel_curl_digest_clients_all_pass(self):
        # Each client takes a nonce and answers it while the others do the same; a nonce table
        # too small for them would turn some answers stale.
        def one(index):
            algorithm = "MD5" if index % 2 else "SHA-256"
            return curl_status("/digest-auth/auth/user%d/pw%d/%s" % (index, index, algorithm),
                               "--digest", "-u", "user%d:pw%d" % (index, index))

        with concurrent.futures.ThreadPoolExecutor(PARALLEL_CLIENTS) as pool:
            statuses = list(pool.map(one, range(PARALLEL_CLIENTS),
                                     timeout=CLIENT_TIMEOUT + 10))
        self.assertEqual(statuses, [200] * PARALLEL_CLIENTS)


class PythonUrllib(unittest.TestCase):
    def test_urllib_basic_handler_with_right_credentials_is_200(self):
        self.assertEqual(urllib_status("/basic-auth/user/passwd",
                                       urllib.request.HTTPBasicAuthHandler, "user", "passwd"), 200)

    def test_urllib_basic_handler_with_wrong_password_is_401(self):
        self.assertEqual(urllib_status("/basic-auth/user/passwd",
                                       urllib.request.HTTPBasicAuthHandler, "user", "wrong"), 401)

    def test_urllib_digest_handler_md5_is_200(self):
        # urllib knows only "MD5" spelled so (and SHA-1): statusd must not send "md5".
        self.assertEqual(urllib_status("/digest-auth/auth/user/passwd/MD5",
                                       urllib.request.HTTPDigestAuthHandler, "user", "passwd"),
                         200)

    def test_urllib_digest_handler_with_wrong_password_is_401(self):
        self.assertEqual(urllib_status("/digest-auth/auth/user/passwd/MD5",
                                       urllib.request.HTTPDigestAuthHandler, "user", "wrong"),
                         401)

    def test_urllib_answers_the_md5_challenge_of_status_401_scheme_digest(self):
        # /status/401?scheme=digest offers MD5 and SHA-256; urllib takes the first challenge
        # and knows MD5 only, so it must find MD5 first and answer it (the answer is not
        # checked there: the journal shows that the retry carried it).
        key = "urllib-digest-%d" % os.getpid()
        status = urllib_status("/status/401?scheme=digest&key=" + key,
                               urllib.request.HTTPDigestAuthHandler, "user", "passwd")
        self.assertEqual(status, 401)
        with urllib.request.urlopen(SERVER.url("/journal?key=" + key),
                                    timeout=CLIENT_TIMEOUT) as response:
            records = json.loads(response.read())
        # The challenge, then urllib's answers (it tries again while the nonce keeps changing).
        self.assertGreaterEqual(len(records), 2, records)
        self.assertNotIn("Authorization", records[0]["headers"])
        for record in records[1:]:
            answer = record["headers"].get("Authorization", "")
            self.assertTrue(answer.startswith("Digest "), answer)
            self.assertIn('algorithm="MD5"', answer)


if __name__ == "__main__":
    unittest.main(verbosity=2)
