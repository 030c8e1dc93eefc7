/* Content codings (RFC 9110 §8.4.1): gzip, deflate (the zlib format, RFC 9110 §8.4.1.2),
 * br and zstd, through Debian's zlib, libbrotli and libzstd. Pure functions over buffers: a
 * response body is compressed whole (the render-once caches keep the result), and a request
 * body is decompressed with a bound on what it may grow to. */
#ifndef STATUSD_CODING_H
#define STATUSD_CODING_H

#include <stdbool.h>
#include <stddef.h>

/* Identity first: a zeroed field means "not coded". */
enum coding { CODING_IDENTITY, CODING_GZIP, CODING_DEFLATE, CODING_BR, CODING_ZSTD, CODING_COUNT };

/* The tokens of the HTTP registry: "identity", "gzip", "deflate", "br", "zstd". */
extern const char *const coding_names[CODING_COUNT];

/* The codings other than identity, as Accept-Encoding would list them. */
#define CODING_LIST "gzip, deflate, br, zstd"

/* The coding a token names (case-insensitive; "x-gzip" is gzip, RFC 9110 §8.4.1.3); false
 * for a token statusd does not know. */
bool coding_from_name(const char *name, size_t length, enum coding *coding);

/* in[0, length) coded with coding, in a malloc'ed buffer (*out_length bytes); NULL when out of
 * memory or the library fails. Identity is a copy. */
char *coding_compress(enum coding coding, const char *in, size_t length, size_t *out_length);

/* A coded form of a body kept for good in a once slot (once.h). */
struct coded_form {
    char *bytes;
    size_t length;
};
struct once;
/* The coded form of in[0, length) in slot, made the first time (later callers share it);
 * NULL when it cannot be made. Every caller of one slot must pass the same bytes. */
const struct coded_form *coding_once(struct once *slot, enum coding coding, const char *in,
                                     size_t length);
/* Frees a form (once_clear's destroy). */
void coded_form_free(void *form);

enum coding_decoded {
    CODING_DECODED,     /* *out holds the decoded bytes */
    CODING_CORRUPT,     /* not valid data of that coding (truncated, bad checksum, ...) */
    CODING_TOO_LARGE,   /* it decodes to more than limit bytes: decoding stopped there */
    CODING_NO_MEMORY,
};

/* Decodes in[0, length) into a malloc'ed buffer *out (*out_length bytes; *out may be NULL
 * when the result is empty). Never holds more than limit + a buffer's worth of output, so a
 * small bomb cannot take memory: it stops as soon as the output passes limit. */
enum coding_decoded coding_decompress(enum coding coding, const char *in, size_t length,
                                      size_t limit, char **out, size_t *out_length);

#endif
