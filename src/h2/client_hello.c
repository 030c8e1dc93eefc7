#include "client_hello.h"

#include <stdbool.h>
#include <string.h>

static const char preface[CLIENT_HELLO_PREFACE_LENGTH + 1] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum client_hello_result client_hello_classify_plain(const uint8_t *bytes, size_t length)
{
    size_t compared = length < CLIENT_HELLO_PREFACE_LENGTH ? length : CLIENT_HELLO_PREFACE_LENGTH;
    if (memcmp(bytes, preface, compared) != 0)
        return CLIENT_HELLO_NOT_H2;
    return compared == CLIENT_HELLO_PREFACE_LENGTH ? CLIENT_HELLO_H2 : CLIENT_HELLO_NEED_MORE;
}

/* --- TLS ------------------------------------------------------------------------------- */

enum {
    RECORD_HEADER = 5,       /* content type, version (2), length (2) */
    RECORD_HANDSHAKE = 22,   /* content type of handshake records */
    RECORD_MAX = 1 << 14,    /* a plaintext record carries at most 2^14 bytes (RFC 8446 §5.1) */
    HANDSHAKE_HEADER = 4,    /* message type, length (3) */
    HANDSHAKE_CLIENT_HELLO = 1,
    EXTENSION_ALPN = 16,
};

/* A read-only cursor over the ClientHello body; any read past its end sets `broken`, so the
 * parser checks once at the end of each step instead of before every byte. */
struct cursor {
    const uint8_t *at;
    size_t left;
    bool broken;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
    if (c->broken || n > c->left) {
        c->broken = true;
        return NULL;
    }
    const uint8_t *start = c->at;
    c->at += n;
    c->left -= n;
    return start;
}

static size_t take_number(struct cursor *c, size_t width)
{
    const uint8_t *p = take(c, width);
    size_t value = 0;
    for (size_t i = 0; p && i < width; i++)
        value = value << 8 | p[i];
    return value;
}

/* The ALPN extension's data: a 2-byte length, then names, each a 1-byte length and bytes. */
static bool alpn_offers_h2(struct cursor extension)
{
    size_t list_length = take_number(&extension, 2);
    if (extension.broken || list_length != extension.left)
        return false;
    while (extension.left > 0) {
        size_t name_length = take_number(&extension, 1);
        const uint8_t *name = take(&extension, name_length);
        if (extension.broken || name_length == 0)
            return false; /* RFC 7301 §3.1: names are never empty */
        if (name_length == 2 && memcmp(name, "h2", 2) == 0)
            return true;
    }
    return false;
}

/* The ClientHello body (after its 4-byte handshake header). */
static enum client_hello_result classify_body(struct cursor body)
{
    take(&body, 2 + 32);                   /* legacy_version, random */
    take(&body, take_number(&body, 1));    /* legacy_session_id */
    take(&body, take_number(&body, 2));    /* cipher_suites */
    take(&body, take_number(&body, 1));    /* legacy_compression_methods */
    if (body.broken || body.left == 0)
        return CLIENT_HELLO_NOT_H2; /* no extensions at all (an old TLS 1.0 client) */
    size_t extensions_length = take_number(&body, 2);
    if (body.broken || extensions_length != body.left)
        return CLIENT_HELLO_NOT_H2;
    while (body.left > 0) {
        size_t type = take_number(&body, 2);
        size_t data_length = take_number(&body, 2);
        const uint8_t *data = take(&body, data_length);
        if (body.broken)
            return CLIENT_HELLO_NOT_H2;
        if (type == EXTENSION_ALPN)
            return alpn_offers_h2((struct cursor){ data, data_length, false })
                       ? CLIENT_HELLO_H2
                       : CLIENT_HELLO_NOT_H2; /* each extension appears at most once */
    }
    return CLIENT_HELLO_NOT_H2;
}

enum client_hello_result client_hello_classify(const uint8_t *bytes, size_t length)
{
    /* Decided on the first CLIENT_HELLO_MAX_BYTES only, so that a result never changes as
     * more bytes arrive and no caller needs to peek further. */
    if (length > CLIENT_HELLO_MAX_BYTES)
        length = CLIENT_HELLO_MAX_BYTES;
    if (length >= 1 && bytes[0] != RECORD_HANDSHAKE)
        return CLIENT_HELLO_NOT_TLS;
    if (length >= 2 && bytes[1] != 3)
        return CLIENT_HELLO_NOT_TLS; /* record versions are 3.x, SSL 3.0 to TLS 1.3 */
    /* The ClientHello may be split over several handshake records (RFC 8446 §5.1): gather
     * their payloads. They all fit the bound, so this copy does too. */
    uint8_t message[CLIENT_HELLO_MAX_BYTES];
    size_t gathered = 0, offset = 0;
    size_t needed = HANDSHAKE_HEADER; /* grows to the whole message once its length is known */
    while (gathered < needed) {
        if (length - offset < RECORD_HEADER)
            break;
        const uint8_t *record = bytes + offset;
        if (record[0] != RECORD_HANDSHAKE || record[1] != 3)
            return CLIENT_HELLO_NOT_H2; /* another record before the hello is whole */
        size_t record_length = (size_t)record[3] << 8 | record[4];
        if (record_length == 0 || record_length > RECORD_MAX)
            return CLIENT_HELLO_NOT_H2; /* empty handshake fragments are forbidden (§5.1) */
        size_t available = length - offset - RECORD_HEADER;
        size_t copied = available < record_length ? available : record_length;
        memcpy(message + gathered, record + RECORD_HEADER, copied);
        gathered += copied;
        offset += RECORD_HEADER + copied;
        if (gathered >= HANDSHAKE_HEADER && needed == HANDSHAKE_HEADER) {
            if (message[0] != HANDSHAKE_CLIENT_HELLO)
                return CLIENT_HELLO_NOT_H2;
            size_t body_length =
                (size_t)message[1] << 16 | (size_t)message[2] << 8 | message[3];
            /* Even split into records it must fit the peek bound (5 bytes per record). */
            if (body_length + HANDSHAKE_HEADER + RECORD_HEADER > CLIENT_HELLO_MAX_BYTES)
                return CLIENT_HELLO_NOT_H2;
            needed = HANDSHAKE_HEADER + body_length;
        }
        if (copied < record_length)
            break; /* the record continues past the bytes seen so far */
    }
    if (gathered < needed)
        return length >= CLIENT_HELLO_MAX_BYTES ? CLIENT_HELLO_NOT_H2 : CLIENT_HELLO_NEED_MORE;
    /* Bytes after the message in its last record belong to later handshake messages. */
    return classify_body((struct cursor){ message + HANDSHAKE_HEADER, needed - HANDSHAKE_HEADER,
                                          false });
}
