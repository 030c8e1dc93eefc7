/* /image (by Accept) and /image/{format}: one small picture, 64x48, in each format a browser
 * or an image library is tested with. The files are in static/image/, made once by
 * scripts/images/make_images.c (PNG and SVG written by hand beside it: README "Images"), and
 * embedded like every static file. AVIF is left out: Debian's libavif-dev is not among the
 * packages this project builds with, and no tool here writes the format. */
#include "assets.h"
#include "endpoints.h"
#include "httplist.h"

#include <string.h>
#include <strings.h>

struct image_format {
    const char *name;  /* /image/{name} */
    const char *alias; /* another name for it, or NULL */
    const char *type;
    const char *asset;
};

/* In the order a wildcard range ("image/" or any type, then "*") picks among equals: PNG is
 * what any client that takes images at all can show. */
static const struct image_format formats[] = {
    { "png", NULL, "image/png", "image/statusd.png" },
    { "jpeg", "jpg", "image/jpeg", "image/statusd.jpg" },
    { "webp", NULL, "image/webp", "image/statusd.webp" },
    { "svg", NULL, "image/svg+xml", "image/statusd.svg" },
};
#define FORMAT_COUNT (sizeof formats / sizeof formats[0])

static const char formats_en[] =
    "image/png, image/jpeg, image/webp and image/svg+xml (also by path: /image/png, "
    "/image/jpeg, /image/webp, /image/svg); no image/avif";
static const char formats_zh[] =
    "image/png、image/jpeg、image/webp 和 image/svg+xml（也可按路径：/image/png、/image/jpeg、"
    "/image/webp、/image/svg）；不提供 image/avif";

static void send_image(struct request *request, struct reply *reply,
                       const struct image_format *format)
{
    const struct asset *asset = asset_find(format->asset);
    if (!asset) { /* the build embeds static/ whole: only a broken build gets here */
        reply_error(reply, request, 500, "The image is missing from this build.",
                    "此构建缺少该图片。");
        return;
    }
    reply->status = 200;
    reply->body = (const char *)asset->data;
    reply->body_length = asset->size;
    reply->content_type = format->type;
}

/* Where Accept names type itself (not through a wildcard range): the 0-based position of that
 * range in the list, or -1. A client that lists image/webp wants WebP even if it also takes
 * every image type at the same q, as browsers' Accept for images says. */
static int exact_position(const char *accept, const char *type)
{
    int position = 0;
    struct httplist_item item;
    for (const char *p = accept; p && httplist_next(&p, &item); position++) {
        size_t n = item.length;
        const char *semicolon = memchr(item.start, ';', n);
        if (semicolon)
            n = (size_t)(semicolon - item.start);
        while (n > 0 && (item.start[n - 1] == ' ' || item.start[n - 1] == '\t'))
            n--;
        if (n == strlen(type) && strncasecmp(item.start, type, n) == 0)
            return position;
    }
    return -1;
}

/* The format Accept prefers: the highest q above 0; among equals, a type the client named
 * itself before one a wildcard covers, the one it named first, then the order of formats[].
 * NULL when it accepts none. */
static const struct image_format *choose(const char *accept)
{
    const struct image_format *best = NULL;
    double best_q = 0;
    int best_position = -1;
    for (size_t i = 0; i < FORMAT_COUNT; i++) {
        double q = negotiate_quality(accept, formats[i].type);
        if (q <= 0)
            continue;
        int position = exact_position(accept, formats[i].type);
        bool better = q > best_q ||
                      (q == best_q && position >= 0 &&
                       (best_position < 0 || position < best_position));
        if (better) {
            best = &formats[i];
            best_q = q;
            best_position = position;
        }
    }
    return best;
}

void images_negotiate(struct request *request, struct reply *reply)
{
    const char *accept = request_header(request, "Accept");
    const struct image_format *format = choose(accept);
    if (!format) {
        reply_error(reply, request, 406,
                    request_printf(request, "Accept matches none of the images here: %s.",
                                   formats_en),
                    request_printf(request, "Accept 与这里的图片格式都不匹配：%s。", formats_zh));
        reply->note_first = true;
    } else {
        send_image(request, reply, format);
    }
    /* The same URL answers differently by Accept: a cache must key on it. */
    reply_set_header(reply, "Vary", "Accept");
}

void images_format(struct request *request, struct reply *reply)
{
    for (size_t i = 0; i < FORMAT_COUNT; i++)
        if (strcmp(request->tail, formats[i].name) == 0 ||
            (formats[i].alias && strcmp(request->tail, formats[i].alias) == 0)) {
            send_image(request, reply, &formats[i]);
            return;
        }
    reply_error(reply, request, 404,
                request_printf(request, "There is no image format called '%s'. Formats: %s.",
                               request->tail, formats_en),
                request_printf(request, "没有名为 '%s' 的图片格式。可用格式：%s。", request->tail,
                               formats_zh));
    reply->note_first = true;
}
