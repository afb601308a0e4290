#ifndef HANDOFF_CSQLITE_SHIM_H
#define HANDOFF_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro Swift cannot import: this makes SQLite copy bound bytes.
static inline sqlite3_destructor_type handoff_sqlite_transient(void) {
    return (sqlite3_destructor_type)-1;
}
#endif
