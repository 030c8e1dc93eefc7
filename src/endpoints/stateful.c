/* /sequence, /flaky, /ratelimit and /journal: the CI mock upstream's memory (SPEC §9).
 * Every step is one atomic operation of the state store (state.h: under its lock in process,
 * one Lua script in Redis), so parallel requests on one key never skip or repeat a step,
 * whichever replica serves them. */
#include "codelist.h"
#include "numbers.h"
#include "params.h"
#include "endpoints.h"
#include "state.h"
#include "timer.h"
#include "utf8.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define MAX_KEY 256
#define ONE_DAY_S 86400

/* ?key=K: any bytes up to 256, "" when absent. NULL (with a 400 in reply) when too long. */
static const char *client_key(struct request *request, struct reply *reply)
{
    const char *key = request_query(request, "key");
    if (!key)
        return "";
    if (strlen(key) > MAX_KEY) {
        reply_bad_parameter(reply, request, "key", "at most 256 bytes", "最多 256 字节");
        return NULL;
    }
    return key;
}

/* Appends a sentence to the reply's notes when the request carried no ?key=: its count is the
 * one every keyless client shares, which a user should not find out by surprise. */
static void note_shared_counter(struct request *request, struct reply *reply)
{
    if (request_query(request, "key"))
        return;
    const char *en = request_printf(request, "%s No ?key= was given, so this count is shared "
                                             "with every client that gives none; add "
                                             "?key=K for a count of your own.",
                                    reply->note[LANGUAGE_EN] ? reply->note[LANGUAGE_EN] : "");
    const char *zh = request_printf(request, "%s请求没有带 ?key=，所以这个计数与所有不带 key 的客户端"
                                             "共用；加上 ?key=K 可获得自己的计数。",
                                    reply->note[LANGUAGE_ZH] ? reply->note[LANGUAGE_ZH] : "");
    if (en && zh) {
        reply->note[LANGUAGE_EN] = en;
        reply->note[LANGUAGE_ZH] = zh;
    }
}

/* The store could not answer (Redis down or slower than --state-timeout, or out of memory):
 * a 503 naming the store and the reason, with the Retry-After every 503 carries. The store is
 * watched and comes back without a restart (state_redis.c). */
static void reply_store_unavailable(struct request *request, struct reply *reply,
                                    const struct state_error *error)
{
    const char *en = request_printf(request,
                                    "The state store is unavailable (%s). Other endpoints still "
                                    "answer; retry this one shortly.",
                                    error->text);
    const char *zh = request_printf(request, "状态存储不可用（%s）。其他端点仍正常应答；请稍后重试本端点。",
                                    error->text);
    reply_error(reply, request, 503, en ? en : "The state store is unavailable.",
                zh ? zh : "状态存储不可用。");
}

/* Takes the next step of a counter and reports its 0-based number. */
static bool take_step(struct request *request, struct reply *reply, const char *state_key,
                      uint64_t *step)
{
    struct state_error error;
    if (state_step(state_key, step, &error) == STATE_OK)
        return true;
    reply_store_unavailable(request, reply, &error);
    return false;
}

static bool parse_final_code(const char *text, uint64_t *code)
{
    return parse_uint(text, 999, code) && *code >= 200;
}

/* ?retry_after=S or date:S: the Retry-After for failures, so that a retry test need not wait
 * the catalogue's default. Read before a step is taken: a 400 must not use one up. Sets
 * *value (NULL when absent); false with a 400 in reply when invalid. */
static bool read_retry_after(struct request *request, struct reply *reply, const char **value)
{
    const char *text = request_query(request, "retry_after");
    *value = text ? params_retry_after(request, text) : NULL;
    if (!text || *value)
        return true;
    reply_bad_parameter(reply, request, "retry_after",
                        "seconds from 0 to 31536000, or date:SECONDS for an HTTP-date",
                        "0 到 31536000 之间的秒数，或 date:秒数 表示 HTTP 日期");
    return false;
}

