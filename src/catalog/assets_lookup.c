#include "assets.h"

#include <string.h>

const struct asset *asset_find(const char *name)
{
    /* A dozen files: a linear scan is faster than anything it would take to index them. */
    for (const struct asset *a = assets; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

const char *asset_content_type(const char *name)
{
    static const struct {
        const char *extension;
        const char *type;
    } types[] = {
        { ".css", "text/css; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".json", "application/json" },
        { ".html", "text/html; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".jpg", "image/jpeg" },
        { ".webp", "image/webp" },
        { ".ico", "image/x-icon" },
    };
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].extension) == 0)
                return types[i].type;
    return "application/octet-stream";
}
