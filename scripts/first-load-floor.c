/*
 * SQLite's own cost of a county's first residents load: the rows `registry import
 * residents` writes for each new person, written from C with nothing else around them.
 * The floor under the registry's bulk path (BENCHMARKS.md, issue 15); built and run by
 * scripts/first-load-floor, which says how.
 *
 *   first-load-floor DB RESIDENTS.csv per-row|staged
 *
 * DB is a copy of a registry holding the county's areas and units and nobody yet (it is
 * changed). One transaction, as the registry's first load runs it: the rollback journal,
 * the database held exclusively, synchronous FULL, foreign keys on, a 16 MiB page cache,
 * the indexes the load defers dropped first and built again at the end.
 *
 * per-row: for each row, the row's unit found by its code (the last unit remembered: rows
 *   of one unit often come together), then the same three INSERTs the registry's writer
 *   runs — the person, the residence, the `move_in` event (and a `move_out` event when the
 *   row has moved out) — each a prepared statement bound and stepped once per row.
 * staged: each row's values and unit into a TEMP table first, then one INSERT … SELECT per
 *   table (the events' units joined in): what a set-based load would cost.
 *
 * What it leaves out, and the registry does: every check of a field, sealing (random bytes
 * of the sealed sizes stand in), the blind index, the keyed hash chain (a random hash
 * stands in), the population's counts, the import's bookkeeping. A later row of a person
 * seen before in the file (the registry runs it through the operations) is skipped and
 * counted. The CSV is read simply: a field may be quoted, a quoted field has no line break.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ID, NAME, PHONE, HUKOU, UNIT, MOVED_IN, MOVED_OUT, COLUMNS };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "first-load-floor: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void run(sqlite3 *db, const char *sql) {
    if (sqlite3_exec(db, sql, 0, 0, 0) != SQLITE_OK) fail(db, sql);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *statement;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, 0) != SQLITE_OK) fail(db, sql);
    return statement;
}

static void step(sqlite3 *db, sqlite3_stmt *statement, const char *what) {
    if (sqlite3_step(statement) != SQLITE_DONE) fail(db, what);
    sqlite3_reset(statement);
}

static unsigned long long state = 0x9E3779B97F4A7C15ULL;
static unsigned long long next_random(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}
static void random_bytes(unsigned char *bytes, int count) {
    for (int i = 0; i < count; i++) bytes[i] = (unsigned char)next_random();
}

/* Binds a person's seven values, in the resident table's column order, from parameter
 * `first` on; a NULL phone cipher when the row has no phone. */
static void bind_person(sqlite3_stmt *statement, int first, const unsigned char index[16], const unsigned char id_cipher[46],
                        const char *name, const char *sex, const char *birth, const char *hukou,
                        const unsigned char *phone_cipher) {
    sqlite3_bind_blob(statement, first, index, 16, SQLITE_STATIC);
    sqlite3_bind_blob(statement, first + 1, id_cipher, 46, SQLITE_STATIC);
    sqlite3_bind_text(statement, first + 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, first + 3, sex, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, first + 4, birth, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, first + 5, hukou, -1, SQLITE_STATIC);
    if (phone_cipher) sqlite3_bind_blob(statement, first + 6, phone_cipher, 39, SQLITE_STATIC);
    else sqlite3_bind_null(statement, first + 6);
}

/* Splits one CSV line in place into COLUMNS fields; returns 0 when it has fewer. */
static int split(char *line, char *fields[COLUMNS]) {
    int count = 0;
    char *p = line;
    while (count < COLUMNS) {
        char *out = p;
        fields[count++] = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') { *out++ = '"'; p += 2; }
                else if (*p == '"') { p++; break; }
                else if (*p == 0) break;
                else *out++ = *p++;
            }
            while (*p && *p != ',' && *p != '\r' && *p != '\n') p++;
        } else {
            while (*p && *p != ',' && *p != '\r' && *p != '\n') *out++ = *p++;
        }
        char separator = *p;
        *out = 0;
        if (separator != ',') break;
        p++;
    }
    return count == COLUMNS;
}

