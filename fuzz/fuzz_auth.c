/* Credentials (src/endpoints/auth.c): the Basic decoder behind /basic-auth, /hidden-basic-auth and
 * /proxy-auth and the Bearer token check, which are static, so auth.c is compiled into this
 * file; and utf8_printable (src/utf8.c), which decides whether a user name may be shown in a
 * note. (Digest credentials are parsed by libmicrohttpd, not here.)
 *
 * The input is a header value. Each check is compared with a reference written from the RFC
 * (7617 for Basic, 6750 for Bearer, 4648 for base64, Unicode table 3-7 for UTF-8): above
 * all, only the base64 of exactly "user:password" may be accepted. */
#include "fuzz.h"

#include "auth.c"

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

static struct request *new_request(void)
{
    struct request *request = calloc(1, sizeof *request);
    FUZZ_ASSERT(request != NULL);
    return request;
}

static void check_basic_credentials(const char *value)
{
    struct request *request = new_request();
    struct basic_check check;
    check_basic_value(request, value, EXPECTED_USER, EXPECTED_PASSWORD, &check);
    size_t length = 0;
    const char *encoded = reference_credentials(value, "Basic", &length);
    if (!encoded) {
        FUZZ_ASSERT(check.outcome == BASIC_OTHER_SCHEME);
        FUZZ_ASSERT(check.sent_user == NULL);
        free(request);
        return;
    }
    char *decoded = malloc(length + 1);
    FUZZ_ASSERT(decoded != NULL);
    size_t decoded_length = 0;
    bool readable = length <= BASIC_MAX_BASE64 &&
                    reference_base64(encoded, length, decoded, &decoded_length);
    const char *colon = readable ? memchr(decoded, ':', decoded_length) : NULL;
    if (!colon) {
        FUZZ_ASSERT(check.outcome == BASIC_MALFORMED);
        FUZZ_ASSERT(check.sent_user == NULL);
    } else {
        size_t user_length = (size_t)(colon - decoded);
        bool user_ok = user_length == strlen(EXPECTED_USER) &&
                       memcmp(decoded, EXPECTED_USER, user_length) == 0;
        bool password_ok = decoded_length - user_length - 1 == strlen(EXPECTED_PASSWORD) &&
                           memcmp(colon + 1, EXPECTED_PASSWORD, strlen(EXPECTED_PASSWORD)) == 0;
        enum basic_outcome expected = !user_ok       ? BASIC_WRONG_USER
                                      : !password_ok ? BASIC_WRONG_PASSWORD
                                                     : BASIC_ACCEPTED;
        if (check.outcome != expected)
            fprintf(stderr, "outcome %d, expected %d for \"%.*s\"\n", (int)check.outcome,
                    (int)expected, (int)decoded_length, decoded);
        FUZZ_ASSERT(check.outcome == expected);
        /* The user a note may show is the one sent, and only as printable text. */
        if (check.sent_user) {
            FUZZ_ASSERT(strlen(check.sent_user) == user_length);
            FUZZ_ASSERT(memcmp(check.sent_user, decoded, user_length) == 0);
            FUZZ_ASSERT(utf8_printable(check.sent_user, user_length));
        }
    }
    /* The note for each outcome fits the arena and passes as text. */
    const char *en = NULL, *zh = NULL;
    basic_note(request, "Authorization", EXPECTED_USER, &check, &en, &zh);
    FUZZ_ASSERT(en != NULL && zh != NULL);
    free(decoded);
    free(request);
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
    FUZZ_ASSERT(is_b64token(token, length) == reference_b64token(token, length));
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
