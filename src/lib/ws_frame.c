#include "ws_frame.h"

#include "utf8.h"

static bool opcode_is_known(unsigned opcode)
{
    return opcode <= WS_OPCODE_BINARY || (opcode >= WS_OPCODE_CLOSE && opcode <= WS_OPCODE_PONG);
}

/* The header's first two bytes decide everything but the payload; checked before waiting for
 * the rest so a bad frame is refused at once instead of after its (maybe huge) payload. */
static uint16_t check_first_bytes(uint8_t byte0, uint8_t byte1, bool require_mask)
{
    unsigned opcode = byte0 & 0x0F;
    unsigned length7 = byte1 & 0x7F;
    if (byte0 & 0x70)
        return WS_CLOSE_PROTOCOL_ERROR; /* RSV1-3 without a negotiated extension (§5.2) */
    if (!opcode_is_known(opcode))
        return WS_CLOSE_PROTOCOL_ERROR;
    if (require_mask && !(byte1 & 0x80))
        return WS_CLOSE_PROTOCOL_ERROR; /* §5.1: a server closes on an unmasked client frame */
    if (ws_opcode_is_control(opcode) && (!(byte0 & 0x80) || length7 > WS_CONTROL_MAX_PAYLOAD))
        return WS_CLOSE_PROTOCOL_ERROR; /* §5.5: control frames are short and never fragmented */
    return 0;
}

enum ws_parse_result ws_frame_parse(const uint8_t *data, size_t length, bool require_mask,
                                    uint64_t max_data_payload, struct ws_frame *frame,
                                    size_t *needed, uint16_t *close_code)
{
    *close_code = 0;
    *needed = 2;
    if (length < 2)
        return WS_PARSE_NEED_MORE;
    uint16_t error = check_first_bytes(data[0], data[1], require_mask);
    if (error) {
        *close_code = error;
        return WS_PARSE_ERROR;
    }
    unsigned length7 = data[1] & 0x7F;
    bool masked = (data[1] & 0x80) != 0;
    size_t extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    size_t header_length = 2 + extended + (masked ? 4 : 0);
    *needed = header_length;
    if (length < 2 + extended)
        return WS_PARSE_NEED_MORE; /* the length is judged before the mask arrives */
    uint64_t payload_length = length7;
    if (extended) {
        payload_length = 0;
        for (size_t i = 0; i < extended; i++)
            payload_length = (payload_length << 8) | data[2 + i];
    }
    /* Lengths are not required to use the shortest form here: RFC 6455 §5.2 asks senders for
     * it, but refusing a longer form would only break lenient clients, never protect us. */
    if (extended == 8 && (data[2] & 0x80)) {
        *close_code = WS_CLOSE_PROTOCOL_ERROR; /* §5.2: the most significant bit must be 0 */
        return WS_PARSE_ERROR;
    }
    unsigned opcode = data[0] & 0x0F;
    if (!ws_opcode_is_control(opcode) && payload_length > max_data_payload) {
        *close_code = WS_CLOSE_TOO_BIG;
        return WS_PARSE_ERROR;
    }
    if (payload_length > SIZE_MAX - header_length) {
        *close_code = WS_CLOSE_TOO_BIG; /* cannot even be addressed on this machine */
        return WS_PARSE_ERROR;
    }
    if (length < header_length)
        return WS_PARSE_NEED_MORE;
    if (length - header_length < payload_length) {
        *needed = header_length + (size_t)payload_length;
        return WS_PARSE_NEED_MORE;
    }
    *frame = (struct ws_frame){
        .fin = (data[0] & 0x80) != 0,
        .opcode = opcode,
        .masked = masked,
        .header_length = header_length,
        .payload_length = payload_length,
        .payload = data + header_length,
    };
    for (size_t i = 0; masked && i < 4; i++)
        frame->mask[i] = data[2 + extended + i];
    *needed = header_length + (size_t)payload_length;
    return WS_PARSE_FRAME;
}

void ws_unmask(uint8_t *payload, size_t length, const uint8_t mask[4], uint64_t offset)
{
    for (size_t i = 0; i < length; i++)
        payload[i] ^= mask[(offset + i) & 3];
}

size_t ws_frame_header(uint8_t out[WS_FRAME_MAX_HEADER], bool fin, unsigned opcode,
                       uint64_t payload_length)
{
    out[0] = (uint8_t)((fin ? 0x80 : 0x00) | (opcode & 0x0F));
    if (payload_length <= 125) {
        out[1] = (uint8_t)payload_length;
        return 2;
    }
    if (payload_length <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(payload_length >> 8);
        out[3] = (uint8_t)payload_length;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(payload_length >> (56 - 8 * i));
    return 10;
}

/* Codes a peer may put in a close frame (RFC 6455 §7.4, IANA registry): 1005, 1006 and 1015
 * are for reporting only and never sent; 1016-2999 are unassigned; 3000-4999 are for
 * libraries and applications. */
static bool close_code_may_be_sent(uint16_t code)
{
    if (code >= 3000 && code <= 4999)
        return true;
    if (code < 1000 || code > 1014)
        return false;
    return code != 1004 && code != 1005 && code != 1006;
}

uint16_t ws_close_payload_check(const uint8_t *payload, size_t length, uint16_t *code)
{
    *code = 0;
    if (length == 0)
        return 0;
    if (length == 1)
        return WS_CLOSE_PROTOCOL_ERROR;
    *code = (uint16_t)((payload[0] << 8) | payload[1]);
    if (!close_code_may_be_sent(*code))
        return WS_CLOSE_PROTOCOL_ERROR;
    if (!utf8_valid(payload + 2, length - 2))
        return WS_CLOSE_INVALID_DATA;
    return 0;
}

uint16_t ws_fragment_check(unsigned *message_opcode, const struct ws_frame *frame)
{
    if (ws_opcode_is_control(frame->opcode))
        return 0;
    if (frame->opcode == WS_OPCODE_CONTINUATION) {
        if (*message_opcode == 0)
            return WS_CLOSE_PROTOCOL_ERROR;
    } else if (*message_opcode != 0) {
        return WS_CLOSE_PROTOCOL_ERROR;
    } else {
        *message_opcode = frame->opcode;
    }
    if (frame->fin)
        *message_opcode = 0;
    return 0;
}