void stateful_sequence(struct request *request, struct reply *reply)
{
    struct code_list list;
    size_t bad;
    if (codelist_parse(request->tail, &list, &bad) != CODELIST_OK) {
        reply_bad_parameter(reply, request, "{codes}", "a comma-separated list of codes (503,503,200)",
                            "以逗号分隔的状态码列表（503,503,200）");
        return;
    }
    /* A weight (503:3) would be silently ignored: a sequence repeats a code by listing it. */
    bool valid = strchr(request->tail, ':') == NULL;
    for (size_t i = 0; i < list.count; i++)
        valid = valid && list.items[i].code >= 200 && !list.items[i].sub &&
                list.items[i].last == list.items[i].code; /* no range: a sequence is exact */
    if (!valid) {
        reply_bad_parameter(reply, request, "{codes}",
                            "final codes from 200 to 999, without weights or ranges (503,503,200)",
                            "200 到 999 之间的最终状态码，不带权重或范围（503,503,200）");
        return;
    }
    const char *key = client_key(request, reply);
    const char *retry_after;
    if (!key || !read_retry_after(request, reply, &retry_after))
        return;
    const char *state_key = request_printf(request, "sequence:%s:%s", request->tail, key);
    if (!state_key) {
        reply_error(reply, request, 414, "The sequence is too long.", "序列过长。");
        return;
    }
    if (request->method_id == METHOD_DELETE) {
        struct state_error error;
        if (state_forget(state_key, &error) != STATE_OK) {
            reply_store_unavailable(request, reply, &error);
            return;
        }
        reply_explain(reply, request, 200, 0);
        reply->note[LANGUAGE_EN] = "The sequence was reset: the next request gets its first code.";
        reply->note[LANGUAGE_ZH] = "序列已重置：下一个请求将得到第一个状态码。";
        return;
    }
    uint64_t step;
    if (!take_step(request, reply, state_key, &step))
        return;
    const char *cycle = request_query(request, "cycle");
    bool cycling = cycle && strcmp(cycle, "1") == 0;
    size_t index = cycling ? (size_t)(step % list.count)
                           : (size_t)(step < list.count ? step : list.count - 1);
    reply_explain(reply, request, list.items[index].code, 0);
    reply_set_header(reply, "X-Sequence-Index", request_printf(request, "%zu", index + 1));
    if (retry_after && (reply->status < 200 || reply->status >= 300))
        reply_set_header(reply, "Retry-After", retry_after);
    reply->note[LANGUAGE_EN] = request_printf(request, "Step %zu of %zu of this sequence%s.",
                                              index + 1, list.count,
                                              cycling ? " (it starts over after the last)"
                                                      : " (it stays on the last)");
    reply->note[LANGUAGE_ZH] = request_printf(request, "这个序列的第 %zu 步，共 %zu 步%s。", index + 1,
                                              list.count,
                                              cycling ? "（最后一步之后从头开始）" : "（之后停在最后一步）");
    note_shared_counter(request, reply);
}

void stateful_flaky(struct request *request, struct reply *reply)
{
    uint64_t failures, status = 503, then = 200;
    const char *value;
    if (!parse_uint(request->tail, 1000000, &failures)) {
        reply_bad_parameter(reply, request, "{n}", "an integer from 0 to 1000000",
                            "0 到 1000000 之间的整数");
        return;
    }
    if ((value = request_query(request, "status")) && !parse_final_code(value, &status)) {
        reply_bad_parameter(reply, request, "status", "a final status from 200 to 999",
                            "200 到 999 之间的最终状态码");
        return;
    }
    if ((value = request_query(request, "then")) && !parse_final_code(value, &then)) {
        reply_bad_parameter(reply, request, "then", "a final status from 200 to 999",
                            "200 到 999 之间的最终状态码");
        return;
    }
    const char *key = client_key(request, reply);
    const char *retry_after;
    if (!key || !read_retry_after(request, reply, &retry_after))
        return;
    uint64_t step;
    const char *state_key = request_printf(request, "flaky:%llu:%llu:%llu:%s",
                                           (unsigned long long)failures,
                                           (unsigned long long)status,
                                           (unsigned long long)then, key);
    if (!state_key || !take_step(request, reply, state_key, &step))
        return;
    bool failing = step < failures;
    reply_explain(reply, request, (unsigned)(failing ? status : then), 0);
    if (failing && retry_after)
        reply_set_header(reply, "Retry-After", retry_after);
    if (failing) {
        reply->note[LANGUAGE_EN] = request_printf(request, "Failure %llu of %llu; retry.",
                                                  (unsigned long long)step + 1,
                                                  (unsigned long long)failures);
        reply->note[LANGUAGE_ZH] = request_printf(request, "第 %llu 次失败，共 %llu 次；请重试。",
                                                  (unsigned long long)step + 1,
                                                  (unsigned long long)failures);
    } else {
        reply->note[LANGUAGE_EN] = request_printf(request, "Succeeded after %llu failures.",
                                                  (unsigned long long)failures);
        reply->note[LANGUAGE_ZH] = request_printf(request, "在 %llu 次失败之后成功。",
                                                  (unsigned long long)failures);
    }
    note_shared_counter(request, reply);
}

