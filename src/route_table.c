/* The route table: which handler answers which path, for which methods (SPEC §1-§11). The
 * one place that names every endpoint; main.c hands it to the router (routes_use). */
#include "route_table.h"

#include "endpoints.h"

#define ONLY(m) METHOD_BIT(METHOD_##m)
#define METHODS_UPLOAD (METHOD_BIT(METHOD_POST) | METHOD_BIT(METHOD_PUT) | METHOD_BIT(METHOD_PATCH))
#define OWN_OPTIONS ROUTE_OWN_OPTIONS
#define KEEPS_BODY ROUTE_KEEPS_BODY

/* Checked in order; the first match wins, so an exact "/cache" comes before "/cache/". */
const struct route route_table[] = {
    /* pattern              match         methods         flags                    handler */
    { "/status/",           MATCH_PREFIX, METHODS_ANY,    OWN_OPTIONS,             status_handle },
    { "/",                  MATCH_EXACT,  METHODS_READ,   0,                       pages_index },
    { "/codes.json",        MATCH_EXACT,  METHODS_READ,   0,                       pages_codes_json },
    { "/codes/",            MATCH_PREFIX, METHODS_READ,   0,                       pages_code },
    { "/static/",           MATCH_PREFIX, METHODS_READ,   0,                       pages_static },
    { "/favicon.ico",       MATCH_EXACT,  METHODS_READ,   0,                       pages_favicon },
    { "/health",            MATCH_EXACT,  METHODS_READ,   0,                       pages_health },
    { "/ready",             MATCH_EXACT,  METHODS_READ,   0,                       pages_ready },
    { "/redirect/",         MATCH_PREFIX, METHODS_ANY,    KEEPS_BODY,              redirects_chain },
    { "/redirect-to",       MATCH_EXACT,  METHODS_ANY,    0,                       redirects_to },
    { "/loop/",             MATCH_PREFIX, METHODS_ANY,    0,                       redirects_loop },
    { "/anything",          MATCH_EXACT,  METHODS_ANY,    OWN_OPTIONS | KEEPS_BODY, echo_anything },
    { "/anything/",         MATCH_PREFIX, METHODS_ANY,    OWN_OPTIONS | KEEPS_BODY, echo_anything },
    { "/get",               MATCH_EXACT,  METHODS_READ,   0,                       echo_get },
    { "/post",              MATCH_EXACT,  ONLY(POST),     KEEPS_BODY,              echo_by_method },
    { "/put",               MATCH_EXACT,  ONLY(PUT),      KEEPS_BODY,              echo_by_method },
    { "/patch",             MATCH_EXACT,  ONLY(PATCH),    KEEPS_BODY,              echo_by_method },
    { "/delete",            MATCH_EXACT,  ONLY(DELETE),   KEEPS_BODY,              echo_by_method },
    { "/headers",           MATCH_EXACT,  METHODS_READ,   0,                       echo_headers },
    { "/ip",                MATCH_EXACT,  METHODS_READ,   0,                       echo_ip },
    { "/user-agent",        MATCH_EXACT,  METHODS_READ,   0,                       echo_user_agent },
    { "/gzip",              MATCH_EXACT,  METHODS_READ,   0,                       echo_gzip },
    { "/deflate",           MATCH_EXACT,  METHODS_READ,   0,                       echo_deflate },
    { "/brotli",            MATCH_EXACT,  METHODS_READ,   0,                       echo_brotli },
    { "/zstd",              MATCH_EXACT,  METHODS_READ,   0,                       echo_zstd },
    { "/basic-auth/",       MATCH_PREFIX, METHODS_READ,   0,                       auth_basic },
    { "/hidden-basic-auth/", MATCH_PREFIX, METHODS_READ,  0,                       auth_hidden_basic },
    { "/digest-auth/",      MATCH_PREFIX, METHODS_READ,   0,                       auth_digest },
    { "/bearer",            MATCH_EXACT,  METHODS_READ,   0,                       auth_bearer },
    { "/proxy-auth/",       MATCH_PREFIX, METHODS_READ,   0,                       auth_proxy },
    { "/forbidden",         MATCH_EXACT,  METHODS_READ,   0,                       auth_forbidden },
    { "/cookies",           MATCH_EXACT,  METHODS_READ,   0,                       cookies_list },
    { "/cookies/set",       MATCH_EXACT,  METHODS_READ,   0,                       cookies_set_query },
    { "/cookies/set/",      MATCH_PREFIX, METHODS_READ,   0,                       cookies_set },
    { "/cookies/delete",    MATCH_EXACT,  METHODS_READ,   0,                       cookies_delete },
    { "/response-headers",  MATCH_EXACT,  METHODS_READ,   0,                       httpbin_response_headers },
    { "/html",              MATCH_EXACT,  METHODS_READ,   0,                       httpbin_html },
    { "/json",              MATCH_EXACT,  METHODS_READ,   0,                       httpbin_json },
    { "/xml",               MATCH_EXACT,  METHODS_READ,   0,                       httpbin_xml },
    { "/robots.txt",        MATCH_EXACT,  METHODS_READ,   0,                       httpbin_robots },
    { "/deny",              MATCH_EXACT,  METHODS_READ,   0,                       httpbin_deny },
    { "/encoding/utf8",     MATCH_EXACT,  METHODS_READ,   0,                       httpbin_utf8 },
    { "/links/",            MATCH_PREFIX, METHODS_READ,   0,                       httpbin_links },
    { "/base64/",           MATCH_PREFIX, METHODS_READ,   0,                       httpbin_base64 },
    { "/uuid",              MATCH_EXACT,  METHODS_READ,   0,                       httpbin_uuid },
    { "/hostname",          MATCH_EXACT,  METHODS_READ,   0,                       httpbin_hostname },
    { "/unstable",          MATCH_EXACT,  METHODS_ANY,    0,                       httpbin_unstable },
    { "/etag/",             MATCH_PREFIX, METHODS_READ,   0,                       conditional_etag },
    { "/cache",             MATCH_EXACT,  METHODS_READ,   0,                       conditional_cache },
    { "/cache/",            MATCH_PREFIX, METHODS_READ,   0,                       conditional_cache_for },
    { "/range/",            MATCH_PREFIX, METHODS_READ,   0,                       conditional_range },
    { "/bytes/",            MATCH_PREFIX, METHODS_READ,   0,                       conditional_bytes },
    { "/upload",            MATCH_EXACT,  METHODS_UPLOAD, KEEPS_BODY,              client_input_upload,
      client_input_upload_precheck },
    { "/delay/",            MATCH_PREFIX, METHODS_ANY,    0,                       timing_delay },
    { "/drip",              MATCH_EXACT,  METHODS_READ,   0,                       timing_drip },
    { "/stream/",           MATCH_PREFIX, METHODS_READ,   0,                       echo_stream },
    { "/stream-bytes/",     MATCH_PREFIX, METHODS_READ,   0,                       streams_bytes },
    { "/sse",               MATCH_EXACT,  METHODS_READ,   0,                       streams_sse },
    { "/trailers",          MATCH_EXACT,  METHODS_READ,   0,                       streams_trailers },
    { "/sequence/",         MATCH_PREFIX, METHODS_ANY,    0,                       stateful_sequence },
    { "/flaky/",            MATCH_PREFIX, METHODS_ANY,    0,                       stateful_flaky },
    { "/ratelimit/",        MATCH_PREFIX, METHODS_ANY,    0,                       stateful_ratelimit },
    { "/journal",           MATCH_EXACT,  METHODS_READ,   0,                       stateful_journal },
    { "/fault/",            MATCH_PREFIX, METHODS_ANY,    0,                       fault_handle },
    { "/method/",           MATCH_PREFIX, METHODS_ANY,    OWN_OPTIONS,             client_input_method },
    { "/negotiate/",        MATCH_PREFIX, METHODS_READ,   0,                       client_input_negotiate },
    { "/dump/request",      MATCH_EXACT,  METHODS_ANY,    OWN_OPTIONS | KEEPS_BODY, dump_request },
    { "/image",             MATCH_EXACT,  METHODS_READ,   0,                       images_negotiate },
    { "/image/",            MATCH_PREFIX, METHODS_READ,   0,                       images_format },
};

const size_t route_table_size = sizeof route_table / sizeof route_table[0];
