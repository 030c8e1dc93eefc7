/* Redirect targets: location= and /redirect-to?url= (params_valid_location, then the
 * --redirect-allow check params_location_allowed) and the Host header that type=absolute
 * redirects are built from (params_valid_host), all in src/http/params.c.
 *
 * The oracle is the host a browser would go to, read the WHATWG URL way (extra slashes
 * skipped, userinfo up to the last '@', the port dropped, ASCII lower-cased, %XX decoded): a
 * target the checks accept either stays on this server or goes to a listed host. */
#include "fuzz.h"

#include "config.h"
#include "params.h"

#include <ctype.h>

static const char *const allowed_hosts[] = { "example.com", "[::1]", "127.0.0.1",
                                             "Sub.Example.ORG" };
#define ALLOWED_COUNT (sizeof allowed_hosts / sizeof allowed_hosts[0])

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* host, ASCII lower-cased and percent-decoded, brackets of an IPv6 literal dropped. */
static char *normal_host(const char *host, size_t length)
{
    if (length >= 2 && host[0] == '[' && host[length - 1] == ']') {
        host++;
        length -= 2;
    }
    char *out = malloc(length + 1);
    FUZZ_ASSERT(out != NULL);
    size_t n = 0;
    for (size_t i = 0; i < length; i++) {
        if (host[i] == '%' && i + 2 < length && hex_digit(host[i + 1]) >= 0 &&
            hex_digit(host[i + 2]) >= 0) {
            out[n++] = (char)(hex_digit(host[i + 1]) * 16 + hex_digit(host[i + 2]));
            i += 2;
        } else {
            out[n++] = (char)tolower((unsigned char)host[i]);
        }
    }
    out[n] = '\0';
    return out;
}

enum destination { STAYS_HERE, UNPARSABLE, OTHER_HOST };

/* Where a browser goes from a page on this server when sent to location; *host is set
 * (malloc'ed, normalised) for OTHER_HOST. */
static enum destination browser_destination(const char *location, char **host)
{
    const char *p = location;
    size_t scheme = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
    if (scheme > 0 && isalpha((unsigned char)p[0]) && p[scheme] == ':') {
        bool special = (scheme == 4 && strncasecmp(p, "http", 4) == 0) ||
                       (scheme == 5 && strncasecmp(p, "https", 5) == 0);
        if (!special)
            return OTHER_HOST; /* javascript:, data:, ...: never "here"; no host to compare */
        /* No slash needed: from an https page, "http:x" goes to host x. */
        p += scheme + 1;
    } else if (!((p[0] == '/' || p[0] == '\\') && (p[1] == '/' || p[1] == '\\'))) {
        return STAYS_HERE; /* a path, a query or a fragment */
    }
    p += strspn(p, "/\\");
    size_t authority = strcspn(p, "/\\?#");
    const char *start = p;
    for (size_t i = authority; i > 0; i--)
        if (p[i - 1] == '@') {
            start = p + i;
            break;
        }
    size_t length = (size_t)(p + authority - start);
    bool brackets = false;
    size_t n = 0;
    for (; n < length; n++) {
        if (start[n] == '[')
            brackets = true;
        else if (start[n] == ']')
            brackets = false;
        else if (start[n] == ':' && !brackets)
            break;
    }
    /* URLs a browser refuses to parse, so no request is made: an empty host, an IPv6
     * literal with anything but hex digits, ':' and '.' inside its brackets, brackets
     * elsewhere (forbidden host code points). */
    if (n == 0)
        return UNPARSABLE;
    if (start[0] == '[') {
        if (n < 2 || start[n - 1] != ']' ||
            strspn(start + 1, "0123456789abcdefABCDEF:.") != n - 2)
            return UNPARSABLE;
    } else if (memchr(start, '[', n) || memchr(start, ']', n)) {
        return UNPARSABLE;
    }
    *host = normal_host(start, n);
    return OTHER_HOST;
}

static bool host_is_allowed(const char *host)
{
    for (size_t i = 0; host && i < ALLOWED_COUNT; i++) {
        char *allowed = normal_host(allowed_hosts[i], strlen(allowed_hosts[i]));
        bool same = strcmp(allowed, host) == 0;
        free(allowed);
        if (same)
            return true;
    }
    return false;
}

static void check_location(const char *location)
{
    if (!params_valid_location(location))
        return;
    struct config open = { 0 };
    FUZZ_ASSERT(params_location_allowed(&open, location)); /* no --redirect-allow: any host */
    struct config listed = { .redirect_allow_count = ALLOWED_COUNT };
    for (size_t i = 0; i < ALLOWED_COUNT; i++)
        listed.redirect_allow[i] = allowed_hosts[i];
    char *host = NULL;
    enum destination destination = browser_destination(location, &host);
    bool allowed = params_location_allowed(&listed, location);
    if (allowed && destination == OTHER_HOST && !host_is_allowed(host))
        fprintf(stderr, "'%s' was allowed, but a browser goes to host '%s'\n", location,
                host ? host : "(none)");
    if (allowed)
        FUZZ_ASSERT(destination != OTHER_HOST || host_is_allowed(host));
    if (destination == STAYS_HERE)
        FUZZ_ASSERT(allowed); /* relative references always pass */
    free(host);
}

/* A Host header that passes is host[:port] only: the absolute redirect built from it goes to
 * that very host. */
static void check_host_header(const char *value)
{
    if (!params_valid_host(value))
        return;
    size_t length = strlen(value);
    FUZZ_ASSERT(length >= 1 && length <= PARAMS_MAX_HOST);
    char *target = malloc(length + sizeof "http:///redirect/1");
    FUZZ_ASSERT(target != NULL);
    sprintf(target, "http://%s/redirect/1", value);
    FUZZ_ASSERT(params_valid_location(target));
    char *host = NULL;
    FUZZ_ASSERT(browser_destination(target, &host) == OTHER_HOST && host != NULL);
    size_t host_length = value[0] == '[' ? strcspn(value, "]") + 1 : strcspn(value, ":");
    char *expected = normal_host(value, host_length);
    FUZZ_ASSERT(strcmp(host, expected) == 0);
    free(expected);
    free(host);
    free(target);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_string(data, size);
    check_location(value);
    check_host_header(value);
    free(value);
    return 0;
}