void stateful_ratelimit(struct request *request, struct reply *reply)
{
    const char *slash = strchr(request->tail, '/');
    uint64_t limit, window_s;
    char limit_text[24];
    size_t n = slash ? (size_t)(slash - request->tail) : 0;
    if (!slash || n >= sizeof limit_text) {
        reply_bad_parameter(reply, request, "{limit}", "/ratelimit/{limit}/{window_s}",
                            "/ratelimit/{限额}/{窗口秒数}");
        return;
    }
    memcpy(limit_text, request->tail, n);
    limit_text[n] = '\0';
    if (!parse_uint(limit_text, 1000000, &limit) || limit == 0) {
        reply_bad_parameter(reply, request, "{limit}", "an integer from 1 to 1000000",
                            "1 到 1000000 之间的整数");
        return;
    }
    if (!parse_uint(slash + 1, ONE_DAY_S, &window_s) || window_s == 0) {
        reply_bad_parameter(reply, request, "{window_s}", "seconds from 1 to 86400",
                            "1 到 86400 秒");
        return;
    }
    const char *key = client_key(request, reply);
    if (!key)
        return;
    const char *state_key = request_printf(request, "ratelimit:%llu:%llu:%s",
                                           (unsigned long long)limit,
                                           (unsigned long long)window_s, key);
    uint64_t window_ms = window_s * 1000;
    struct state_window w;
    struct state_error error;
    if (!state_key) {
        reply_error(reply, request, 500, "Out of memory.", "内存不足。");
        return;
    }
    if (state_count_in_window(state_key, window_ms, &w, &error) != STATE_OK) {
        reply_store_unavailable(request, reply, &error);
        return;
    }
    uint64_t remaining = w.count >= limit ? 0 : limit - w.count;
    /* The store's clock may have moved past the window's end since it was read. */
    uint64_t end_ms = w.window_start_ms + window_ms;
    uint64_t left_ms = end_ms > w.now_ms ? end_ms - w.now_ms : 0;
    uint64_t reset_s = (left_ms + 999) / 1000;
    bool over = w.count > limit;
    reply_explain(reply, request, over ? 429 : 200, 0);
    char policy[64], state[64], limit_value[24], remaining_value[24], reset_value[24];
    snprintf(policy, sizeof policy, "\"default\";q=%llu;w=%llu", (unsigned long long)limit,
             (unsigned long long)window_s);
    snprintf(state, sizeof state, "\"default\";r=%llu;t=%llu", (unsigned long long)remaining,
             (unsigned long long)reset_s);
    snprintf(limit_value, sizeof limit_value, "%llu", (unsigned long long)limit);
    snprintf(remaining_value, sizeof remaining_value, "%llu", (unsigned long long)remaining);
    snprintf(reset_value, sizeof reset_value, "%llu", (unsigned long long)reset_s);
    /* The current IETF draft's fields, then the widely deployed ones, all from one count. */
    static const char *const names[][2] = {
        { "RateLimit-Policy", NULL }, { "RateLimit", NULL },
        { "RateLimit-Limit", "X-RateLimit-Limit" },
        { "RateLimit-Remaining", "X-RateLimit-Remaining" },
        { "RateLimit-Reset", "X-RateLimit-Reset" },
    };
    const char *values[] = { policy, state, limit_value, remaining_value, reset_value };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        for (int j = 0; j < 2 && names[i][j]; j++)
            reply_set_header(reply, names[i][j], request_printf(request, "%s", values[i]));
    if (over)
        reply_set_header(reply, "Retry-After", request_printf(request, "%s", reset_value));
    reply->note[LANGUAGE_EN] = request_printf(
        request, "Request %llu in this %llu s window; %llu of %llu left; the window ends in %llu s "
                 "(RateLimit-Reset and X-RateLimit-Reset count those seconds: a delta, not "
                 "GitHub's Unix time).",
        (unsigned long long)w.count, (unsigned long long)window_s, (unsigned long long)remaining,
        (unsigned long long)limit, (unsigned long long)reset_s);
    reply->note[LANGUAGE_ZH] = request_printf(
        request, "本 %llu 秒窗口内的第 %llu 个请求；剩余 %llu 个（共 %llu 个）；窗口在 %llu 秒后结束"
                 "（RateLimit-Reset 和 X-RateLimit-Reset 给出的就是这个秒数：是时间差，"
                 "不是 GitHub 那样的 Unix 时间）。",
        (unsigned long long)window_s, (unsigned long long)w.count, (unsigned long long)remaining,
        (unsigned long long)limit, (unsigned long long)reset_s);
    note_shared_counter(request, reply);
}

