/* What a new connection's first bytes say (src/h2/client_hello.c): the TLS ClientHello's ALPN
 * and the h2c client preface. ClientHellos are built here field by field; every input is
 * copied into a heap buffer of exactly its length, so the sanitizer build catches any read
 * past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "client_hello.h"

#include <stdlib.h>
#include <string.h>

static enum client_hello_result classify(const uint8_t *bytes, size_t length)
{
    uint8_t *copy = malloc(length ? length : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, length);
    enum client_hello_result result = client_hello_classify(copy, length);
    free(copy);
    return result;
}

static enum client_hello_result classify_plain(const char *text, size_t length)
{
    uint8_t *copy = malloc(length ? length : 1);
    assert_non_null(copy);
    memcpy(copy, text, length);
    enum client_hello_result result = client_hello_classify_plain(copy, length);
    free(copy);
    return result;
}

/* --- building ClientHellos --------------------------------------------------------------- */

struct hello {
    uint8_t bytes[CLIENT_HELLO_MAX_BYTES * 2];
    size_t length;
};

static void put(uint8_t *at, size_t value, size_t width)
{
    for (size_t i = 0; i < width; i++)
        at[i] = (uint8_t)(value >> (8 * (width - 1 - i)));
}

/* A ClientHello body with the given extensions block (NULL: none at all). */
static size_t hello_body(uint8_t *out, const uint8_t *extensions, size_t extensions_length)
{
    size_t n = 0;
    put(out + n, 0x0303, 2), n += 2;            /* TLS 1.2 */
    memset(out + n, 0xAB, 32), n += 32;         /* random */
    out[n++] = 32, memset(out + n, 0x11, 32), n += 32; /* session id */
    put(out + n, 4, 2), n += 2;                 /* two cipher suites */
    put(out + n, 0x1301, 2), n += 2;
    put(out + n, 0xC02F, 2), n += 2;
    out[n++] = 1, out[n++] = 0;                 /* null compression */
    if (extensions) {
        put(out + n, extensions_length, 2), n += 2;
        memcpy(out + n, extensions, extensions_length), n += extensions_length;
    }
    return n;
}

/* The extensions block: server_name, then ALPN with the given names ("" list: no ALPN). */
static size_t extensions_with_alpn(uint8_t *out, const char *const *names, size_t count)
{
    size_t n = 0;
    static const char host[] = "localhost";
    put(out + n, 0, 2), n += 2;                         /* server_name */
    put(out + n, 2 + 3 + strlen(host), 2), n += 2;
    put(out + n, 3 + strlen(host), 2), n += 2;
    out[n++] = 0;
    put(out + n, strlen(host), 2), n += 2;
    memcpy(out + n, host, strlen(host)), n += strlen(host);
    if (count == 0)
        return n;
    size_t list = 0;
    for (size_t i = 0; i < count; i++)
        list += 1 + strlen(names[i]);
    put(out + n, 16, 2), n += 2;                        /* ALPN */
    put(out + n, 2 + list, 2), n += 2;
    put(out + n, list, 2), n += 2;
    for (size_t i = 0; i < count; i++) {
        out[n++] = (uint8_t)strlen(names[i]);
        memcpy(out + n, names[i], strlen(names[i])), n += strlen(names[i]);
    }
    return n;
}

/* Wraps a body into a handshake message and that into records of at most `fragment` bytes. */
static void wrap(struct hello *hello, const uint8_t *body, size_t body_length, size_t fragment)
{
    uint8_t message[CLIENT_HELLO_MAX_BYTES * 2];
    message[0] = 1;
    put(message + 1, body_length, 3);
    memcpy(message + 4, body, body_length);
    size_t total = body_length + 4;
    hello->length = 0;
    for (size_t at = 0; at < total; at += fragment) {
        size_t piece = total - at < fragment ? total - at : fragment;
        uint8_t *record = hello->bytes + hello->length;
        record[0] = 22;
        put(record + 1, 0x0301, 2);
        put(record + 3, piece, 2);
        memcpy(record + 5, message + at, piece);
        hello->length += 5 + piece;
    }
}

static void hello_offering(struct hello *hello, const char *const *names, size_t count,
                           size_t fragment)
{
    uint8_t extensions[512], body[1024];
    size_t extensions_length = extensions_with_alpn(extensions, names, count);
    wrap(hello, body, hello_body(body, extensions, extensions_length), fragment);
}

static const char *const h2_and_http11[] = { "h2", "http/1.1" };
static const char *const http11_only[] = { "http/1.1" };
static const char *const near_misses[] = { "h2c", "h2-14", "h", "http/2" };

/* --- TLS --------------------------------------------------------------------------------- */

