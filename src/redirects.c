/* PLACEHOLDER: replaced by the real implementation of this family. */
#include "routes.h"

void redirects_chain(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void redirects_to(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void redirects_loop(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

