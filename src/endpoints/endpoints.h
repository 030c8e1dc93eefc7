/* Every endpoint's handler, one family of endpoints per file (status.c, redirects.c, ...).
 * The route table (routes.c) names them, and main.c wires the few that observe the daemon;
 * the daemon itself never includes this. */
#ifndef STATUSD_ENDPOINTS_H
#define STATUSD_ENDPOINTS_H

#include "exchange.h"

/* Handlers, one file per family of endpoints. */
void status_handle(struct request *request, struct reply *reply);

/* redirects.c: /redirect/{n}, /redirect-to, /loop/{n} (SPEC §4) */
void redirects_chain(struct request *request, struct reply *reply);
void redirects_to(struct request *request, struct reply *reply);
void redirects_loop(struct request *request, struct reply *reply);

/* echo.c: /anything, /headers, /ip, /user-agent (SPEC §5) */
void echo_anything(struct request *request, struct reply *reply);
void echo_headers(struct request *request, struct reply *reply);
void echo_ip(struct request *request, struct reply *reply);
void echo_user_agent(struct request *request, struct reply *reply);
/* httpbin's method-named echoes: /get (args, headers, origin, url), /post, /put, /patch,
 * /delete (every field of /anything). */
void echo_get(struct request *request, struct reply *reply);
void echo_by_method(struct request *request, struct reply *reply);

/* cookies.c: /cookies, /cookies/set, /cookies/delete (README "Cookies") */
void cookies_list(struct request *request, struct reply *reply);
void cookies_set(struct request *request, struct reply *reply);
void cookies_set_query(struct request *request, struct reply *reply);
void cookies_delete(struct request *request, struct reply *reply);

/* httpbin.c: httpbin's utilities under its names (README "Coming from httpbin") */
void httpbin_response_headers(struct request *request, struct reply *reply);
void httpbin_html(struct request *request, struct reply *reply);
void httpbin_json(struct request *request, struct reply *reply);
void httpbin_xml(struct request *request, struct reply *reply);
void httpbin_robots(struct request *request, struct reply *reply);
void httpbin_deny(struct request *request, struct reply *reply);
void httpbin_utf8(struct request *request, struct reply *reply);
void httpbin_links(struct request *request, struct reply *reply);
void httpbin_base64(struct request *request, struct reply *reply);
void httpbin_uuid(struct request *request, struct reply *reply);
void httpbin_hostname(struct request *request, struct reply *reply);
void httpbin_unstable(struct request *request, struct reply *reply);
/* The echo in one content coding: /gzip, /deflate, /brotli, /zstd. */
void echo_gzip(struct request *request, struct reply *reply);
void echo_deflate(struct request *request, struct reply *reply);
void echo_brotli(struct request *request, struct reply *reply);
void echo_zstd(struct request *request, struct reply *reply);

/* /stream/{n}: n JSON lines, each the request's echo with "id" 0..n-1, one chunk each. */
void echo_stream(struct request *request, struct reply *reply);

/* streams.c: /sse, /stream-bytes/{n}, /trailers (README "Streams") */
void streams_sse(struct request *request, struct reply *reply);
void streams_bytes(struct request *request, struct reply *reply);
void streams_trailers(struct request *request, struct reply *reply);

/* auth.c: /basic-auth, /hidden-basic-auth, /digest-auth, /bearer, /proxy-auth, /forbidden (SPEC §6) */
void auth_basic(struct request *request, struct reply *reply);
void auth_hidden_basic(struct request *request, struct reply *reply);
void auth_digest(struct request *request, struct reply *reply);
void auth_bearer(struct request *request, struct reply *reply);
void auth_proxy(struct request *request, struct reply *reply);
void auth_forbidden(struct request *request, struct reply *reply);

/* conditional.c: /etag, /cache, /range, /bytes (SPEC §7) */
void conditional_etag(struct request *request, struct reply *reply);
void conditional_cache(struct request *request, struct reply *reply);
void conditional_cache_for(struct request *request, struct reply *reply);
void conditional_range(struct request *request, struct reply *reply);
void conditional_bytes(struct request *request, struct reply *reply);

/* timing.c, stateful.c, fault.c: the CI mock upstream (SPEC §9) */
void timing_delay(struct request *request, struct reply *reply);
void timing_drip(struct request *request, struct reply *reply);
void stateful_sequence(struct request *request, struct reply *reply);
void stateful_flaky(struct request *request, struct reply *reply);
void stateful_ratelimit(struct request *request, struct reply *reply);
void stateful_journal(struct request *request, struct reply *reply);
/* Adds a request that carried ?key=K to K's journal: an answer observer of the daemon
 * (server_observe_answers), registered by main.c. */
void stateful_record(const struct request *request, const char *target, unsigned status,
                     const char *fault);
void fault_handle(struct request *request, struct reply *reply);

/* client_input.c: /upload, /method/{list}, /negotiate/{types} (SPEC §8) */
bool client_input_upload_precheck(struct request *request, struct reply *reply);
void client_input_upload(struct request *request, struct reply *reply);
void client_input_method(struct request *request, struct reply *reply);
void client_input_negotiate(struct request *request, struct reply *reply);

/* dump.c: /dump/request, the request head as its bytes arrived, then the body. */
void dump_request(struct request *request, struct reply *reply);

/* images.c: /image by Accept (406 naming the formats when none fits) and /image/{format}:
 * one small picture as PNG, JPEG, WebP and SVG. */
void images_negotiate(struct request *request, struct reply *reply);
void images_format(struct request *request, struct reply *reply);

void pages_index(struct request *request, struct reply *reply);
void pages_code(struct request *request, struct reply *reply);
void pages_codes_json(struct request *request, struct reply *reply);
void pages_static(struct request *request, struct reply *reply);
/* /health: liveness, always 200; /ready and /health?ready=1: readiness, 503 while the state
 * store is unreachable, so an orchestrator can tell "restart it" from "send it no traffic". */
void pages_health(struct request *request, struct reply *reply);
void pages_ready(struct request *request, struct reply *reply);
/* Browsers ask for /favicon.ico on every page that does not name an icon (JSON, text). */
void pages_favicon(struct request *request, struct reply *reply);
/* Builds the pages that never change (the index) once, at start-up. */
bool pages_init(void);
void pages_free(void);

#endif
