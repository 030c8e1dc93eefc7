/* The WebSocket frame reader (src/lib/ws_frame.c) as the session loop in src/endpoints/websocket.c drives
 * it: parse a frame from the front of the input, unmask it, check fragments, close payloads
 * and UTF-8, drop it, parse the next. The first input byte picks the options (mask required
 * or not, the data payload limit); the rest is the byte stream.
 *
 * Every parse sees an exact-size heap copy of what is buffered, so reading one byte past
 * the frame is an ASan report; each frame is also parsed from every shorter prefix, as the
 * bytes would arrive, and must ask for more rather than guess. */
#include "fuzz.h"

#include "websocket.h"
#include "ws_frame.h"
#include "utf8.h"

/* Prefixes are re-parsed only this far into a frame, to keep each input fast. */
#define PREFIX_CHECK_MAX 160

static const uint64_t limits[4] = { 0, 125, 65536, UINT64_MAX };

struct parse {
    enum ws_parse_result result;
    struct ws_frame frame;
    size_t needed;
    uint16_t close_code;
};

static struct parse parse_copy(const uint8_t *bytes, size_t length, bool require_mask,
                               uint64_t limit)
{
    struct parse p = { 0 };
    uint8_t *copy = malloc(length ? length : 1);
    FUZZ_ASSERT(copy != NULL);
    if (length)
        memcpy(copy, bytes, length);
    p.result = ws_frame_parse(copy, length, require_mask, limit, &p.frame, &p.needed,
                              &p.close_code);
    if (p.result == WS_PARSE_FRAME) {
        FUZZ_ASSERT(p.frame.payload == copy + p.frame.header_length);
        p.frame.payload = bytes + p.frame.header_length;
    }
    free(copy);
    return p;
}

static void check_result(const struct parse *p, size_t length, bool require_mask,
                         uint64_t limit)
{
    switch (p->result) {
    case WS_PARSE_NEED_MORE:
        /* Asking for what is already there would spin the session loop forever. */
        FUZZ_ASSERT(p->needed > length);
        FUZZ_ASSERT(p->close_code == 0);
        break;
    case WS_PARSE_ERROR:
        FUZZ_ASSERT(p->close_code == WS_CLOSE_PROTOCOL_ERROR || p->close_code == WS_CLOSE_TOO_BIG);
        break;
    case WS_PARSE_FRAME: {
        const struct ws_frame *f = &p->frame;
        FUZZ_ASSERT(p->close_code == 0);
        FUZZ_ASSERT(f->header_length >= 2 && f->header_length <= WS_FRAME_MAX_HEADER);
        FUZZ_ASSERT(f->payload_length <= length - f->header_length);
        FUZZ_ASSERT(p->needed == f->header_length + f->payload_length);
        FUZZ_ASSERT(f->opcode <= WS_OPCODE_BINARY ||
                    (f->opcode >= WS_OPCODE_CLOSE && f->opcode <= WS_OPCODE_PONG));
        FUZZ_ASSERT(f->masked || !require_mask);
        if (ws_opcode_is_control(f->opcode))
            FUZZ_ASSERT(f->fin && f->payload_length <= WS_CONTROL_MAX_PAYLOAD);
        else
            FUZZ_ASSERT(f->payload_length <= limit);
        break;
    }
    default:
        FUZZ_ASSERT(!"ws_frame_parse returned no enum ws_parse_result value");
    }
}

/* The frame as the bytes arrive: every shorter prefix of a good frame asks for more (never
 * for more than the frame holds); a prefix of a bad one asks for more or fails as the whole
 * does. */
static void check_prefixes(const uint8_t *bytes, size_t available, const struct parse *whole,
                           bool require_mask, uint64_t limit)
{
    size_t end = whole->result == WS_PARSE_FRAME   ? whole->needed
                 : whole->result == WS_PARSE_ERROR ? available
                                                   : 0;
    if (end > PREFIX_CHECK_MAX)
        end = PREFIX_CHECK_MAX;
    for (size_t length = 0; length < end; length++) {
        struct parse p = parse_copy(bytes, length, require_mask, limit);
        check_result(&p, length, require_mask, limit);
        if (whole->result == WS_PARSE_FRAME) {
            FUZZ_ASSERT(p.result == WS_PARSE_NEED_MORE);
            FUZZ_ASSERT(p.needed <= whole->needed);
        } else {
            FUZZ_ASSERT(p.result == WS_PARSE_NEED_MORE ||
                        (p.result == WS_PARSE_ERROR && p.close_code == whole->close_code));
        }
    }
}

