#ifndef CBRIGADE_LIBPQ_SHIM_H
#define CBRIGADE_LIBPQ_SHIM_H
#include <libpq-fe.h>

#ifdef __linux__
#include <spawn.h>
/* glibc >= 2.34 has it, but declares it only under _GNU_SOURCE, which Swift's Glibc module
   does not define. EmbeddedPostgres spawns the server with it so that no descriptor of the
   host process (SwiftNIO's sockets are not close-on-exec) leaks into PostgreSQL. */
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
#endif

#endif