/* ID numbers seen: an open-addressing set of their first 17 digits. */
static unsigned long long *seen;
static unsigned long long seen_mask;
static int seen_before(const char *id) {
    unsigned long long key = 1;
    for (int i = 0; i < 17 && id[i]; i++) key = key * 10 + (unsigned long long)(id[i] - '0');
    unsigned long long slot = (key * 0x9E3779B97F4A7C15ULL) & seen_mask;
    while (seen[slot]) {
        if (seen[slot] == key) return 1;
        slot = (slot + 1) & seen_mask;
    }
    seen[slot] = key;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[3], "per-row") && strcmp(argv[3], "staged"))) {
        fprintf(stderr, "usage: first-load-floor DB RESIDENTS.csv per-row|staged\n");
        return 2;
    }
    int staged = strcmp(argv[3], "staged") == 0;
    FILE *file = fopen(argv[2], "r");
    if (!file) { perror(argv[2]); return 1; }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    seen_mask = 1;
    while (seen_mask < (unsigned long long)(size / 20)) seen_mask <<= 1;
    seen = calloc(seen_mask, sizeof *seen);
    seen_mask -= 1;

    sqlite3 *db;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) fail(db, argv[1]);
    run(db, "PRAGMA journal_mode = DELETE; PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = FULL;"
            "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384; PRAGMA temp_store = FILE");
    double start = now();
    run(db, "BEGIN IMMEDIATE");
    static const char *deferred[] = {"resident_name", "residence_unit", "residence_dates", "residence_moved_in",
                                     "ledger_event_subdistrict"};
    enum { DEFERRED = sizeof deferred / sizeof *deferred };
    char *definitions[DEFERRED];
    for (int i = 0; i < DEFERRED; i++) {
        sqlite3_stmt *query = prepare(db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?");
        sqlite3_bind_text(query, 1, deferred[i], -1, SQLITE_STATIC);
        if (sqlite3_step(query) != SQLITE_ROW) fail(db, deferred[i]);
        definitions[i] = strdup((const char *)sqlite3_column_text(query, 0));
        sqlite3_finalize(query);
        char drop[128];
        snprintf(drop, sizeof drop, "DROP INDEX %s", deferred[i]);
        run(db, drop);
    }
    sqlite3_stmt *tip = prepare(db, "SELECT (SELECT coalesce(max(seq), 0) FROM ledger_event), (SELECT coalesce(max(id), 0) FROM resident),"
                                    " (SELECT county_code FROM registry)");
    if (sqlite3_step(tip) != SQLITE_ROW) fail(db, "the ledger's tip");
    long long seq = sqlite3_column_int64(tip, 0), first_resident = sqlite3_column_int64(tip, 1);
    char county[16];
    snprintf(county, sizeof county, "%s", (const char *)sqlite3_column_text(tip, 2));
    sqlite3_finalize(tip);

    sqlite3_stmt *unit = prepare(db, "SELECT id, unit_id, address, grid, community, subdistrict FROM unit WHERE unit_id = ? AND closed_on IS NULL");
    sqlite3_stmt *resident = prepare(db, "INSERT INTO resident (id_index, id_cipher, name, sex, birth_date, hukou_code, phone_cipher) VALUES (?, ?, ?, ?, ?, ?, ?)");
    sqlite3_stmt *residence = prepare(db, "INSERT INTO residence (resident, unit, moved_in, moved_out) VALUES (?, ?, ?, ?)");
    sqlite3_stmt *event = prepare(db, "INSERT INTO ledger_event (seq, type, date, resident, name, sex, birth_date, hukou_code, migrant,"
                                      " unit_id, address, grid, community, subdistrict, operator, recorded_at, hash)"
                                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'floor', '2026-12-01T00:00:00.000Z', ?)");
    sqlite3_stmt *stage = 0;
    if (staged) {
        run(db, "CREATE TEMP TABLE staged (n INTEGER PRIMARY KEY, id_index BLOB, id_cipher BLOB, name TEXT, sex TEXT, birth_date TEXT,"
                " hukou_code TEXT, phone_cipher BLOB, unit INTEGER, moved_in TEXT, moved_out TEXT, migrant INTEGER)");
        stage = prepare(db, "INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    }

    char line[4096], last_unit[128] = "";
    long long unit_row = 0, rows = 0, later = 0;
    char unit_code[128], address[512], grid[32], community[32], subdistrict[32];
    if (!fgets(line, sizeof line, file)) { fprintf(stderr, "first-load-floor: an empty file\n"); return 1; }
    while (fgets(line, sizeof line, file)) {
        char *f[COLUMNS];
        if (!split(line, f)) continue;
        if (seen_before(f[ID])) { later++; continue; }
        if (strcmp(last_unit, f[UNIT]) != 0) {
            sqlite3_bind_text(unit, 1, f[UNIT], -1, SQLITE_STATIC);
            if (sqlite3_step(unit) != SQLITE_ROW) { fprintf(stderr, "first-load-floor: no open unit %s\n", f[UNIT]); return 1; }
            unit_row = sqlite3_column_int64(unit, 0);
            snprintf(unit_code, sizeof unit_code, "%s", (const char *)sqlite3_column_text(unit, 1));
            snprintf(address, sizeof address, "%s", (const char *)sqlite3_column_text(unit, 2));
            snprintf(grid, sizeof grid, "%s", (const char *)sqlite3_column_text(unit, 3));
            snprintf(community, sizeof community, "%s", (const char *)sqlite3_column_text(unit, 4));
            snprintf(subdistrict, sizeof subdistrict, "%s", (const char *)sqlite3_column_text(unit, 5));
            sqlite3_reset(unit);
            snprintf(last_unit, sizeof last_unit, "%s", f[UNIT]);
        }
        unsigned char index[16], id_cipher[46], phone_cipher[39];
        random_bytes(index, sizeof index);
        random_bytes(id_cipher, sizeof id_cipher);
        random_bytes(phone_cipher, sizeof phone_cipher);
        char birth[11], hukou[16];
        snprintf(birth, sizeof birth, "%.4s-%.2s-%.2s", f[ID] + 6, f[ID] + 10, f[ID] + 12);
        const char *sex = (f[ID][16] - '0') % 2 ? "male" : "female";
        snprintf(hukou, sizeof hukou, "%s", f[HUKOU][0] ? f[HUKOU] : "");
        if (!hukou[0]) snprintf(hukou, sizeof hukou, "%.6s", f[ID]);
        int migrant = strncmp(hukou, county, 6) != 0;
        rows++;
        if (staged) {
            sqlite3_bind_int64(stage, 1, rows);
            bind_person(stage, 2, index, id_cipher, f[NAME], sex, birth, hukou, f[PHONE][0] ? phone_cipher : 0);
            sqlite3_bind_int64(stage, 9, unit_row);
            sqlite3_bind_text(stage, 10, f[MOVED_IN], -1, SQLITE_STATIC);
            if (f[MOVED_OUT][0]) sqlite3_bind_text(stage, 11, f[MOVED_OUT], -1, SQLITE_STATIC);
            else sqlite3_bind_null(stage, 11);
            sqlite3_bind_int64(stage, 12, migrant);
            step(db, stage, "the staged row");
            continue;
        }
        bind_person(resident, 1, index, id_cipher, f[NAME], sex, birth, hukou, f[PHONE][0] ? phone_cipher : 0);
        step(db, resident, "the person");
        long long person = sqlite3_last_insert_rowid(db);
        sqlite3_bind_int64(residence, 1, person);
        sqlite3_bind_int64(residence, 2, unit_row);
        sqlite3_bind_text(residence, 3, f[MOVED_IN], -1, SQLITE_STATIC);
        if (f[MOVED_OUT][0]) sqlite3_bind_text(residence, 4, f[MOVED_OUT], -1, SQLITE_STATIC);
        else sqlite3_bind_null(residence, 4);
        step(db, residence, "the residence");
        for (int out = 0; out <= (f[MOVED_OUT][0] != 0); out++) {
            char hash[65];
            for (int i = 0; i < 64; i++) hash[i] = "0123456789abcdef"[next_random() & 15];
            hash[64] = 0;
            sqlite3_bind_int64(event, 1, ++seq);
            sqlite3_bind_text(event, 2, out ? "move_out" : "move_in", -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 3, out ? f[MOVED_OUT] : f[MOVED_IN], -1, SQLITE_STATIC);
            sqlite3_bind_int64(event, 4, person);
            sqlite3_bind_text(event, 5, f[NAME], -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 6, sex, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 7, birth, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 8, hukou, -1, SQLITE_STATIC);
            sqlite3_bind_int64(event, 9, migrant);
            sqlite3_bind_text(event, 10, unit_code, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 11, address, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 12, grid, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 13, community, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 14, subdistrict, -1, SQLITE_STATIC);
            sqlite3_bind_text(event, 15, hash, 64, SQLITE_STATIC);
            step(db, event, "the event");
        }
    }
    double rows_done = now();
    if (staged) {
        char sql[2048];
        snprintf(sql, sizeof sql,
                 "INSERT INTO resident (id, id_index, id_cipher, name, sex, birth_date, hukou_code, phone_cipher)"
                 " SELECT %lld + n, id_index, id_cipher, name, sex, birth_date, hukou_code, phone_cipher FROM staged ORDER BY n",
                 first_resident);
        run(db, sql);
        snprintf(sql, sizeof sql,
                 "INSERT INTO residence (resident, unit, moved_in, moved_out) SELECT %lld + n, unit, moved_in, moved_out FROM staged ORDER BY n",
                 first_resident);
        run(db, sql);
        snprintf(sql, sizeof sql,
                 "INSERT INTO ledger_event (seq, type, date, resident, name, sex, birth_date, hukou_code, migrant,"
                 " unit_id, address, grid, community, subdistrict, operator, recorded_at, hash)"
                 " SELECT %lld + row_number() OVER (ORDER BY n, out), CASE out WHEN 0 THEN 'move_in' ELSE 'move_out' END, day,"
                 " %lld + n, name, sex, birth_date, hukou_code, migrant, u.unit_id, u.address, u.grid, u.community, u.subdistrict,"
                 " 'floor', '2026-12-01T00:00:00.000Z', lower(hex(randomblob(32)))"
                 " FROM (SELECT *, 0 AS out, moved_in AS day FROM staged UNION ALL"
                 "       SELECT *, 1 AS out, moved_out AS day FROM staged WHERE moved_out IS NOT NULL) AS s"
                 " JOIN unit u ON u.id = s.unit ORDER BY n, out",
                 seq, first_resident);
        run(db, sql);
    }
    double written = now();
    for (int i = 0; i < DEFERRED; i++) run(db, definitions[i]);
    double indexed = now();
    run(db, "COMMIT");
    double committed = now();
    printf("first-load-floor %s: %lld people (%lld later rows of people seen before skipped)\n", argv[3], rows, later);
    if (staged) printf("  staged rows %.2f s, inserts from the stage %.2f s", rows_done - start, written - rows_done);
    else printf("  rows %.2f s", rows_done - start);
    printf(", deferred indexes %.2f s, commit %.2f s, total %.2f s (%.0f people/s)\n",
           indexed - written, committed - indexed, committed - start, rows / (committed - start));
    sqlite3_close(db);
    return 0;
}