/* Our own frames, as ws_frame_header writes them, read back the same. */
static void check_header_round_trip(const struct ws_frame *f)
{
    uint8_t header[WS_FRAME_MAX_HEADER];
    size_t n = ws_frame_header(header, f->fin, f->opcode, f->payload_length);
    FUZZ_ASSERT(n == 2 || n == 4 || n == 10);
    struct parse p = parse_copy(header, n, false, UINT64_MAX);
    if (f->payload_length == 0) {
        FUZZ_ASSERT(p.result == WS_PARSE_FRAME);
        FUZZ_ASSERT(p.frame.fin == f->fin && p.frame.opcode == f->opcode && !p.frame.masked);
    } else {
        FUZZ_ASSERT(p.result == WS_PARSE_NEED_MORE);
        FUZZ_ASSERT(p.needed == n + f->payload_length);
    }
}

/* What the session does with a frame's payload: unmask an exact-size copy, then judge it. */
static void check_payload(const struct ws_frame *f, unsigned *message_opcode)
{
    size_t n = (size_t)f->payload_length;
    uint8_t *payload = malloc(n ? n : 1);
    FUZZ_ASSERT(payload != NULL);
    if (n)
        memcpy(payload, f->payload, n);
    if (f->masked) {
        /* Unmasking in two pieces must equal unmasking at once: the mask offset carries over. */
        size_t half = n / 2;
        ws_unmask(payload, half, f->mask, 0);
        ws_unmask(payload + half, n - half, f->mask, half);
        for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT((payload[i] ^ f->mask[i & 3]) == f->payload[i]);
    }
    FUZZ_ASSERT(utf8_valid(payload, n) == fuzz_reference_utf8(payload, n, false));
    if (f->opcode == WS_OPCODE_CLOSE) {
        uint16_t code = 0xFFFF;
        uint16_t error = ws_close_payload_check(payload, n, &code);
        FUZZ_ASSERT(error == 0 || error == WS_CLOSE_PROTOCOL_ERROR ||
                    error == WS_CLOSE_INVALID_DATA);
        if (n == 0)
            FUZZ_ASSERT(error == 0 && code == 0);
        /* RFC 6455 §7.4: 1005, 1006 and 1015 are never sent; below 1000 is unused. */
        if (error == 0 && n >= 2)
            FUZZ_ASSERT(code >= 1000 && code <= 4999 && code != 1005 && code != 1006 &&
                        code != 1015);
    }
    unsigned before = *message_opcode;
    uint16_t order = ws_fragment_check(message_opcode, f);
    FUZZ_ASSERT(order == 0 || order == WS_CLOSE_PROTOCOL_ERROR);
    if (ws_opcode_is_control(f->opcode))
        FUZZ_ASSERT(order == 0 && *message_opcode == before);
    if (order == 0)
        FUZZ_ASSERT(*message_opcode == 0 || *message_opcode == WS_OPCODE_TEXT ||
                    *message_opcode == WS_OPCODE_BINARY);
    free(payload);
}

/* The opening handshake's header checks, on the same bytes as text. */
static void check_handshake_headers(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    (void)websocket_upgrade_requested(text);
    char accept[WEBSOCKET_ACCEPT_SIZE];
    if (websocket_accept_key(text, accept)) {
        FUZZ_ASSERT(strlen(accept) == WEBSOCKET_ACCEPT_SIZE - 1);
        FUZZ_ASSERT(strspn(accept, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789+/=") == WEBSOCKET_ACCEPT_SIZE - 1);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool require_mask = data[0] & 1;
    uint64_t limit = limits[(data[0] >> 1) & 3];
    const uint8_t *stream = data + 1;
    size_t left = size - 1;
    unsigned message_opcode = 0;
    for (int frames = 0; frames < 64; frames++) {
        struct parse p = parse_copy(stream, left, require_mask, limit);
        check_result(&p, left, require_mask, limit);
        if (frames == 0)
            check_prefixes(stream, left, &p, require_mask, limit);
        if (p.result != WS_PARSE_FRAME)
            break;
        check_header_round_trip(&p.frame);
        check_payload(&p.frame, &message_opcode);
        stream += p.needed;
        left -= p.needed;
    }
    check_handshake_headers(data, size);
    return 0;
}
