/* WebSocket frames (RFC 6455 §5): the pure parser and its helpers, and the handshake's
 * Sec-WebSocket-Accept. Every input is copied into a buffer of exactly its length, so the
 * sanitizer build catches any read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "websocket.h"
#include "ws_frame.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#define NO_LIMIT UINT64_MAX
static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

struct parsed {
    enum ws_parse_result result;
    struct ws_frame frame;
    size_t needed;
    uint16_t close_code;
};

/* Parses bytes held in a heap buffer of exactly `length` bytes. */
static struct parsed parse_limited(const uint8_t *bytes, size_t length, uint64_t limit)
{
    struct parsed p = { 0 };
    uint8_t *copy = malloc(length ? length : 1);
    assert_non_null(copy);
    if (length)
        memcpy(copy, bytes, length);
    p.result = ws_frame_parse(copy, length, true, limit, &p.frame, &p.needed, &p.close_code);
    if (p.result == WS_PARSE_FRAME)
        p.frame.payload = bytes + (p.frame.payload - copy); /* point into the caller's bytes */
    free(copy);
    return p;
}

static struct parsed parse(const uint8_t *bytes, size_t length)
{
    return parse_limited(bytes, length, NO_LIMIT);
}

/* A client frame: masked with `mask`, the length in the shortest form unless `width` forces
 * 2 or 8 extra bytes. Returns its length. */
static size_t client_frame(uint8_t *out, uint8_t byte0, const uint8_t *payload, size_t length,
                           int width)
{
    size_t n = 0;
    out[n++] = byte0;
    if (width == 0 && length <= 125) {
        out[n++] = (uint8_t)(0x80 | length);
    } else if (width <= 2 && length <= 0xFFFF) {
        out[n++] = 0x80 | 126;
        out[n++] = (uint8_t)(length >> 8);
        out[n++] = (uint8_t)length;
    } else {
        out[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)((uint64_t)length >> (8 * i));
    }
    memcpy(out + n, mask, 4);
    n += 4;
    for (size_t i = 0; i < length; i++)
        out[n + i] = payload[i] ^ mask[i & 3];
    return n + length;
}

static void masked_text_frame_is_parsed_and_unmasked(void **state)
{
    (void)state;
    uint8_t frame[64];
    size_t n = client_frame(frame, 0x81, (const uint8_t *)"Hello", 5, 0);
    struct parsed p = parse(frame, n);
    assert_int_equal(p.result, WS_PARSE_FRAME);
    assert_true(p.frame.fin);
    assert_int_equal(p.frame.opcode, WS_OPCODE_TEXT);
    assert_true(p.frame.masked);
    assert_int_equal(p.frame.header_length, 6);
    assert_int_equal(p.frame.payload_length, 5);
    assert_int_equal(p.needed, n);
    uint8_t payload[5];
    memcpy(payload, p.frame.payload, 5);
    ws_unmask(payload, 5, p.frame.mask, 0);
    assert_memory_equal(payload, "Hello", 5);
}

