/* PLACEHOLDER: replaced by the real implementation of this family. */
#include "routes.h"

void client_input_upload(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void client_input_method(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

void client_input_negotiate(struct request *request, struct reply *reply)
{
    reply_error(reply, request, 501, "Not built yet.", "尚未实现。");
}

bool client_input_upload_precheck(struct request *request, struct reply *reply)
{
    (void)request;
    (void)reply;
    return true;
}
