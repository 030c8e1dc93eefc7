/* PLACEHOLDER: replaced by the real implementation of this family. */
#include "routes.h"

void conditional_etag(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void conditional_cache(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void conditional_cache_for(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void conditional_range(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void conditional_bytes(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

