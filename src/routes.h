/* The route table: which handler answers which path, for which methods. */
#ifndef STATUSD_ROUTES_H
#define STATUSD_ROUTES_H

#include "exchange.h"

typedef void (*route_handler)(struct request *request, struct reply *reply);

enum route_match { MATCH_EXACT, MATCH_PREFIX };

struct route {
    const char *pattern;      /* "/health", or "/status/" for a prefix */
    enum route_match match;
    unsigned methods;         /* METHOD_BIT()s */
    bool own_options;         /* OPTIONS goes to the handler instead of the Allow answer */
    route_handler handler;
};

/* The route for path, or NULL; *tail is the rest of the path after a prefix. */
const struct route *route_find(const char *path, const char **tail);

/* "GET, HEAD" for a route's methods. */
const char *route_allow(const struct route *route, char *buffer, size_t size);

/* Fills reply for a request: finds the route, answers 404, 405, OPTIONS and CORS preflight
 * itself, and otherwise calls the handler. */
void route_dispatch(struct request *request, struct reply *reply);

/* Handlers, one file per family of endpoints. */
void status_handle(struct request *request, struct reply *reply);
void pages_index(struct request *request, struct reply *reply);
void pages_code(struct request *request, struct reply *reply);
void pages_codes_json(struct request *request, struct reply *reply);
void pages_static(struct request *request, struct reply *reply);
void pages_health(struct request *request, struct reply *reply);
/* Builds the pages that never change (the index) once, at start-up. */
bool pages_init(void);
void pages_free(void);

#endif
