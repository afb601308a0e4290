#ifndef HANDOFF_CPOSTGRES_SHIM_H
#define HANDOFF_CPOSTGRES_SHIM_H
/* libpq, the PostgreSQL client library. Debian puts its headers in /usr/include/postgresql. */
#if __has_include(<postgresql/libpq-fe.h>)
#include <postgresql/libpq-fe.h>
#else
#include <libpq-fe.h>
#endif

#include <poll.h>

/* 1 when the connection's socket has something to read now (data, or the server's EOF). */
static inline int handoff_pq_socket_readable(const PGconn *conn) {
    struct pollfd descriptor = { .fd = PQsocket(conn), .events = POLLIN, .revents = 0 };
    return poll(&descriptor, 1, 0) > 0;
}

/* Drops libpq's notices (NOTICE, WARNING, a FATAL that arrived while idle), which it would
   print to stderr; errors reach callers as results. */
static inline void handoff_pq_ignore_notice(void *argument, const char *message) {
    (void)argument;
    (void)message;
}

/* PG_DIAG_* are character-literal macros Swift does not import. */
static inline int handoff_pq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int handoff_pq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int handoff_pq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
static inline int handoff_pq_diag_constraint_name(void) { return PG_DIAG_CONSTRAINT_NAME; }
#endif
