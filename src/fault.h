/* /fault/{kind}: connections broken on purpose, each producing exactly the client-side error
 * it names (SPEC §9). */
#ifndef STATUSD_FAULT_H
#define STATUSD_FAULT_H

#include "exchange.h"

/* Carries out reply->fault on the request's connection. Returns what the access handler
 * returns: MHD_NO, so libmicrohttpd drops the connection without a response. */
enum MHD_Result fault_carry_out(struct request *request, struct reply *reply);

/* The fault a reply from fault_handle() produced ("fault-reset", "fault-truncate", ...), for
 * the access log's outcome; NULL for any other reply. */
const char *fault_outcome(const struct reply *reply);

#endif
