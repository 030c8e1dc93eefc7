/* Content codings through zlib, libbrotli and libzstd: see coding.h. */
#include "coding.h"

#include "once.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

const char *const coding_names[CODING_COUNT] = {
    [CODING_IDENTITY] = "identity",
    [CODING_GZIP] = "gzip",
    [CODING_DEFLATE] = "deflate",
    [CODING_BR] = "br",
    [CODING_ZSTD] = "zstd",
};

/* Levels: each library's usual middle ground. Brotli's default (11) is meant for compressing
 * once ahead of time and is many times slower; 5 costs about what gzip's 6 does per
 * response (bench/encodings). */
#define GZIP_LEVEL Z_DEFAULT_COMPRESSION
#define BROTLI_QUALITY 5
#define ZSTD_LEVEL 3
/* RFC 9659 §3 (zstd in HTTP): a decoder need not accept windows over 8 MB; refusing bigger
 * ones keeps a small request from making the decoder allocate up to 128 MB. */
#define ZSTD_WINDOW_LOG_MAX 23

bool coding_from_name(const char *name, size_t length, enum coding *coding)
{
    for (int c = 0; c < CODING_COUNT; c++)
        if (strlen(coding_names[c]) == length && strncasecmp(name, coding_names[c], length) == 0) {
            *coding = (enum coding)c;
            return true;
        }
    if (length == 6 && strncasecmp(name, "x-gzip", 6) == 0) {
        *coding = CODING_GZIP;
        return true;
    }
    return false;
}

/* ---- compression: one call, the whole buffer ------------------------------------------- */

