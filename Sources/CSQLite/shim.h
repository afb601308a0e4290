#ifndef HANDOFF_CSQLITE_SHIM_H
#define HANDOFF_CSQLITE_SHIM_H
#include <sqlite3.h>

/// SQLITE_TRANSIENT is a macro Swift cannot import: this makes SQLite copy bound bytes.
static inline sqlite3_destructor_type handoff_sqlite_transient(void) {
    return (sqlite3_destructor_type)-1;
}

/// Turns off SQLite's memory statistics (nothing here reads them), which took a global mutex on
/// every allocation. `sqlite3_config` is variadic, which Swift cannot call; this must run before
/// the first connection opens.
static inline int handoff_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
