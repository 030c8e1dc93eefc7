/* Where the Redis state store is (--state): parsed when the flags are read, so a typo stops
 * start-up with a message instead of showing up as a store that is always down. */
#ifndef STATUSD_REDIS_URL_H
#define STATUSD_REDIS_URL_H

#include <stdbool.h>

struct redis_address {
    bool unix_socket;
    char host[256]; /* TCP: name or address, without IPv6 brackets */
    unsigned port;
    char path[108]; /* unix: the socket's path (sun_path's size) */
    unsigned db;    /* SELECT db after connecting; 0 is Redis's default */
};

/* redis://HOST[:PORT][/DB] (IPv6 as [::1]), unix:/PATH[?db=N]. False for anything else,
 * including user information ("redis://:secret@host"): the password comes from
 * STATUSD_REDIS_PASSWORD only, so it never shows in a process list. */
bool redis_url_parse(const char *url, struct redis_address *address);

#endif
