/* PLACEHOLDER: replaced by the real implementation of this family. */
#include "routes.h"

void auth_basic(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void auth_hidden_basic(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void auth_digest(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void auth_bearer(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void auth_proxy(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void auth_forbidden(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

