/* Credentials in header values: see credentials.h for the contract. */
#include "credentials.h"

#include <gnutls/gnutls.h>
#include <string.h>
#include <strings.h>

const char *credentials_of_scheme(const char *value, const char *scheme, size_t *length)
{
    size_t n = strlen(scheme);
    if (strncasecmp(value, scheme, n) != 0 || (value[n] != ' ' && value[n] != '\0'))
        return NULL;
    const char *p = value + n;
    while (*p == ' ')
        p++;
    size_t end = strlen(p);
    while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        end--;
    *length = end;
    return p;
}

/* Plain base64 (RFC 4648 §4) with its padding: what Basic credentials are made of. */
static bool is_base64(const char *text, size_t length)
{
    if (length == 0 || length % 4 != 0)
        return false;
    size_t padding = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '+' || c == '/';
        if (c == '=' && i + 2 >= length)
            padding++;
        else if (!letter || padding)
            return false;
    }
    return padding <= 2;
}

bool credentials_basic_decode(const char *encoded, size_t length,
                              char out[CREDENTIALS_BASIC_MAX_DECODED], size_t *decoded_length,
                              size_t *user_length)
{
    if (length > CREDENTIALS_BASIC_MAX_BASE64 || !is_base64(encoded, length))
        return false;
    /* GnuTLS decodes (and refuses non-canonical padding bits): no hand-written decoder. */
    gnutls_datum_t in = { (unsigned char *)encoded, (unsigned)length };
    gnutls_datum_t decoded = { NULL, 0 };
    if (gnutls_base64_decode2(&in, &decoded) != GNUTLS_E_SUCCESS)
        return false;
    size_t n = decoded.size < CREDENTIALS_BASIC_MAX_DECODED ? decoded.size
                                                            : CREDENTIALS_BASIC_MAX_DECODED;
    memcpy(out, decoded.data, n);
    gnutls_free(decoded.data);
    /* RFC 7617 §2: the user cannot hold a colon, the password can. */
    const char *colon = memchr(out, ':', n);
    if (!colon)
        return false;
    *decoded_length = n;
    *user_length = (size_t)(colon - out);
    return true;
}

bool credentials_is_b64token(const char *text, size_t length)
{
    size_t i = 0;
    while (i < length && text[i] != '\0' &&
           (strchr("-._~+/", text[i]) || (text[i] >= '0' && text[i] <= '9') ||
            (text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z')))
        i++;
    if (i == 0)
        return false;
    while (i < length && text[i] == '=')
        i++;
    return i == length;
}

bool credentials_equal(const char *given, size_t given_length, const char *expected,
                       size_t expected_length)
{
    unsigned difference = given_length != expected_length;
    for (size_t i = 0; i < expected_length; i++)
        difference |= (unsigned char)expected[i] ^ (unsigned char)(i < given_length ? given[i] : 0);
    return difference == 0;
}
