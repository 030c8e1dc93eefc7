/* HTTP Digest authentication (RFC 7616) for transports that do not implement it themselves
 * (HTTP/2: libmicrohttpd checks Digest only for its own connections). qop=auth with MD5 or
 * SHA-256. Nonces are stateless: the time they were made and a keyed hash binding that time
 * to the realm, the algorithm and the URI, so a nonce from another URL or algorithm, or older
 * than the timeout, is stale. The nonce-count is not remembered between requests (a replayed
 * answer within the timeout is accepted), which RFC 7616 §5.12 names as a server's choice. */
#ifndef STATUSD_DIGEST_H
#define STATUSD_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIGEST_NONCE_SIZE 49 /* 16 hex digits of time, 32 of hash, NUL */
#define DIGEST_FIELD_MAX 256 /* the longest parameter value kept */

enum digest_hash { DIGEST_HASH_MD5, DIGEST_HASH_SHA256 };

/* The parameters of "Digest username=..., realm=..., ..." that the check needs. */
struct digest_credentials {
    char username[DIGEST_FIELD_MAX], realm[DIGEST_FIELD_MAX], nonce[DIGEST_FIELD_MAX],
        uri[DIGEST_FIELD_MAX], response[DIGEST_FIELD_MAX], qop[DIGEST_FIELD_MAX],
        nc[DIGEST_FIELD_MAX], cnonce[DIGEST_FIELD_MAX], algorithm[DIGEST_FIELD_MAX];
};

/* Parses an Authorization value; false when it is not Digest, a parameter is malformed or
 * too long, or username, nonce, uri or response is missing. */
bool digest_parse(const char *authorization, struct digest_credentials *out);

/* A nonce for realm, algorithm and uri, made at now_s with the process's secret key. */
void digest_nonce_make(const unsigned char *key, size_t key_length, uint64_t now_s,
                       const char *realm, enum digest_hash hash, const char *uri,
                       char nonce[DIGEST_NONCE_SIZE]);

enum digest_verdict { DIGEST_VERDICT_OK, DIGEST_VERDICT_WRONG, DIGEST_VERDICT_STALE };

/* Checks credentials sent for method and uri against user and password. */
enum digest_verdict digest_verify(const struct digest_credentials *sent, const unsigned char *key,
                                  size_t key_length, uint64_t now_s, unsigned timeout_s,
                                  const char *method, const char *uri, const char *realm,
                                  enum digest_hash hash, const char *user,
                                  const char *password);

#endif
