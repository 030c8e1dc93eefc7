/* Files from static/, compiled into the binary by scripts/embed.py. */
#ifndef STATUSD_ASSETS_H
#define STATUSD_ASSETS_H

#include <stddef.h>

struct asset {
    const char *name;          /* path below static/, e.g. "style.css" */
    const unsigned char *data; /* NUL-terminated, so text assets are C strings */
    size_t size;               /* without the terminating NUL */
};

/* Ends with a row whose name is NULL. */
extern const struct asset assets[];

/* The asset called name, or NULL. */
const struct asset *asset_find(const char *name);

/* "text/css; charset=utf-8" and so on, from the name's extension. */
const char *asset_content_type(const char *name);

#endif
