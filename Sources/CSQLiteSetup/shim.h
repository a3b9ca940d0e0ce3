// SQLite's process-wide settings, which Swift cannot set itself (sqlite3_config is variadic).
#include <sqlite3.h>

/// Turns off SQLite's memory-use statistics: with them on, every allocation SQLite makes
/// takes a process-wide mutex to count itself. Must run before the first connection opens
/// (SQLite refuses afterwards with SQLITE_MISUSE, changing nothing).
static inline int registry_sqlite_memory_statistics_off(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