static char *zlib_compress(const char *in, size_t length, bool gzip, size_t *out_length)
{
    if (length > UINT_MAX)
        return NULL;
    z_stream z = { 0 };
    /* 15 bits of window; +16 asks zlib for the gzip wrapper instead of the zlib one. */
    if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + (gzip ? 16 : 0), 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return NULL;
    uLong bound = deflateBound(&z, (uLong)length);
    char *out = malloc(bound ? bound : 1);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)length;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)bound;
    /* deflateBound is enough for one Z_FINISH call to end the stream. */
    int result = deflate(&z, Z_FINISH);
    *out_length = (size_t)z.total_out;
    deflateEnd(&z);
    if (result != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static char *brotli_compress(const char *in, size_t length, size_t *out_length)
{
    size_t bound = BrotliEncoderMaxCompressedSize(length);
    if (bound == 0)
        bound = length + 64; /* 0 means "no bound known" for tiny or huge inputs */
    char *out = malloc(bound);
    if (!out)
        return NULL;
    *out_length = bound;
    if (!BrotliEncoderCompress(BROTLI_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, length,
                               (const uint8_t *)in, out_length, (uint8_t *)out)) {
        free(out);
        return NULL;
    }
    return out;
}

static char *zstd_compress(const char *in, size_t length, size_t *out_length)
{
    size_t bound = ZSTD_compressBound(length);
    char *out = malloc(bound);
    if (!out)
        return NULL;
    size_t n = ZSTD_compress(out, bound, in, length, ZSTD_LEVEL);
    if (ZSTD_isError(n)) {
        free(out);
        return NULL;
    }
    *out_length = n;
    return out;
}

char *coding_compress(enum coding coding, const char *in, size_t length, size_t *out_length)
{
    switch (coding) {
    case CODING_GZIP: return zlib_compress(in, length, true, out_length);
    case CODING_DEFLATE: return zlib_compress(in, length, false, out_length);
    case CODING_BR: return brotli_compress(in, length, out_length);
    case CODING_ZSTD: return zstd_compress(in, length, out_length);
    case CODING_IDENTITY:
    case CODING_COUNT:
        break;
    }
    char *copy = malloc(length ? length : 1);
    if (copy) {
        memcpy(copy, in, length);
        *out_length = length;
    }
    return copy;
}

void coded_form_free(void *value)
{
    struct coded_form *form = value;
    if (form)
        free(form->bytes);
    free(form);
}

struct coded_form_build {
    enum coding coding;
    const char *in;
    size_t length;
};

static void *build_coded_form(void *context)
{
    const struct coded_form_build *b = context;
    struct coded_form *form = malloc(sizeof *form);
    if (!form)
        return NULL;
    form->bytes = coding_compress(b->coding, b->in, b->length, &form->length);
    if (!form->bytes) {
        free(form);
        return NULL;
    }
    return form;
}

const struct coded_form *coding_once(struct once *slot, enum coding coding, const char *in,
                                     size_t length)
{
    struct coded_form_build build = { coding, in, length };
    return once_get(slot, build_coded_form, coded_form_free, &build);
}

/* ---- decompression: bounded output ----------------------------------------------------- */

/* The growing output of a decoder: at most limit + 1 bytes, so "more than limit" is seen
 * without holding more. */
struct output {
    char *bytes;
    size_t length;
    size_t capacity;
    size_t limit;
};

/* Room for more output; false when out of memory or when the output is already over limit
 * (a caller checks length > limit first). */
static bool grow(struct output *o, size_t hint)
{
    if (o->length < o->capacity)
        return true;
    size_t most = o->limit < SIZE_MAX ? o->limit + 1 : SIZE_MAX;
    if (o->capacity >= most)
        return false;
    size_t capacity = o->capacity ? o->capacity * 2 : (hint < 4096 ? 4096 : hint);
    if (capacity > most || capacity < o->capacity)
        capacity = most;
    char *bytes = realloc(o->bytes, capacity);
    if (!bytes)
        return false;
    o->bytes = bytes;
    o->capacity = capacity;
    return true;
}

static enum coding_decoded grow_or_fail(struct output *o, size_t hint)
{
    if (o->length > o->limit)
        return CODING_TOO_LARGE;
    return grow(o, hint) ? CODING_DECODED : CODING_NO_MEMORY;
}

/* Input is fed in pieces a uInt can count. */
static uInt zlib_piece(size_t left)
{
    return left > UINT_MAX ? UINT_MAX : (uInt)left;
}

/* gzip (window_bits 15 + 16) or the zlib format (15). A gzip body may hold several members
 * one after the other (RFC 1952 §2.2): each is decoded in turn. */
static enum coding_decoded zlib_decompress(const char *in, size_t length, bool gzip,
                                           struct output *o)
{
    z_stream z = { 0 };
    if (inflateInit2(&z, 15 + (gzip ? 16 : 0)) != Z_OK)
        return CODING_NO_MEMORY;
    const char *next = in;
    size_t left = length;
    enum coding_decoded result = CODING_CORRUPT;
    for (;;) {
        enum coding_decoded room = grow_or_fail(o, length * 4);
        if (room != CODING_DECODED) {
            result = room;
            break;
        }
        z.next_in = (Bytef *)next;
        z.avail_in = zlib_piece(left);
        uInt fed = z.avail_in;
        size_t space = o->capacity - o->length;
        z.next_out = (Bytef *)(o->bytes + o->length);
        z.avail_out = zlib_piece(space);
        uInt offered = z.avail_out;
        int status = inflate(&z, Z_NO_FLUSH);
        next += fed - z.avail_in;
        left -= fed - z.avail_in;
        o->length += offered - z.avail_out;
        if (status == Z_STREAM_END) {
            if (o->length > o->limit) {
                result = CODING_TOO_LARGE;
                break;
            }
            if (left == 0) {
                result = CODING_DECODED;
                break;
            }
            if (!gzip || inflateReset(&z) != Z_OK)
                break; /* bytes after the end of the stream: corrupt */
            continue;
        }
        if (status == Z_MEM_ERROR) {
            result = CODING_NO_MEMORY;
            break;
        }
        if (status != Z_OK && status != Z_BUF_ERROR)
            break; /* Z_DATA_ERROR, Z_NEED_DICT: corrupt */
        /* No input left and room to spare, yet no end: the stream was cut short. */
        if (left == 0 && z.avail_out > 0)
            break;
    }
    inflateEnd(&z);
    return result;
}

static enum coding_decoded brotli_decompress(const char *in, size_t length, struct output *o)
{
    BrotliDecoderState *state = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!state)
        return CODING_NO_MEMORY;
    const uint8_t *next_in = (const uint8_t *)in;
    size_t available_in = length;
    enum coding_decoded result = CODING_CORRUPT;
    for (;;) {
        enum coding_decoded room = grow_or_fail(o, length * 4);
        if (room != CODING_DECODED) {
            result = room;
            break;
        }
        size_t available_out = o->capacity - o->length;
        uint8_t *next_out = (uint8_t *)o->bytes + o->length;
        BrotliDecoderResult status = BrotliDecoderDecompressStream(
            state, &available_in, &next_in, &available_out, &next_out, NULL);
        o->length = (size_t)((char *)next_out - o->bytes);
        if (status == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
            continue;
        if (status == BROTLI_DECODER_RESULT_SUCCESS)
            result = o->length > o->limit ? CODING_TOO_LARGE
                     : available_in == 0  ? CODING_DECODED
                                          : CODING_CORRUPT; /* bytes after the end */
        break; /* NEEDS_MORE_INPUT (cut short) or ERROR: corrupt */
    }
    BrotliDecoderDestroyInstance(state);
    return result;
}

static enum coding_decoded zstd_decompress(const char *in, size_t length, struct output *o)
{
    ZSTD_DCtx *context = ZSTD_createDCtx();
    if (!context)
        return CODING_NO_MEMORY;
    enum coding_decoded result = CODING_CORRUPT;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX))) {
        ZSTD_freeDCtx(context);
        return CODING_NO_MEMORY;
    }
    ZSTD_inBuffer input = { in, length, 0 };
    for (;;) {
        enum coding_decoded room = grow_or_fail(o, length * 4);
        if (room != CODING_DECODED) {
            result = room;
            break;
        }
        ZSTD_outBuffer output = { o->bytes + o->length, o->capacity - o->length, 0 };
        size_t status = ZSTD_decompressStream(context, &output, &input);
        o->length += output.pos;
        if (ZSTD_isError(status))
            break;
        if (o->length > o->limit) {
            result = CODING_TOO_LARGE;
            break;
        }
        /* 0: a frame ended here; the input may hold further frames (each decoded in turn). */
        if (status == 0 && input.pos == input.size) {
            result = CODING_DECODED;
            break;
        }
        if (input.pos == input.size && output.pos < output.size)
            break; /* a frame still open and nothing left to feed it: cut short */
    }
    ZSTD_freeDCtx(context);
    return result;
}

enum coding_decoded coding_decompress(enum coding coding, const char *in, size_t length,
                                      size_t limit, char **out, size_t *out_length)
{
    struct output o = { .limit = limit };
    enum coding_decoded result;
    switch (coding) {
    case CODING_GZIP: result = zlib_decompress(in, length, true, &o); break;
    case CODING_DEFLATE: result = zlib_decompress(in, length, false, &o); break;
    case CODING_BR: result = brotli_decompress(in, length, &o); break;
    case CODING_ZSTD: result = zstd_decompress(in, length, &o); break;
    default:
        result = length > limit ? CODING_TOO_LARGE : CODING_DECODED;
        if (result == CODING_DECODED && length) {
            o.bytes = malloc(length);
            if (o.bytes) {
                memcpy(o.bytes, in, length);
                o.length = length;
            } else {
                result = CODING_NO_MEMORY;
            }
        }
        break;
    }
    if (result != CODING_DECODED) {
        free(o.bytes);
        o = (struct output){ 0 };
    }
    *out = o.bytes;
    *out_length = o.length;
    return result;
}
