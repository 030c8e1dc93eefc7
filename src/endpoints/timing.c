/* /delay/{s} and /drip: time as the thing under test (SPEC §9). */
#include "numbers.h"
#include "endpoints.h"
#include "timer.h"
#include "config.h"

#include <stdlib.h>
#include <string.h>


void timing_delay(struct request *request, struct reply *reply)
{
    uint64_t max = request->config->max_delay_ms, ms;
    if (!parse_seconds_ms(request->tail, max, &ms)) {
        reply_bad_parameter(
            reply, request, "{s}",
            request_printf(request, "seconds from 0 to %llu (--max-delay), at most 3 decimals",
                           (unsigned long long)(max / 1000)),
            request_printf(request, "0 到 %llu 秒（--max-delay），最多 3 位小数",
                           (unsigned long long)(max / 1000)));
        return;
    }
    reply_explain(reply, request, 200, 0);
    reply->note[LANGUAGE_EN] = request_printf(request, "Answered after waiting %s s.", request->tail);
    reply->note[LANGUAGE_ZH] = request_printf(request, "等待 %s 秒后应答。", request->tail);
    reply->delay_ms = ms;
}

/* One trickled body: byte i is due at start + (i + 1) * duration / bytes. */
struct drip {
    uint64_t start_us;
    uint64_t bytes;
    uint64_t duration_us;
};

static size_t next_drip(void *context, uint64_t position, char *buffer, size_t max,
                        uint64_t *wait_us)
{
    struct drip *d = context;
    uint64_t now = now_us();
    if (d->start_us == 0) /* the clock starts with the first byte asked for, after any delay */
        d->start_us = now;
    /* Byte i is due at (i + 1) * duration / bytes, so the last one lands at `duration`. */
    uint64_t elapsed = now - d->start_us;
    uint64_t due = d->duration_us ? (elapsed * d->bytes) / d->duration_us : d->bytes;
    if (due > d->bytes || timer_shutting_down())
        due = d->bytes;
    if (due <= position) {
        uint64_t next_us =
            d->start_us + ((position + 1) * d->duration_us + d->bytes - 1) / d->bytes;
        *wait_us = next_us > now ? next_us - now : 0;
        return 0;
    }
    size_t n = (size_t)(due - position);
    if (n > max)
        n = max;
    memset(buffer, '*', n);
    return n;
}

void timing_drip(struct request *request, struct reply *reply)
{
    uint64_t bytes = 10, duration_ms = 2000, code = 200;
    uint64_t max_delay = request->config->max_delay_ms;
    const char *value;
    if ((value = request_query(request, "numbytes")) && !parse_uint(value, GENERATED_MAX_BYTES, &bytes)) {
        reply_bad_parameter(reply, request, "numbytes", "an integer from 0 to " GENERATED_MAX_TEXT,
                            "0 到 " GENERATED_MAX_TEXT " 之间的整数");
        return;
    }
    if ((value = request_query(request, "duration")) &&
        !parse_seconds_ms(value, max_delay, &duration_ms)) {
        reply_bad_parameter(reply, request, "duration", "seconds up to --max-delay, 3 decimals at most",
                            "不超过 --max-delay 的秒数，最多 3 位小数");
        return;
    }
    if ((value = request_query(request, "code")) &&
        (!parse_uint(value, 999, &code) || !status_has_content(code) ||
         (code == 206 && bytes == 0))) {
        reply_bad_parameter(reply, request, "code",
                            "a status from 200 to 999 that has a body (206 needs numbytes >= 1)",
                            "200 到 999 之间、带响应体的状态码（206 需要 numbytes >= 1）");
        return;
    }
    struct drip *d = malloc(sizeof *d);
    if (!d) {
        reply_error(reply, request, 500, "Out of memory.", "内存不足。");
        return;
    }
    *d = (struct drip){ 0, bytes, duration_ms * 1000 };
    reply_explain(reply, request, (unsigned)code, 0);
    reply->stream = (struct reply_stream){ bytes, next_drip, d, free };
    reply->content_type = "application/octet-stream";
    reply->body_length = bytes;
    /* The catalogue's Content-Range holds placeholders that only explained bodies get filled
     * (response.c): a trickled body states its own range, all of it. */
    if (code == 206)
        reply_set_header(reply, "Content-Range",
                         request_printf(request, "bytes 0-%llu/%llu",
                                        (unsigned long long)bytes - 1, (unsigned long long)bytes));
    if (code == 416)
        reply_set_header(reply, "Content-Range",
                         request_printf(request, "bytes */%llu", (unsigned long long)bytes));
}
