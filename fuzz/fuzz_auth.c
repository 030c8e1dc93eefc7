/* Credentials (src/lib/credentials.c): the Basic decoder behind /basic-auth,
 * /hidden-basic-auth and /proxy-auth and the Bearer token check; and utf8_printable
 * (src/lib/utf8.c), which decides whether a user name may be shown in a note. (Digest
 * credentials: libmicrohttpd over HTTP/1.1, fuzz_digest.c over HTTP/2.)
 *
 * The input is a header value. Each check is compared with a reference written from the RFC
 * (7617 for Basic, 6750 for Bearer, 4648 for base64, Unicode table 3-7 for UTF-8): above
 * all, only the base64 of exactly "user:password" may be accepted. */
#include "fuzz.h"

#include "credentials.h"
#include "utf8.h"

#include <strings.h>

#define EXPECTED_USER "Aladdin"
#define EXPECTED_PASSWORD "open:sesame" /* a password may hold ':' (RFC 7617 §2) */

static int base64_value(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = c ? strchr(alphabet, c) : NULL;
    return at ? (int)(at - alphabet) : -1;
}

/* RFC 4648 §4 with padding, canonical: bits the padding leaves over must be zero (§3.5 lets a
 * decoder insist, and GnuTLS does). */
static bool reference_base64(const char *text, size_t length, char *out, size_t *out_length)
{
    if (length == 0 || length % 4 != 0)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < length; i += 4) {
        int v[4];
        size_t padding = 0;
        for (size_t k = 0; k < 4; k++) {
            bool last_quantum = i + 4 == length;
            if (text[i + k] == '=' && last_quantum && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                v[k] = 0;
                padding++;
                continue;
            }
            v[k] = base64_value(text[i + k]);
            if (v[k] < 0 || padding)
                return false;
        }
        unsigned bits = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        if ((padding == 1 && (bits & 0xFF)) || (padding == 2 && (bits & 0xFFFF)))
            return false;
        out[n++] = (char)(bits >> 16);
        if (padding < 2)
            out[n++] = (char)(bits >> 8);
        if (padding < 1)
            out[n++] = (char)bits;
    }
    *out_length = n;
    return true;
}

/* RFC 9110 §11.1: the scheme is case-insensitive; then spaces, the credentials, maybe
 * trailing blanks. */
static const char *reference_credentials(const char *value, const char *scheme, size_t *length)
{
    size_t n = strlen(scheme);
    if (strncasecmp(value, scheme, n) != 0 || (value[n] != ' ' && value[n] != '\0'))
        return NULL;
    const char *p = value + n + strspn(value + n, " ");
    size_t end = strlen(p);
    while (end && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        end--;
    *length = end;
    return p;
}

static void check_basic_credentials(const char *value)
{
    size_t length = 0, sent_length = 0;
    const char *encoded = reference_credentials(value, "Basic", &length);
    const char *sent = credentials_of_scheme(value, "Basic", &sent_length);
    FUZZ_ASSERT(sent == encoded);
    if (!encoded)
        return;
    FUZZ_ASSERT(sent_length == length);
    char *reference = malloc(length + 1);
    FUZZ_ASSERT(reference != NULL);
    size_t reference_length = 0;
    bool readable = length <= CREDENTIALS_BASIC_MAX_BASE64 &&
                    reference_base64(encoded, length, reference, &reference_length);
    const char *colon = readable ? memchr(reference, ':', reference_length) : NULL;
    /* Exactly on the heap: a write past the documented size is an ASan report. */
    char *decoded = malloc(CREDENTIALS_BASIC_MAX_DECODED);
    FUZZ_ASSERT(decoded != NULL);
    size_t decoded_length = 0, user_length = 0;
    bool accepted =
        credentials_basic_decode(encoded, length, decoded, &decoded_length, &user_length);
    if (accepted != (colon != NULL))
        fprintf(stderr, "accepted %d, reference %d\n", (int)accepted, colon != NULL);
    FUZZ_ASSERT(accepted == (colon != NULL));
    if (accepted) {
        /* The same bytes, split at the same (first) colon: only the base64 of exactly
         * "user:password" gives back that user and password. */
        FUZZ_ASSERT(decoded_length == reference_length);
        FUZZ_ASSERT(memcmp(decoded, reference, decoded_length) == 0);
        FUZZ_ASSERT(user_length == (size_t)(colon - reference));
        bool user_ok = credentials_equal(decoded, user_length, EXPECTED_USER,
                                         strlen(EXPECTED_USER));
        FUZZ_ASSERT(user_ok == (user_length == strlen(EXPECTED_USER) &&
                                memcmp(decoded, EXPECTED_USER, user_length) == 0));
    }
    free(decoded);
    free(reference);
}

/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool reference_b64token(const char *token, size_t length)
{
    size_t i = 0;
    while (i < length && token[i] != '\0' &&
           ((token[i] >= 'A' && token[i] <= 'Z') || (token[i] >= 'a' && token[i] <= 'z') ||
            (token[i] >= '0' && token[i] <= '9') || strchr("-._~+/", token[i])))
        i++;
    if (i == 0)
        return false;
    while (i < length && token[i] == '=')
        i++;
    return i == length;
}

static void check_bearer(const char *value)
{
    size_t length = 0, expected_length = 0;
    const char *token = credentials_of_scheme(value, "Bearer", &length);
    const char *expected = reference_credentials(value, "Bearer", &expected_length);
    FUZZ_ASSERT(token == expected);
    if (!token)
        return;
    FUZZ_ASSERT(length == expected_length && length <= strlen(token));
    FUZZ_ASSERT(credentials_is_b64token(token, length) == reference_b64token(token, length));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_string(data, size);
    check_basic_credentials(value);
    check_bearer(value);
    /* On the raw bytes, NULs included: user names come from the path, percent-decoded. */
    uint8_t *bytes = malloc(size ? size : 1);
    FUZZ_ASSERT(bytes != NULL);
    if (size)
        memcpy(bytes, data, size);
    FUZZ_ASSERT(utf8_printable((const char *)bytes, size) ==
                fuzz_reference_utf8(bytes, size, true));
    free(bytes);
    free(value);
    return 0;
}
