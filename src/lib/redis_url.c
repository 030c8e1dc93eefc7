/* --state's Redis address: see redis_url.h for the contract. */
#include "redis_url.h"

#include "numbers.h"

#include <stdint.h>
#include <string.h>

/* Copies [start, end) into out (size bytes) as text; false when empty or too long. */
static bool copy_part(const char *start, const char *end, char *out, size_t size)
{
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= size)
        return false;
    memcpy(out, start, n);
    out[n] = '\0';
    return true;
}

static bool parse_number_part(const char *start, const char *end, uint64_t max, unsigned *value)
{
    char text[16];
    uint64_t number;
    if (!copy_part(start, end, text, sizeof text) || !parse_uint(text, max, &number))
        return false;
    *value = (unsigned)number;
    return true;
}

bool redis_url_parse(const char *url, struct redis_address *address)
{
    struct redis_address a = { .port = 6379 };
    const char *end = url + strlen(url);
    if (strncmp(url, "unix:", 5) == 0) {
        const char *path = url + 5;
        const char *query = strchr(path, '?');
        const char *path_end = query ? query : end;
        a.unix_socket = true;
        if (*path != '/' || !copy_part(path, path_end, a.path, sizeof a.path))
            return false;
        if (query && (strncmp(query, "?db=", 4) != 0 ||
                      !parse_number_part(query + 4, end, 1000000, &a.db)))
            return false;
    } else if (strncmp(url, "redis://", 8) == 0) {
        const char *host = url + 8;
        /* No user information (the password has its own variable), query or fragment. */
        if (strpbrk(host, "@?# \t\r\n"))
            return false;
        const char *host_end, *rest;
        if (*host == '[') { /* IPv6 */
            host_end = strchr(host, ']');
            if (!host_end || !copy_part(host + 1, host_end, a.host, sizeof a.host))
                return false;
            rest = host_end + 1;
        } else {
            host_end = host + strcspn(host, ":/");
            if (!copy_part(host, host_end, a.host, sizeof a.host))
                return false;
            rest = host_end;
        }
        if (*rest == ':') {
            const char *port_end = rest + 1 + strcspn(rest + 1, "/");
            if (!parse_number_part(rest + 1, port_end, 65535, &a.port) || a.port == 0)
                return false;
            rest = port_end;
        }
        if (*rest == '/' && rest[1] && !parse_number_part(rest + 1, end, 1000000, &a.db))
            return false;
        if (*rest && *rest != '/')
            return false;
    } else {
        return false;
    }
    if (address)
        *address = a;
    return true;
}
