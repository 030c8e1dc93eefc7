/* The pieces of the echo bodies (echo.c) that read request bytes, for the fuzz target
 * (fuzz/fuzz_echo.c): each returns a new reference or a malloc'ed text, NULL when out of
 * memory. */
#ifndef STATUSD_ECHO_H
#define STATUSD_ECHO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Request bytes as a JSON string: the text itself when it is UTF-8 without NUL, else with
 * the other bytes written as escapes. */
json_t *echo_json_text(const char *bytes, size_t length);
/* The bytes in base64, as a JSON string. */
json_t *echo_base64(const char *bytes, size_t length);
/* An application/x-www-form-urlencoded body as an object (repeated names: arrays). */
json_t *echo_parse_form(const char *body, size_t length);
/* The echo as JSON text, and as an HTML table; *length is the text's length. */
char *echo_render_json(const json_t *echo, size_t *length);
char *echo_render_html(const json_t *echo, size_t *length);

struct request;
struct reply;
/* Sends answer (taken over; NULL when building it failed) as the whole body, a 200 in
 * application/json as echo_render_json writes it. True when sent; false after a bilingual
 * 500 (out of memory), so that the caller adds its headers only to the answer. */
bool echo_send_json(struct request *request, struct reply *reply, json_t *answer);

#endif
