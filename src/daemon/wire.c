/* Writing beside libmicrohttpd: see wire.h. */
#include "wire.h"

#include "catalog.h"
#include "httpdate.h"
#include "response.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

bool wire_target_of(struct MHD_Connection *connection, bool tls, struct wire_target *target)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return false;
    target->fd = info->connect_fd; /* copied: the next call reuses the same union */
    target->tls = NULL;
    if (tls) {
        info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (!info || !info->tls_session)
            return false;
        target->tls = info->tls_session;
    }
    return true;
}

bool wire_write(const struct wire_target *target, const char *data, size_t size)
{
    size_t sent = 0;
    for (unsigned waits = 0; sent < size;) {
        ssize_t w = target->tls ? gnutls_record_send(target->tls, data + sent, size - sent)
                                : send(target->fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        /* GnuTLS wants the same call repeated after E_AGAIN: sent is unchanged, so it is. */
        bool again = target->tls ? w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED
                                 : w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                                             errno == EINTR);
        /* The socket is non-blocking; an empty send buffer makes waiting rare and short. */
        struct pollfd wait = { .fd = target->fd, .events = POLLOUT };
        if (!again || ++waits > 5 || poll(&wait, 1, 1000) <= 0)
            return false;
    }
    return true;
}

void wire_final_head(struct strbuf *out, unsigned status, const char *content_type,
                     size_t content_length)
{
    char date[HTTP_DATE_SIZE];
    http_date_format(time(NULL), date);
    strbuf_printf(out, "HTTP/1.1 %u %s\r\nDate: %s\r\nConnection: close\r\n", status,
                  catalog_reason(status), date);
    for (size_t i = 0; i < RESPONSE_COMMON_HEADER_COUNT; i++)
        strbuf_printf(out, "%s: %s\r\n", response_common_headers[i].name,
                      response_common_headers[i].value);
    strbuf_printf(out, "Cache-Control: no-store\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                  content_type, content_length);
}

bool wire_interim(const struct wire_target *target, const struct reply *reply)
{
    unsigned code = reply->interim;
    const struct catalog_entry *entry = catalog_find(code, 0);
    struct strbuf head = { 0 };
    strbuf_printf(&head, "HTTP/1.1 %u %s\r\n", code, catalog_reason(code));
    for (size_t i = 0; i < reply->interim_link_count; i++)
        strbuf_printf(&head, "Link: %s\r\n", reply->interim_links[i]);
    for (size_t i = 0; entry && i < entry->header_count; i++)
        if (!reply->interim_link_count || strcasecmp(entry->headers[i].name, "Link") != 0)
            strbuf_printf(&head, "%s: %s\r\n", entry->headers[i].name,
                          entry->headers[i].value);
    strbuf_append(&head, "\r\n");
    bool written = !strbuf_failed(&head) && wire_write(target, head.data, head.length);
    strbuf_free(&head);
    return written;
}

void wire_fault(const struct wire_target *target, const struct reply *reply)
{
    switch (reply->fault) {
    case FAULT_RESET: {
        /* Linger on with a zero timeout: close() sends RST instead of FIN. libmicrohttpd with
         * MHD_USE_TURBO closes without a shutdown() first (docs/libmicrohttpd.md §2). */
        struct linger abort_on_close = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(target->fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
        break;
    }
    case FAULT_BAD_CHUNK:
    case FAULT_GARBAGE:
        wire_write(target, reply->body, reply->body_length);
        shutdown(target->fd, SHUT_WR);
        break;
    case FAULT_CLOSE:
    case FAULT_HANG:
    default:
        shutdown(target->fd, SHUT_WR); /* FIN now, whatever libmicrohttpd does next */
        break;
    }
}
