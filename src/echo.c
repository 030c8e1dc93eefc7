/* PLACEHOLDER: replaced by the real implementation of this family. */
#include "routes.h"

void echo_anything(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void echo_headers(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void echo_ip(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void echo_user_agent(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

