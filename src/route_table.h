/* The route table (route_table.c): every endpoint, once. */
#ifndef STATUSD_ROUTE_TABLE_H
#define STATUSD_ROUTE_TABLE_H

#include "routes.h"

extern const struct route route_table[];
extern const size_t route_table_size;

#endif
