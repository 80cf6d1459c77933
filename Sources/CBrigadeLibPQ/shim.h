#ifndef CBRIGADE_LIBPQ_SHIM_H
#define CBRIGADE_LIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