void stateful_journal(struct request *request, struct reply *reply)
{
    if (!request_query(request, "key")) {
        reply_bad_parameter(reply, request, "key", "the key whose requests to list (?key=K)",
                            "要列出其请求的 key（?key=K）");
        return;
    }
    const char *key = client_key(request, reply);
    if (!key)
        return;
    struct state_error error;
    if (state_journal_json(key, &reply->owned_body, &reply->body_length, &error) != STATE_OK) {
        reply_store_unavailable(request, reply, &error);
        return;
    }
    reply->status = 200;
    reply->content_type = "application/json";
    reply->body = reply->owned_body;
}

/* Request bytes need not be UTF-8, and jansson writes an unchecked object key as is, which
 * would turn the whole journal into invalid JSON: such text becomes a marker instead. */
#define NOT_UTF8 "(not UTF-8)"

static json_t *text_or_marker(const char *text)
{
    json_t *value = json_string(text ? text : "");
    return value ? value : json_string(NOT_UTF8);
}


/* A journal record keeps at most this many headers, each value cut at this many bytes: the
 * journal is for asserting what a client sent, and a client padding its requests must not
 * be able to grow the server's memory with them. */
#define RECORD_MAX_HEADERS 64
#define RECORD_MAX_VALUE 256

static bool add_header(void *cls, const char *name,
                                  const char *value)
{
    json_t *headers = cls;
    if (json_object_size(headers) >= RECORD_MAX_HEADERS) {
        json_object_set_new(headers, "(more headers)", json_string("not recorded"));
        return false;
    }
    char cut[RECORD_MAX_VALUE + 4];
    if (value && strlen(value) > RECORD_MAX_VALUE) {
        /* Cut on a character boundary, then mark the cut. */
        size_t n = RECORD_MAX_VALUE;
        while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
            n--;
        memcpy(cut, value, n);
        memcpy(cut + n, "...", 4);
        value = cut;
    }
    json_t *text = text_or_marker(value);
    if (!utf8_valid(name, strlen(name)) || strlen(name) > RECORD_MAX_VALUE)
        name = NOT_UTF8;
    json_t *existing = json_object_get(headers, name);
    if (!existing) {
        json_object_set_new(headers, name, text);
    } else if (json_is_array(existing)) {
        json_array_append_new(existing, text);
    } else {
        json_t *list = json_pack("[O, o]", existing, text);
        json_object_set_new(headers, name, list);
    }
    return true;
}

void stateful_record(const struct request *request, const char *target, unsigned status,
                     const char *fault)
{
    const char *method = request->method;
    const char *key = request_query(request, "key");
    if (!key || strlen(key) > MAX_KEY)
        return;
    size_t path_length = strcspn(target, "?");
    if (path_length == strlen("/journal") && strncmp(target, "/journal", path_length) == 0)
        return; /* reading the journal is not part of it */
    struct timeval now;
    gettimeofday(&now, NULL);
    json_t *headers = json_object();
    request_each(request, REQUEST_HEADER, add_header, headers);
    json_t *record = json_pack("{s:I, s:o, s:o, s:s, s:o, s:i}", "time_ms",
                               (json_int_t)now.tv_sec * 1000 + now.tv_usec / 1000, "method",
                               text_or_marker(method), "path", text_or_marker(target),
                               "protocol", protocol_names[request->protocol], "headers",
                               headers, "status", (int)status);
    if (!record)
        return;
    /* A broken connection on purpose says which: "fault-hang" while the client still waits,
     * "fault-bad-chunk" with the 200 its head carried. */
    if (fault && json_object_set_new(record, "fault", json_string(fault)) != 0) {
        json_decref(record);
        return;
    }
    char *text = json_dumps(record, JSON_COMPACT);
    json_decref(record);
    if (text)
        state_journal_append(key, text);
    free(text);
}
