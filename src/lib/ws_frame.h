/* WebSocket frames (RFC 6455 §5): a pure parser over a byte buffer, and the pieces a server
 * needs around it (unmasking, frame headers, the close payload, UTF-8 and fragment order).
 *
 * Nothing here reads a socket, allocates or keeps hidden state, so every function can be
 * unit-tested and fuzzed on its own. The contract of ws_frame_parse, in the spirit of
 * picohttpparser: it looks at the bytes at the start of a buffer and says "a whole frame is
 * here", "need more bytes (at least this many in total)", or "this is not a frame we accept,
 * close with this code". The payload is left masked, pointing into the caller's buffer. */
#ifndef STATUSD_WS_FRAME_H
#define STATUSD_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_OPCODE_CONTINUATION = 0x0,
    WS_OPCODE_TEXT = 0x1,
    WS_OPCODE_BINARY = 0x2,
    WS_OPCODE_CLOSE = 0x8,
    WS_OPCODE_PING = 0x9,
    WS_OPCODE_PONG = 0xA,
};

/* Close codes this server sends (RFC 6455 §7.4.1). */
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL_ERROR = 1011,
    WS_CLOSE_TRY_AGAIN_LATER = 1013,
};

/* Control frames carry at most this much payload (RFC 6455 §5.5). */
#define WS_CONTROL_MAX_PAYLOAD 125
/* The longest frame header: 2 bytes, a 64-bit length and a mask. */
#define WS_FRAME_MAX_HEADER 14

struct ws_frame {
    bool fin;
    unsigned opcode;         /* one of enum ws_opcode */
    bool masked;
    uint8_t mask[4];
    size_t header_length;    /* bytes before the payload */
    uint64_t payload_length;
    const uint8_t *payload;  /* into the parsed buffer, still masked */
};

enum ws_parse_result {
    WS_PARSE_FRAME,     /* *frame is complete: header_length + payload_length bytes */
    WS_PARSE_NEED_MORE, /* *needed is the total the buffer must hold before parsing again */
    WS_PARSE_ERROR,     /* *close_code says why: 1002 (protocol) or 1009 (too big) */
};

static inline bool ws_opcode_is_control(unsigned opcode)
{
    return (opcode & 0x8) != 0;
}

/* Parses the frame at the start of data[0..length). Client frames must be masked
 * (require_mask); a data or continuation frame whose payload exceeds max_data_payload is
 * refused with 1009 as soon as its header is read, before the payload arrives. Errors are
 * reported as soon as the header shows them. */
enum ws_parse_result ws_frame_parse(const uint8_t *data, size_t length, bool require_mask,
                                    uint64_t max_data_payload, struct ws_frame *frame,
                                    size_t *needed, uint16_t *close_code);

/* XORs payload with the mask in place; offset is how many payload bytes came before (the mask
 * cycles over the whole payload, so pieces can be unmasked as they arrive). */
void ws_unmask(uint8_t *payload, size_t length, const uint8_t mask[4], uint64_t offset);

/* Writes the header of an unmasked server frame into out; returns its length (2, 4 or 10). */
size_t ws_frame_header(uint8_t out[WS_FRAME_MAX_HEADER], bool fin, unsigned opcode,
                       uint64_t payload_length);

/* Reads a close frame's (unmasked) payload: *code is the status it carries, 0 when empty.
 * Returns 0 when the payload is acceptable, else the code to close with: 1002 for a 1-byte
 * payload or a code no endpoint may send, 1007 for a reason that is not UTF-8. */
uint16_t ws_close_payload_check(const uint8_t *payload, size_t length, uint16_t *code);

/* Fragment order (RFC 6455 §5.4). *message_opcode is the opcode of the message being
 * reassembled, 0 when none; it is updated for each data frame. Control frames may come
 * between fragments and leave it alone. Returns 0, or 1002 for a continuation with no message
 * to continue or a new message started inside another. */
uint16_t ws_fragment_check(unsigned *message_opcode, const struct ws_frame *frame);

#endif
