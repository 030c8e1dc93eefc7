/* /fault/{kind}: connections broken on purpose, each producing exactly the client-side error
 * it names (SPEC §9). */
#ifndef STATUSD_FAULT_H
#define STATUSD_FAULT_H

#include "exchange.h"

/* Carries out reply->fault on the request's connection. Returns what the access handler
 * returns: MHD_NO, so libmicrohttpd drops the connection without a response. */
enum MHD_Result fault_carry_out(struct request *request, struct reply *reply);

#endif
