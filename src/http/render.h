/* The body of a reply that explains a status code, as text, HTML or JSON, in one language or
 * both. Everything shown comes from the catalogue entry and the reply's own headers and note. */
#ifndef STATUSD_RENDER_H
#define STATUSD_RENDER_H

#include "exchange.h"
#include "strbuf.h"

/* Appends the explanation of reply to out. Header values are shown as the reply holds them,
 * placeholders ({length}, ...) included, because they depend on the body being built. */
void render_explanation(struct strbuf *out, enum format format, enum languages languages,
                        const struct reply *reply);

/* The HTML page frame shared by every page statusd serves: stylesheet, icon, header and
 * footer. Pages with scripts add <script src="/static/..." defer> before closing: the
 * Content-Security-Policy allows no inline script or style. */
void render_html_open(struct strbuf *out, const char *title, const char *language);
void render_html_close(struct strbuf *out);

/* The HTML explanation of reply without the page frame, for pages that add to it
 * (/codes/{code}). With reply->headers_described_only the headers are named as those
 * /status/{code} sends rather than as this response's. */
void render_html_article(struct strbuf *out, enum languages languages, const struct reply *reply);

#endif
