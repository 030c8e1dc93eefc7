/* Query parameters that reach response headers (src/http/params.c): location=, h= names,
 * realm=, retry_after=. Each check must accept exactly what its contract in params.h says,
 * and whatever it accepts must pass reply_set_header: a CR, LF or other control byte from a
 * URL never reaches the wire. */
#include "fuzz.h"

#include "params.h"

#include <ctype.h>
#include <strings.h>

static bool is_tchar(unsigned char c)
{
    return (c < 0x80 && isalnum(c)) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool reference_token(const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)value[i]))
            return false;
    return true;
}

static bool reference_realm(const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n > 128)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
            return false;
    return true;
}

/* params.h: an http(s) URL, "//host/path" or a relative reference; printable ASCII without
 * spaces or backslashes (which browsers read as '/'), at most 2048 bytes. A scheme is what
 * comes before a ':' that precedes any '/'. */
static bool reference_location(const char *value)
{
    size_t n = strlen(value);
    if (n == 0 || n > 2048)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x21 || *p > 0x7e || *p == '\\')
            return false;
    size_t before_colon = strcspn(value, ":");
    bool has_scheme = value[before_colon] == ':' && strcspn(value, "/") > before_colon;
    return !has_scheme || strncasecmp(value, "http://", 7) == 0 ||
           strncasecmp(value, "https://", 8) == 0;
}

/* What request_printf needs: a zeroed request has an empty arena. */
static struct request *new_request(void)
{
    struct request *request = calloc(1, sizeof *request);
    FUZZ_ASSERT(request != NULL);
    return request;
}

static bool header_accepts(const char *name, const char *value)
{
    struct reply *reply = calloc(1, sizeof *reply);
    FUZZ_ASSERT(reply != NULL);
    bool set = reply_set_header(reply, name, value);
    free(reply);
    return set;
}

static bool all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7) */
static bool is_imf_fixdate(const char *s)
{
    static const char shape[] = "Aaa, 00 Aaa 0000 00:00:00 GMT";
    if (strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i]; i++) {
        bool ok = shape[i] == '0'   ? isdigit((unsigned char)s[i])
                  : shape[i] == 'A' ? isupper((unsigned char)s[i])
                  : shape[i] == 'a' ? islower((unsigned char)s[i])
                                    : s[i] == shape[i];
        if (!ok)
            return false;
    }
    return true;
}

static void check_retry_after(const char *value)
{
    struct request *request = new_request();
    const char *header = params_retry_after(request, value);
    if (header) {
        FUZZ_ASSERT(header_accepts("Retry-After", header));
        bool as_date = strncmp(value, "date:", 5) == 0;
        const char *seconds = as_date ? value + 5 : value;
        FUZZ_ASSERT(all_digits(seconds));
        if (as_date) {
            FUZZ_ASSERT(is_imf_fixdate(header));
        } else {
            /* The same number, without leading zeros, and no more than a year. */
            FUZZ_ASSERT(all_digits(header));
            FUZZ_ASSERT(header[0] != '0' || header[1] == '\0');
            FUZZ_ASSERT(strtoull(header, NULL, 10) == strtoull(seconds, NULL, 10));
            FUZZ_ASSERT(strtoull(header, NULL, 10) <= 31536000);
        }
    }
    free(request);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_string(data, size);

    bool location = params_valid_location(value);
    FUZZ_ASSERT(location == reference_location(value));
    if (location)
        FUZZ_ASSERT(header_accepts("Location", value));

    bool token = params_valid_token(value);
    FUZZ_ASSERT(token == reference_token(value));
    if (token) /* an h= name, and the Allow list's methods */
        FUZZ_ASSERT(header_accepts("Allow", value));

    bool realm = params_valid_realm(value);
    FUZZ_ASSERT(realm == reference_realm(value));
    if (realm)
        FUZZ_ASSERT(header_accepts("WWW-Authenticate", value));

    /* ?content_type=: whatever passes is a header value no client can break a line with,
     * and it starts with a type/subtype (issue 14). */
    if (params_valid_media_type(value)) {
        FUZZ_ASSERT(header_accepts("Content-Type", value));
        FUZZ_ASSERT(strlen(value) <= 256);
        FUZZ_ASSERT(strchr(value, '/') != NULL && value[0] != '/');
        for (const unsigned char *p = (const unsigned char *)value; *p; p++)
            FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f);
    }

    check_retry_after(value);
    free(value);
    return 0;
}
