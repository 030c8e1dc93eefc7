#include "digest.h"

#include "credentials.h"

#include <gnutls/crypto.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HASH_MAX 32

static size_t hash_hex(enum digest_hash hash, const char *text, size_t length, char *hex)
{
    unsigned char raw[HASH_MAX];
    gnutls_digest_algorithm_t algorithm =
        hash == DIGEST_HASH_MD5 ? GNUTLS_DIG_MD5 : GNUTLS_DIG_SHA256;
    size_t size = hash == DIGEST_HASH_MD5 ? 16 : 32;
    if (gnutls_hash_fast(algorithm, text, length, raw) != 0)
        memset(raw, 0, sizeof raw); /* never matches a client's answer */
    for (size_t i = 0; i < size; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    return 2 * size;
}

/* hash("a:b:c...") of NUL-terminated parts, as hex. */
static void hash_parts(enum digest_hash hash, char *hex, const char *const *parts, size_t count)
{
    char joined[6 * DIGEST_FIELD_MAX + 2 * 65 + 16];
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        size_t length = strlen(parts[i]);
        if (n + length + 1 >= sizeof joined)
            length = 0; /* cannot happen with fields bounded by DIGEST_FIELD_MAX */
        if (i)
            joined[n++] = ':';
        memcpy(joined + n, parts[i], length);
        n += length;
    }
    hash_hex(hash, joined, n, hex);
}

bool digest_parse(const char *authorization, struct digest_credentials *out)
{
    size_t length;
    const char *p = authorization ? credentials_of_scheme(authorization, "Digest", &length)
                                  : NULL;
    if (!p)
        return false;
    memset(out, 0, sizeof *out);
    const char *end = p + length;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        if (p == end)
            break;
        const char *name = p;
        while (p < end && *p != '=' && *p != ',' && *p != ' ')
            p++;
        size_t name_length = (size_t)(p - name);
        if (p == end || *p != '=')
            return false;
        p++;
        char value[DIGEST_FIELD_MAX];
        size_t n = 0;
        if (p < end && *p == '"') {
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\' && p + 1 < end)
                    p++;
                if (n + 1 >= sizeof value)
                    return false;
                value[n++] = *p;
            }
            if (p == end)
                return false; /* no closing quote */
            p++;
        } else {
            for (; p < end && *p != ',' && *p != ' ' && *p != '\t'; p++) {
                if (n + 1 >= sizeof value)
                    return false;
                value[n++] = *p;
            }
        }
        value[n] = '\0';
        static const struct {
            const char *name;
            size_t offset;
        } known[] = {
            { "username", offsetof(struct digest_credentials, username) },
            { "realm", offsetof(struct digest_credentials, realm) },
            { "nonce", offsetof(struct digest_credentials, nonce) },
            { "uri", offsetof(struct digest_credentials, uri) },
            { "response", offsetof(struct digest_credentials, response) },
            { "qop", offsetof(struct digest_credentials, qop) },
            { "nc", offsetof(struct digest_credentials, nc) },
            { "cnonce", offsetof(struct digest_credentials, cnonce) },
            { "algorithm", offsetof(struct digest_credentials, algorithm) },
        };
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (name_length == strlen(known[i].name) &&
                strncasecmp(name, known[i].name, name_length) == 0)
                memcpy((char *)out + known[i].offset, value, n + 1);
    }
    return out->username[0] && out->nonce[0] && out->uri[0] && out->response[0];
}

void digest_nonce_make(const unsigned char *key, size_t key_length, uint64_t now_s,
                       const char *realm, enum digest_hash hash, const char *uri,
                       char nonce[DIGEST_NONCE_SIZE])
{
    char stamp[17];
    snprintf(stamp, sizeof stamp, "%016" PRIx64, now_s);
    unsigned char mac[HASH_MAX];
    char material[3 * DIGEST_FIELD_MAX + 32];
    int n = snprintf(material, sizeof material, "%s:%s:%d:%s", stamp, realm, (int)hash, uri);
    if (n < 0 || (size_t)n >= sizeof material)
        n = (int)strlen(stamp);
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_length, material, (size_t)n, mac) != 0)
        memset(mac, 0, sizeof mac);
    memcpy(nonce, stamp, 16);
    for (size_t i = 0; i < 16; i++)
        snprintf(nonce + 16 + 2 * i, 3, "%02x", mac[i]);
}

enum digest_verdict digest_verify(const struct digest_credentials *sent, const unsigned char *key,
                                  size_t key_length, uint64_t now_s, unsigned timeout_s,
                                  const char *method, const char *uri, const char *realm,
                                  enum digest_hash hash, const char *user,
                                  const char *password)
{
    if (strlen(sent->nonce) != DIGEST_NONCE_SIZE - 1)
        return DIGEST_VERDICT_STALE;
    uint64_t made = 0;
    if (sscanf(sent->nonce, "%16" SCNx64, &made) != 1)
        return DIGEST_VERDICT_STALE;
    char expected_nonce[DIGEST_NONCE_SIZE];
    digest_nonce_make(key, key_length, made, realm, hash, uri, expected_nonce);
    if (!credentials_equal(sent->nonce, strlen(sent->nonce), expected_nonce,
                           DIGEST_NONCE_SIZE - 1) ||
        made > now_s || now_s - made > timeout_s)
        return DIGEST_VERDICT_STALE;
    const char *name = hash == DIGEST_HASH_MD5 ? "MD5" : "SHA-256";
    if ((sent->algorithm[0] && strcasecmp(sent->algorithm, name) != 0) ||
        strcmp(sent->realm, realm) != 0 || strcmp(sent->uri, uri) != 0 ||
        strcmp(sent->qop, "auth") != 0 || !sent->nc[0] || !sent->cnonce[0] ||
        strcmp(sent->username, user) != 0)
        return DIGEST_VERDICT_WRONG;
    char ha1[2 * HASH_MAX + 1], ha2[2 * HASH_MAX + 1], response[2 * HASH_MAX + 1];
    hash_parts(hash, ha1, (const char *const[]){ user, realm, password }, 3);
    hash_parts(hash, ha2, (const char *const[]){ method, uri }, 2);
    hash_parts(hash, response,
               (const char *const[]){ ha1, sent->nonce, sent->nc, sent->cnonce, "auth", ha2 },
               6);
    size_t size = hash == DIGEST_HASH_MD5 ? 32 : 64;
    char lower[DIGEST_FIELD_MAX];
    size_t n = strlen(sent->response);
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)(sent->response[i] >= 'A' && sent->response[i] <= 'F'
                              ? sent->response[i] - 'A' + 'a'
                              : sent->response[i]);
    return credentials_equal(lower, n, response, size) ? DIGEST_VERDICT_OK
                                                       : DIGEST_VERDICT_WRONG;
}