static void alpn_offering_h2_is_h2(void **state)
{
    (void)state;
    struct hello hello;
    hello_offering(&hello, h2_and_http11, 2, 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_H2);
    hello_offering(&hello, h2_and_http11 + 1, 1, 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
}

static void h2_offered_second_is_still_h2(void **state)
{
    (void)state;
    static const char *const names[] = { "http/1.1", "h2" };
    struct hello hello;
    hello_offering(&hello, names, 2, 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_H2);
}

static void only_http11_or_no_alpn_is_not_h2(void **state)
{
    (void)state;
    struct hello hello;
    hello_offering(&hello, http11_only, 1, 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
    hello_offering(&hello, NULL, 0, 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
    uint8_t body[256];
    wrap(&hello, body, hello_body(body, NULL, 0), 16384); /* no extensions block at all */
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
}

static void names_like_h2_are_not_h2(void **state)
{
    (void)state;
    struct hello hello;
    hello_offering(&hello, near_misses, 4, 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
}

static void every_prefix_needs_more(void **state)
{
    (void)state;
    struct hello hello;
    hello_offering(&hello, h2_and_http11, 2, 16384);
    for (size_t length = 0; length < hello.length; length++)
        assert_int_equal(classify(hello.bytes, length), CLIENT_HELLO_NEED_MORE);
}

static void hello_split_over_records_is_gathered(void **state)
{
    (void)state;
    struct hello hello;
    for (size_t fragment = 1; fragment <= 64; fragment++) {
        hello_offering(&hello, h2_and_http11, 2, fragment);
        assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_H2);
        assert_int_equal(classify(hello.bytes, hello.length - 1), CLIENT_HELLO_NEED_MORE);
    }
}

static void not_a_handshake_record_is_not_tls(void **state)
{
    (void)state;
    static const uint8_t http[] = "GET / HTTP/1.1\r\n";
    static const uint8_t wrong_version[] = { 22, 2, 0 };
    assert_int_equal(classify(http, sizeof http - 1), CLIENT_HELLO_NOT_TLS);
    assert_int_equal(classify(http, 1), CLIENT_HELLO_NOT_TLS);
    assert_int_equal(classify(wrong_version, 3), CLIENT_HELLO_NOT_TLS);
}

static void other_handshake_messages_are_not_h2(void **state)
{
    (void)state;
    struct hello hello;
    hello_offering(&hello, h2_and_http11, 2, 16384);
    hello.bytes[5] = 2; /* ServerHello */
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
}

static void oversized_or_empty_records_are_not_h2(void **state)
{
    (void)state;
    /* A hello claiming 16 MiB, a record claiming more than 2^14, an empty record: decided
     * at once from their headers, without waiting for bytes that will not fit the bound. */
    static const uint8_t huge_message[] = { 22, 3, 1, 0, 4, 1, 0xFF, 0xFF, 0xFF };
    static const uint8_t huge_record[] = { 22, 3, 1, 0x40, 0x01 };
    static const uint8_t empty_record[] = { 22, 3, 1, 0, 0 };
    assert_int_equal(classify(huge_message, sizeof huge_message), CLIENT_HELLO_NOT_H2);
    assert_int_equal(classify(huge_record, sizeof huge_record), CLIENT_HELLO_NOT_H2);
    assert_int_equal(classify(empty_record, sizeof empty_record), CLIENT_HELLO_NOT_H2);
}

static void malformed_alpn_is_not_h2(void **state)
{
    (void)state;
    struct hello hello;
    uint8_t extensions[64], body[256];
    /* ALPN whose list length says more than the extension holds, then an empty name. */
    static const uint8_t too_long[] = { 0, 16, 0, 5, 0, 9, 2, 'h', '2' };
    static const uint8_t empty_name[] = { 0, 16, 0, 6, 0, 4, 0, 2, 'h', '2' };
    memcpy(extensions, too_long, sizeof too_long);
    wrap(&hello, body, hello_body(body, extensions, sizeof too_long), 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
    memcpy(extensions, empty_name, sizeof empty_name);
    wrap(&hello, body, hello_body(body, extensions, sizeof empty_name), 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
    /* An extensions block longer than the hello. */
    size_t length = hello_body(body, empty_name, sizeof empty_name);
    put(body + length - sizeof empty_name - 2, 200, 2);
    wrap(&hello, body, length, 16384);
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
}

static void a_different_record_before_the_end_is_not_h2(void **state)
{
    (void)state;
    struct hello hello;
    hello_offering(&hello, h2_and_http11, 2, 40);
    hello.bytes[45] = 21; /* the second record is an alert */
    assert_int_equal(classify(hello.bytes, hello.length), CLIENT_HELLO_NOT_H2);
}

/* --- plain ------------------------------------------------------------------------------- */

static void h2c_preface_is_h2(void **state)
{
    (void)state;
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04";
    assert_int_equal(classify_plain(preface, 24), CLIENT_HELLO_H2);
    assert_int_equal(classify_plain(preface, sizeof preface - 1), CLIENT_HELLO_H2);
    for (size_t length = 0; length < 24; length++)
        assert_int_equal(classify_plain(preface, length), CLIENT_HELLO_NEED_MORE);
}

static void anything_else_on_plain_is_not_h2(void **state)
{
    (void)state;
    assert_int_equal(classify_plain("GET / HTTP/1.1\r\n", 16), CLIENT_HELLO_NOT_H2);
    assert_int_equal(classify_plain("PRI * HTTP/1.1\r\n\r\n", 18), CLIENT_HELLO_NOT_H2);
    assert_int_equal(classify_plain("P", 1), CLIENT_HELLO_NEED_MORE);
    assert_int_equal(classify_plain("PUT", 3), CLIENT_HELLO_NOT_H2);
    assert_int_equal(classify_plain("\x16\x03\x01", 3), CLIENT_HELLO_NOT_H2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alpn_offering_h2_is_h2),
        cmocka_unit_test(h2_offered_second_is_still_h2),
        cmocka_unit_test(only_http11_or_no_alpn_is_not_h2),
        cmocka_unit_test(names_like_h2_are_not_h2),
        cmocka_unit_test(every_prefix_needs_more),
        cmocka_unit_test(hello_split_over_records_is_gathered),
        cmocka_unit_test(not_a_handshake_record_is_not_tls),
        cmocka_unit_test(other_handshake_messages_are_not_h2),
        cmocka_unit_test(oversized_or_empty_records_are_not_h2),
        cmocka_unit_test(malformed_alpn_is_not_h2),
        cmocka_unit_test(a_different_record_before_the_end_is_not_h2),
        cmocka_unit_test(h2c_preface_is_h2),
        cmocka_unit_test(anything_else_on_plain_is_not_h2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