static void rfc_example_frame_is_parsed(void **state)
{
    (void)state;
    /* RFC 6455 §5.7: a masked "Hello" from a client. */
    static const uint8_t frame[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                     0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    struct parsed p = parse(frame, sizeof frame);
    assert_int_equal(p.result, WS_PARSE_FRAME);
    uint8_t payload[5];
    memcpy(payload, p.frame.payload, 5);
    ws_unmask(payload, 5, p.frame.mask, 0);
    assert_memory_equal(payload, "Hello", 5);
}

static void unmasked_client_frame_is_protocol_error(void **state)
{
    (void)state;
    static const uint8_t frame[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
    struct parsed p = parse(frame, sizeof frame);
    assert_int_equal(p.result, WS_PARSE_ERROR);
    assert_int_equal(p.close_code, WS_CLOSE_PROTOCOL_ERROR);
    /* Known from the first two bytes, before the payload. */
    assert_int_equal(parse(frame, 2).result, WS_PARSE_ERROR);
}

static void unmasked_frame_is_accepted_when_mask_not_required(void **state)
{
    (void)state;
    static const uint8_t frame[] = { 0x82, 0x02, 0xAB, 0xCD };
    struct ws_frame f;
    size_t needed;
    uint16_t code;
    assert_int_equal(ws_frame_parse(frame, sizeof frame, false, NO_LIMIT, &f, &needed, &code),
                     WS_PARSE_FRAME);
    assert_false(f.masked);
    assert_int_equal(f.header_length, 2);
    assert_memory_equal(f.payload, "\xAB\xCD", 2);
}

static void length_16_bit_is_read(void **state)
{
    (void)state;
    static uint8_t payload[300], frame[320];
    memset(payload, 'x', sizeof payload);
    size_t n = client_frame(frame, 0x82, payload, sizeof payload, 0);
    struct parsed p = parse(frame, n);
    assert_int_equal(p.result, WS_PARSE_FRAME);
    assert_int_equal(p.frame.header_length, 8);
    assert_int_equal(p.frame.payload_length, 300);
}

static void length_64_bit_is_read(void **state)
{
    (void)state;
    size_t length = 70000;
    uint8_t *payload = calloc(1, length), *frame = malloc(length + 14);
    assert_non_null(payload);
    assert_non_null(frame);
    size_t n = client_frame(frame, 0x82, payload, length, 0);
    struct parsed p = parse(frame, n);
    assert_int_equal(p.result, WS_PARSE_FRAME);
    assert_int_equal(p.frame.header_length, 14);
    assert_int_equal(p.frame.payload_length, 70000);
    free(payload);
    free(frame);
}

static void longer_length_forms_than_needed_are_accepted(void **state)
{
    (void)state;
    uint8_t frame[32];
    size_t n = client_frame(frame, 0x81, (const uint8_t *)"hi", 2, 8);
    struct parsed p = parse(frame, n);
    assert_int_equal(p.result, WS_PARSE_FRAME);
    assert_int_equal(p.frame.payload_length, 2);
}

static void length_with_top_bit_set_is_protocol_error(void **state)
{
    (void)state;
    static const uint8_t frame[] = { 0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4 };
    struct parsed p = parse(frame, sizeof frame);
    assert_int_equal(p.result, WS_PARSE_ERROR);
    assert_int_equal(p.close_code, WS_CLOSE_PROTOCOL_ERROR);
}

static void partial_input_needs_more(void **state)
{
    (void)state;
    static uint8_t payload[300], frame[320];
    size_t n = client_frame(frame, 0x82, payload, sizeof payload, 0);
    struct parsed p = parse(frame, 0);
    assert_int_equal(p.result, WS_PARSE_NEED_MORE);
    assert_int_equal(p.needed, 2);
    p = parse(frame, 1);
    assert_int_equal(p.result, WS_PARSE_NEED_MORE);
    assert_int_equal(p.needed, 2);
    p = parse(frame, 3); /* inside the 16-bit length */
    assert_int_equal(p.result, WS_PARSE_NEED_MORE);
    assert_int_equal(p.needed, 8);
    p = parse(frame, 7); /* inside the mask */
    assert_int_equal(p.result, WS_PARSE_NEED_MORE);
    assert_int_equal(p.needed, 8);
    p = parse(frame, n - 1); /* one payload byte short */
    assert_int_equal(p.result, WS_PARSE_NEED_MORE);
    assert_int_equal(p.needed, n);
    /* Every prefix is "need more", never a frame or an error. */
    for (size_t k = 0; k < n; k++)
        assert_int_equal(parse(frame, k).result, WS_PARSE_NEED_MORE);
    assert_int_equal(parse(frame, n).result, WS_PARSE_FRAME);
}

static void second_frame_in_buffer_is_left_alone(void **state)
{
    (void)state;
    uint8_t buffer[64];
    size_t first = client_frame(buffer, 0x81, (const uint8_t *)"one", 3, 0);
    size_t second = client_frame(buffer + first, 0x81, (const uint8_t *)"two", 3, 0);
    struct parsed p = parse(buffer, first + second);
    assert_int_equal(p.result, WS_PARSE_FRAME);
    assert_int_equal(p.needed, first);
}

static void data_frame_over_limit_is_too_big(void **state)
{
    (void)state;
    static uint8_t payload[200], frame[220];
    size_t n = client_frame(frame, 0x82, payload, sizeof payload, 0);
    struct parsed p = parse_limited(frame, n, 199);
    assert_int_equal(p.result, WS_PARSE_ERROR);
    assert_int_equal(p.close_code, WS_CLOSE_TOO_BIG);
    /* Refused from the header alone, before the payload arrives. */
    assert_int_equal(parse_limited(frame, 8, 199).result, WS_PARSE_ERROR);
    assert_int_equal(parse_limited(frame, n, 200).result, WS_PARSE_FRAME);
    /* A 2^62-byte announcement is refused at once, not waited for. */
    static const uint8_t huge[] = { 0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0 };
    p = parse_limited(huge, sizeof huge, 1 << 20);
    assert_int_equal(p.result, WS_PARSE_ERROR);
    assert_int_equal(p.close_code, WS_CLOSE_TOO_BIG);
}

static void control_frames_ignore_the_data_limit(void **state)
{
    (void)state;
    uint8_t frame[32];
    size_t n = client_frame(frame, 0x89, (const uint8_t *)"ping", 4, 0);
    assert_int_equal(parse_limited(frame, n, 0).result, WS_PARSE_FRAME);
}

static void reserved_bits_are_protocol_error(void **state)
{
    (void)state;
    for (uint8_t rsv = 0x10; rsv <= 0x40; rsv <<= 1) {
        uint8_t frame[32];
        size_t n = client_frame(frame, (uint8_t)(0x81 | rsv), (const uint8_t *)"x", 1, 0);
        struct parsed p = parse(frame, n);
        assert_int_equal(p.result, WS_PARSE_ERROR);
        assert_int_equal(p.close_code, WS_CLOSE_PROTOCOL_ERROR);
    }
}

static void unknown_opcodes_are_protocol_error(void **state)
{
    (void)state;
    static const uint8_t unknown[] = { 3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF };
    for (size_t i = 0; i < sizeof unknown; i++) {
        uint8_t frame[32];
        size_t n = client_frame(frame, (uint8_t)(0x80 | unknown[i]), NULL, 0, 0);
        struct parsed p = parse(frame, n);
        assert_int_equal(p.result, WS_PARSE_ERROR);
        assert_int_equal(p.close_code, WS_CLOSE_PROTOCOL_ERROR);
    }
}

static void control_frame_over_125_bytes_is_protocol_error(void **state)
{
    (void)state;
    static uint8_t payload[126], frame[140];
    size_t n = client_frame(frame, 0x89, payload, 126, 0);
    struct parsed p = parse(frame, n);
    assert_int_equal(p.result, WS_PARSE_ERROR);
    assert_int_equal(p.close_code, WS_CLOSE_PROTOCOL_ERROR);
    n = client_frame(frame, 0x89, payload, 125, 0);
    assert_int_equal(parse(frame, n).result, WS_PARSE_FRAME);
}

static void fragmented_control_frame_is_protocol_error(void **state)
{
    (void)state;
    uint8_t frame[32];
    size_t n = client_frame(frame, 0x09, (const uint8_t *)"p", 1, 0); /* ping without FIN */
    struct parsed p = parse(frame, n);
    assert_int_equal(p.result, WS_PARSE_ERROR);
    assert_int_equal(p.close_code, WS_CLOSE_PROTOCOL_ERROR);
}

static struct ws_frame data_frame(unsigned opcode, bool fin)
{
    return (struct ws_frame){ .fin = fin, .opcode = opcode };
}

static void fragments_in_order_are_accepted(void **state)
{
    (void)state;
    unsigned message = 0;
    struct ws_frame first = data_frame(WS_OPCODE_TEXT, false);
    struct ws_frame middle = data_frame(WS_OPCODE_CONTINUATION, false);
    struct ws_frame ping = data_frame(WS_OPCODE_PING, true);
    struct ws_frame last = data_frame(WS_OPCODE_CONTINUATION, true);
    assert_int_equal(ws_fragment_check(&message, &first), 0);
    assert_int_equal(message, WS_OPCODE_TEXT);
    assert_int_equal(ws_fragment_check(&message, &middle), 0);
    assert_int_equal(ws_fragment_check(&message, &ping), 0); /* control frames may interleave */
    assert_int_equal(message, WS_OPCODE_TEXT);
    assert_int_equal(ws_fragment_check(&message, &last), 0);
    assert_int_equal(message, 0);
}

static void continuation_without_start_is_protocol_error(void **state)
{
    (void)state;
    unsigned message = 0;
    struct ws_frame continuation = data_frame(WS_OPCODE_CONTINUATION, true);
    assert_int_equal(ws_fragment_check(&message, &continuation), WS_CLOSE_PROTOCOL_ERROR);
}

static void new_message_inside_fragmented_one_is_protocol_error(void **state)
{
    (void)state;
    unsigned message = 0;
    struct ws_frame first = data_frame(WS_OPCODE_BINARY, false);
    struct ws_frame text = data_frame(WS_OPCODE_TEXT, true);
    assert_int_equal(ws_fragment_check(&message, &first), 0);
    assert_int_equal(ws_fragment_check(&message, &text), WS_CLOSE_PROTOCOL_ERROR);
}

static void unmask_continues_across_pieces(void **state)
{
    (void)state;
    uint8_t whole[7] = "abcdefg", pieces[7] = "abcdefg";
    ws_unmask(whole, 7, mask, 0);
    ws_unmask(pieces, 3, mask, 0);
    ws_unmask(pieces + 3, 4, mask, 3);
    assert_memory_equal(whole, pieces, 7);
}

static void server_headers_use_shortest_length(void **state)
{
    (void)state;
    uint8_t h[WS_FRAME_MAX_HEADER];
    assert_int_equal(ws_frame_header(h, true, WS_OPCODE_TEXT, 5), 2);
    assert_memory_equal(h, "\x81\x05", 2);
    assert_int_equal(ws_frame_header(h, true, WS_OPCODE_BINARY, 125), 2);
    assert_int_equal(ws_frame_header(h, true, WS_OPCODE_BINARY, 126), 4);
    assert_memory_equal(h, "\x82\x7e\x00\x7e", 4);
    assert_int_equal(ws_frame_header(h, true, WS_OPCODE_BINARY, 65535), 4);
    assert_int_equal(ws_frame_header(h, false, WS_OPCODE_BINARY, 65536), 10);
    assert_memory_equal(h, "\x02\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    /* Server frames parse back when the mask is not required. */
    struct ws_frame f;
    size_t needed;
    uint16_t code;
    ws_frame_header(h, true, WS_OPCODE_CLOSE, 0);
    assert_int_equal(ws_frame_parse(h, 2, false, NO_LIMIT, &f, &needed, &code), WS_PARSE_FRAME);
    assert_int_equal(f.opcode, WS_OPCODE_CLOSE);
}

static bool utf8(const char *s)
{
    return utf8_valid((const uint8_t *)s, strlen(s));
}

static void utf8_is_checked_strictly(void **state)
{
    (void)state;
    assert_true(utf8(""));
    assert_true(utf8("plain ASCII"));
    assert_true(utf8("已切换到 WebSocket"));
    assert_true(utf8("\xF0\x9F\x98\x80"));         /* U+1F600 */
    assert_true(utf8("\xF4\x8F\xBF\xBF"));         /* U+10FFFF */
    assert_true(utf8("\xEF\xBF\xBF"));             /* U+FFFF */
    assert_false(utf8("\xC0\xAF"));                /* overlong '/' */
    assert_false(utf8("\xE0\x80\xAF"));            /* overlong, 3 bytes */
    assert_false(utf8("\xED\xA0\x80"));            /* surrogate U+D800 */
    assert_false(utf8("\xF4\x90\x80\x80"));        /* past U+10FFFF */
    assert_false(utf8("\xF8\x88\x80\x80\x80"));    /* 5-byte form */
    assert_false(utf8("\x80"));                    /* lone continuation */
    assert_false(utf8("\xE4\xB8"));                /* cut short */
    assert_false(utf8("\xCE\xBA\xE1\xBD\xB9\xCF")); /* cut short after valid text */
    assert_false(utf8("\xFF"));
}

static uint16_t close_check(const char *payload, size_t length, uint16_t *code)
{
    return ws_close_payload_check((const uint8_t *)payload, length, code);
}

static void close_payload_rules(void **state)
{
    (void)state;
    uint16_t code;
    assert_int_equal(close_check("", 0, &code), 0);
    assert_int_equal(code, 0);
    assert_int_equal(close_check("\x03\xe8", 2, &code), 0);
    assert_int_equal(code, 1000);
    assert_int_equal(close_check("\x0f\xa0" "bye", 5, &code), 0); /* 4000, with a reason */
    assert_int_equal(code, 4000);
    assert_int_equal(close_check("\x03", 1, &code), WS_CLOSE_PROTOCOL_ERROR);
    assert_int_equal(close_check("\x03\xe7", 2, &code), WS_CLOSE_PROTOCOL_ERROR); /* 999 */
    assert_int_equal(close_check("\x03\xed", 2, &code), WS_CLOSE_PROTOCOL_ERROR); /* 1005 */
    assert_int_equal(close_check("\x03\xee", 2, &code), WS_CLOSE_PROTOCOL_ERROR); /* 1006 */
    assert_int_equal(close_check("\x03\xf7", 2, &code), WS_CLOSE_PROTOCOL_ERROR); /* 1015 */
    assert_int_equal(close_check("\x07\xd0", 2, &code), WS_CLOSE_PROTOCOL_ERROR); /* 2000 */
    assert_int_equal(close_check("\x13\x88", 2, &code), WS_CLOSE_PROTOCOL_ERROR); /* 5000 */
    assert_int_equal(close_check("\x03\xe8\xff", 3, &code), WS_CLOSE_INVALID_DATA);
}

static void accept_key_matches_rfc_example(void **state)
{
    (void)state;
    char accept[WEBSOCKET_ACCEPT_SIZE];
    /* RFC 6455 §1.3. */
    assert_true(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept));
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void upgrade_header_lists_websocket(void **state)
{
    (void)state;
    assert_true(websocket_upgrade_requested("websocket"));
    assert_true(websocket_upgrade_requested("WebSocket"));
    assert_true(websocket_upgrade_requested("h2c, websocket"));
    assert_false(websocket_upgrade_requested("h2c"));
    assert_false(websocket_upgrade_requested("websockets"));
    assert_false(websocket_upgrade_requested(""));
    assert_false(websocket_upgrade_requested(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(masked_text_frame_is_parsed_and_unmasked),
        cmocka_unit_test(rfc_example_frame_is_parsed),
        cmocka_unit_test(unmasked_client_frame_is_protocol_error),
        cmocka_unit_test(unmasked_frame_is_accepted_when_mask_not_required),
        cmocka_unit_test(length_16_bit_is_read),
        cmocka_unit_test(length_64_bit_is_read),
        cmocka_unit_test(longer_length_forms_than_needed_are_accepted),
        cmocka_unit_test(length_with_top_bit_set_is_protocol_error),
        cmocka_unit_test(partial_input_needs_more),
        cmocka_unit_test(second_frame_in_buffer_is_left_alone),
        cmocka_unit_test(data_frame_over_limit_is_too_big),
        cmocka_unit_test(control_frames_ignore_the_data_limit),
        cmocka_unit_test(reserved_bits_are_protocol_error),
        cmocka_unit_test(unknown_opcodes_are_protocol_error),
        cmocka_unit_test(control_frame_over_125_bytes_is_protocol_error),
        cmocka_unit_test(fragmented_control_frame_is_protocol_error),
        cmocka_unit_test(fragments_in_order_are_accepted),
        cmocka_unit_test(continuation_without_start_is_protocol_error),
        cmocka_unit_test(new_message_inside_fragmented_one_is_protocol_error),
        cmocka_unit_test(unmask_continues_across_pieces),
        cmocka_unit_test(server_headers_use_shortest_length),
        cmocka_unit_test(utf8_is_checked_strictly),
        cmocka_unit_test(close_payload_rules),
        cmocka_unit_test(accept_key_matches_rfc_example),
        cmocka_unit_test(upgrade_header_lists_websocket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
