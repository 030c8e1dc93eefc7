/* The route table: which handler answers which path, for which methods. */
#ifndef STATUSD_ROUTES_H
#define STATUSD_ROUTES_H

#include "exchange.h"

typedef void (*route_handler)(struct request *request, struct reply *reply);

/* Runs when the request head has arrived, before the body is read. Returns false with reply
 * filled to refuse the request there (413 before the body, 411, 415, 417): the connection is
 * then closed, as the unread body cannot be told from a next request. */
typedef bool (*route_precheck)(struct request *request, struct reply *reply);

enum route_match { MATCH_EXACT, MATCH_PREFIX };

enum route_flags {
    ROUTE_OWN_OPTIONS = 1u << 0, /* OPTIONS goes to the handler, not the Allow answer */
    ROUTE_KEEPS_BODY = 1u << 1,  /* the body (up to --max-body) is kept in request->body */
};

struct route {
    const char *pattern;      /* "/health", or "/status/" for a prefix */
    enum route_match match;
    unsigned methods;         /* METHOD_BIT()s */
    unsigned flags;           /* enum route_flags */
    route_handler handler;
    route_precheck precheck;  /* may be NULL */
};

/* Sets the table route_find and route_dispatch search (route_table.c's, from main.c). The
 * router itself knows no endpoint. */
void routes_use(const struct route *routes, size_t count);

/* The route for path, or NULL; *tail is the rest of the path after a prefix. */
const struct route *route_find(const char *path, const char **tail);

/* "GET, HEAD" for a route's methods. */
const char *route_allow(const struct route *route, char *buffer, size_t size);

/* Fills reply for a request: finds the route, answers 404, 405, OPTIONS and CORS preflight
 * itself, and otherwise calls the handler. */
void route_dispatch(struct request *request, struct reply *reply);

/* What every transport does with a complete request: reads the parameters every URL takes
 * (?format=, ?lang=, ?delay=; a 400 for a bad one), dispatches, and turns a reply that lost a
 * header into a 500. Returns how long to wait before answering (milliseconds, 0: at once). */
uint64_t route_decide(struct request *request, struct reply *reply);

#endif
