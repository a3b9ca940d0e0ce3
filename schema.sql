-- The registry's database schema: the one source of truth.
--
-- The `registry` binary embeds this exact text (Sources/RegistryCore/Storage/SchemaText.swift,
-- checked byte for byte by a test) and applies it to a new database, then records
-- the schema version in PRAGMA user_version. Older databases are migrated step by
-- step by Sources/RegistryCore/Storage/Migrations.swift.
--
-- Personal data is sealed (schema version 3; version 6 bound each sealed value to its row
-- and dropped the stored masked forms): ID numbers and phone numbers are stored only
-- encrypted with AES-256-GCM (`*_cipher` columns), each bound to its row (the column's
-- label and the row's key are authenticated with it, so a value swapped between rows does
-- not open); a person is found, and kept unique, by a keyed blind index (HMAC-SHA256) of
-- the ID number. No masked form is stored: it is made from the decrypted value when it is
-- shown. The key lives in a key file apart from the database (see
-- Sources/RegistryCore/Privacy/PersonalDataCipher.swift for the SQL functions).
--
-- Dates are 'YYYY-MM-DD' text (calendar days, no time zone); timestamps are RFC 3339
-- text in UTC. The constraints below guard the invariants even against a hand-written
-- INSERT: the Swift code checks them first only to give clearer messages.
--
-- Enumerations are checked with `x = 'a' OR x = 'b'`, not `x IN ('a', 'b')`: SQLite
-- builds an ephemeral table for an IN list each time a CHECK runs, which made every
-- insert measurably slower. `date(x, '+0 days') IS x` accepts only real days:
-- plain date() lets 2025-02-30 through.

-- One row: which county this database keeps, and how migrants are decided.
CREATE TABLE registry (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    county_code   TEXT NOT NULL CHECK (length(county_code) = 6 AND county_code NOT GLOB '*[^0-9]*'),
    county_name   TEXT NOT NULL CHECK (length(trim(county_name)) > 0),
    migrant_scope TEXT NOT NULL CHECK ((migrant_scope = 'county' OR migrant_scope = 'subdistrict')),
    created_at    TEXT NOT NULL,
    -- Tells the registry's key from any other (an HMAC of a fixed text; reveals nothing).
    -- Never NULL (schema version 6): a registry without it would take any key.
    key_check     TEXT NOT NULL CHECK (length(key_check) = 32)
);

-- The place hierarchy: county > subdistrict > community > grid. Each area records its
-- ancestors so that every query can group or filter by any level without recursion.
CREATE TABLE area (
    code        TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 6 AND 15 AND code NOT GLOB '*[^0-9]*'),
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    level       TEXT NOT NULL CHECK ((level = 'county' OR level = 'subdistrict' OR level = 'community' OR level = 'grid')),
    parent      TEXT REFERENCES area(code),
    subdistrict TEXT REFERENCES area(code),
    community   TEXT REFERENCES area(code),
    CHECK ((level = 'county') = (parent IS NULL)),
    CHECK (parent IS NULL OR (length(code) > length(parent) AND substr(code, 1, length(parent)) = parent)),
    CHECK (CASE level
        WHEN 'county'      THEN subdistrict IS NULL AND community IS NULL
        WHEN 'subdistrict' THEN subdistrict = code AND community IS NULL
        WHEN 'community'   THEN subdistrict = parent AND community = code
        ELSE                    community = parent AND subdistrict IS NOT NULL
    END)
) WITHOUT ROWID;
CREATE UNIQUE INDEX area_single_county ON area(level) WHERE level = 'county';
CREATE INDEX area_parent ON area(parent);
CREATE INDEX area_level ON area(level, code);
CREATE UNIQUE INDEX area_lineage ON area(code, community, subdistrict);
-- A parent is exactly one level up, and a grid's subdistrict is its community's.
CREATE TRIGGER area_parent_level BEFORE INSERT ON area
WHEN NEW.parent IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM area p
    WHERE p.code = NEW.parent
      AND p.level = CASE NEW.level WHEN 'subdistrict' THEN 'county' WHEN 'community' THEN 'subdistrict' ELSE 'community' END
      AND (NEW.level <> 'grid' OR p.subdistrict = NEW.subdistrict))
BEGIN SELECT RAISE(ABORT, 'an area''s parent must be the area one level up'); END;
CREATE TRIGGER area_no_update BEFORE UPDATE ON area
BEGIN SELECT RAISE(ABORT, 'areas are not changed once added'); END;

-- Housing units. `status` is derived from the dates, never stored apart from them.
CREATE TABLE unit (
    id                 INTEGER PRIMARY KEY,
    unit_id            TEXT NOT NULL UNIQUE CHECK (length(unit_id) BETWEEN 1 AND 64),
    grid               TEXT NOT NULL,
    community          TEXT NOT NULL,
    subdistrict        TEXT NOT NULL,
    address            TEXT NOT NULL CHECK (length(trim(address)) > 0),
    kind               TEXT NOT NULL CHECK ((kind = 'rental' OR kind = 'owner')),
    discovered_on      TEXT NOT NULL CHECK (date(discovered_on, '+0 days') IS discovered_on),
    registered_on      TEXT CHECK (registered_on IS NULL OR (date(registered_on, '+0 days') IS registered_on AND registered_on >= discovered_on)),
    closed_on          TEXT CHECK (closed_on IS NULL OR (date(closed_on, '+0 days') IS closed_on AND closed_on >= discovered_on AND closed_on >= coalesce(registered_on, closed_on))),
    landlord_name      TEXT,
    -- Sealed, bound to `unit_id` (see the header).
    landlord_id_cipher BLOB CHECK (landlord_id_cipher IS NULL OR length(landlord_id_cipher) = 46),
    landlord_phone_cipher BLOB,
    status             TEXT GENERATED ALWAYS AS (CASE
        WHEN closed_on IS NOT NULL THEN 'closed'
        WHEN kind = 'owner' THEN 'owner'
        WHEN registered_on IS NOT NULL THEN 'registered'
        ELSE 'unregistered' END) VIRTUAL,
    CHECK (kind = 'rental' OR registered_on IS NULL),
    CHECK ((landlord_name IS NULL) = (landlord_id_cipher IS NULL)),
    CHECK (grid <> community),
    -- A unit sits in a grid, and its community and subdistrict are that grid's.
    FOREIGN KEY (grid, community, subdistrict) REFERENCES area(code, community, subdistrict)
);
CREATE INDEX unit_grid ON unit(grid);
CREATE INDEX unit_community ON unit(community);
CREATE INDEX unit_subdistrict ON unit(subdistrict);
-- Everything the registration rate and its trend read of a rental unit (schema version 5),
-- in area order (codes nest, so this is grid order too): a report reads this index, a
-- sixth of the table's size, and never the table; under a parent, only the parent's range
-- (at a million residents, the county per grid in 0.07 s instead of 0.23 s).
CREATE INDEX unit_rental_dates ON unit(subdistrict, community, grid, discovered_on, registered_on, closed_on, kind) WHERE kind = 'rental';

-- People, keyed by their 18-character citizen ID number (GB 11643-1999), which is stored
-- only sealed: `id_index` (16-byte blind index) finds the person and keeps the number
-- unique, `id_cipher` (12-byte nonce, 18 bytes, 16-byte tag) holds it for a reveal and
-- for its masked form. Both sealed values are bound to `id_index`.
-- Sex and birth date are derived from the ID number when the person is first registered.
CREATE TABLE resident (
    id           INTEGER PRIMARY KEY,
    id_index     BLOB NOT NULL UNIQUE CHECK (length(id_index) = 16),
    id_cipher    BLOB NOT NULL CHECK (length(id_cipher) = 46),
    name         TEXT NOT NULL CHECK (length(trim(name)) > 0),
    sex          TEXT NOT NULL CHECK ((sex = 'male' OR sex = 'female')),
    birth_date   TEXT NOT NULL CHECK (date(birth_date, '+0 days') IS birth_date),
    hukou_code   TEXT NOT NULL CHECK (length(hukou_code) BETWEEN 6 AND 12 AND length(hukou_code) % 3 = 0 AND hukou_code NOT GLOB '*[^0-9]*'),
    phone_cipher BLOB
);
CREATE INDEX resident_name ON resident(name);

-- Who lived where, and when. Open while moved_out is NULL; at most one open residence per person.
CREATE TABLE residence (
    id          INTEGER PRIMARY KEY,
    resident    INTEGER NOT NULL REFERENCES resident(id),
    unit        INTEGER NOT NULL REFERENCES unit(id),
    moved_in    TEXT NOT NULL CHECK (date(moved_in, '+0 days') IS moved_in),
    moved_out   TEXT CHECK (moved_out IS NULL OR (date(moved_out, '+0 days') IS moved_out AND moved_out >= moved_in))
);
CREATE UNIQUE INDEX residence_one_open ON residence(resident) WHERE moved_out IS NULL;
CREATE INDEX residence_resident ON residence(resident, moved_in);
CREATE INDEX residence_unit ON residence(unit, moved_in);
-- The residences that differ between a past day and now: open ones that began after it
-- (moved_out NULL, moved_in > day) and closed ones that ended after it (moved_out > day).
CREATE INDEX residence_dates ON residence(moved_out, moved_in);

-- The people living in each grid now (schema version 5): every open residence counted
-- by sex ('male', 'female'), by year of birth ('1990'), and, for a migrant, by the
-- province of the hukou code ('34', migrant as `registry.migrant_scope` decides). The
-- triggers below keep it in the same transaction as each change, so that
-- `analysis.demographics` adds up about a hundred rows per grid instead of reading every
-- residence; a day in the past is these counts less the residences that changed since
-- (Sources/RegistryCore/Operations/Demographics.swift). Rows are never deleted; a count
-- that would go below zero aborts the change. `registry check` recounts it.
CREATE TABLE population (
    grid    TEXT NOT NULL,
    facet   TEXT NOT NULL CHECK ((facet = 'sex' OR facet = 'born' OR facet = 'origin')),
    value   TEXT NOT NULL,
    people  INTEGER NOT NULL CHECK (people >= 0),
    PRIMARY KEY (grid, facet, value)
) WITHOUT ROWID;
-- The rows each open residence adds to `population`: the one statement of which facets a
-- person counts under. The migrant rule is MigrantScope's (a test holds them to the same
-- answers). One join per residence, then its three facets (a UNION of three joins made
-- every registration's trigger look the residence, unit and person up three times).
CREATE VIEW population_share (residence, resident, grid, facet, value) AS
    SELECT x.id, x.resident, u.grid, f.facet,
           CASE f.facet WHEN 'sex' THEN r.sex WHEN 'born' THEN substr(r.birth_date, 1, 4) ELSE substr(r.hukou_code, 1, 2) END
    FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident JOIN registry g
    CROSS JOIN (SELECT 'sex' AS facet UNION ALL SELECT 'born' UNION ALL SELECT 'origin') f
    WHERE x.moved_out IS NULL AND (f.facet <> 'origin' OR (CASE WHEN g.migrant_scope = 'subdistrict' AND length(r.hukou_code) > 6
        THEN substr(r.hukou_code, 1, length(u.subdistrict)) <> u.subdistrict
        ELSE substr(r.hukou_code, 1, 6) <> g.county_code END));
-- The people living in each grid now by their full date of birth (schema version 11): the
-- age bands on a day turn inside two birth years (the years of the 15th and the 60th
-- birthdays), and the people of those years are read from here, two ranges in date order,
-- instead of being looked up one by one in `resident`, `residence` and `unit` (0.88 s for a
-- day at 10M residents). Kept with `population`, by the same triggers and the same code.
CREATE TABLE population_birthday (
    born    TEXT NOT NULL,
    grid    TEXT NOT NULL,
    people  INTEGER NOT NULL CHECK (people >= 0),
    PRIMARY KEY (born, grid)
) WITHOUT ROWID;
-- The row each open residence adds to `population_birthday`.
CREATE VIEW population_birthday_share (residence, resident, grid, born) AS
    SELECT x.id, x.resident, u.grid, r.birth_date
    FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident
    WHERE x.moved_out IS NULL;
-- A residence closes, opens again, or is removed: its shares are taken away or added.
-- BEFORE triggers see the row as it was, AFTER triggers as it is. A *new* open residence's
-- shares are added by the registry itself, with the residence, in the same transaction
-- (schema version 10, Sources/RegistryCore/Operations/PopulationShare.swift): any trigger
-- on `INSERT INTO residence` makes SQLite keep a statement journal for every registration
-- (a copy of each page the insert touches), which cost a quarter of the durable write
-- rate. A residence inserted behind the registry's back is therefore not counted, and
-- `registry check` reports the difference.
CREATE TRIGGER population_residence_leaving BEFORE UPDATE OF moved_out, unit, resident ON residence WHEN OLD.moved_out IS NULL
BEGIN
    UPDATE population SET people = people - 1
    WHERE (grid, facet, value) IN (SELECT grid, facet, value FROM population_share WHERE residence = OLD.id);
    UPDATE population_birthday SET people = people - 1
    WHERE (born, grid) IN (SELECT born, grid FROM population_birthday_share WHERE residence = OLD.id);
END;
CREATE TRIGGER population_residence_reopened AFTER UPDATE OF moved_out, unit, resident ON residence WHEN NEW.moved_out IS NULL
BEGIN
    INSERT INTO population (grid, facet, value, people)
    SELECT grid, facet, value, 1 FROM population_share WHERE residence = NEW.id
    ON CONFLICT (grid, facet, value) DO UPDATE SET people = people + 1;
    INSERT INTO population_birthday (born, grid, people)
    SELECT born, grid, 1 FROM population_birthday_share WHERE residence = NEW.id
    ON CONFLICT (born, grid) DO UPDATE SET people = people + 1;
END;
CREATE TRIGGER population_residence_removed BEFORE DELETE ON residence WHEN OLD.moved_out IS NULL
BEGIN
    UPDATE population SET people = people - 1
    WHERE (grid, facet, value) IN (SELECT grid, facet, value FROM population_share WHERE residence = OLD.id);
    UPDATE population_birthday SET people = people - 1
    WHERE (born, grid) IN (SELECT born, grid FROM population_birthday_share WHERE residence = OLD.id);
END;
-- A person's hukou code changes (or sex or birth date, which the registry never changes):
-- their open residence's shares move.
CREATE TRIGGER population_profile_leaving BEFORE UPDATE OF sex, birth_date, hukou_code ON resident
WHEN OLD.sex IS NOT NEW.sex OR OLD.birth_date IS NOT NEW.birth_date OR OLD.hukou_code IS NOT NEW.hukou_code
BEGIN
    UPDATE population SET people = people - 1
    WHERE (grid, facet, value) IN (SELECT grid, facet, value FROM population_share WHERE resident = OLD.id);
    UPDATE population_birthday SET people = people - 1
    WHERE (born, grid) IN (SELECT born, grid FROM population_birthday_share WHERE resident = OLD.id);
END;
CREATE TRIGGER population_profile_changed AFTER UPDATE OF sex, birth_date, hukou_code ON resident
WHEN OLD.sex IS NOT NEW.sex OR OLD.birth_date IS NOT NEW.birth_date OR OLD.hukou_code IS NOT NEW.hukou_code
BEGIN
    INSERT INTO population (grid, facet, value, people)
    SELECT grid, facet, value, 1 FROM population_share WHERE resident = NEW.id
    ON CONFLICT (grid, facet, value) DO UPDATE SET people = people + 1;
    INSERT INTO population_birthday (born, grid, people)
    SELECT born, grid, 1 FROM population_birthday_share WHERE resident = NEW.id
    ON CONFLICT (born, grid) DO UPDATE SET people = people + 1;
END;

-- The people living in each grid on the first day of each month (schema version 12): what
-- `analysis.demographics` starts from for a day long past, adding only the residences that
-- began or ended between the month's first day and the day (at a million residents a mid-
-- history day read half a million residences, about a second). One row per month taken
-- (`population_month_taken`: every month from the month of the earliest residence to the
-- month of the latest write, without gaps), and per month, grid and facet:
--   'sex'    'male' or 'female';
--   'origin' a migrant's hukou province ('34'), as `population`;
--   'age'    'young' for those born on or after the first day of the month 15 years
--            before the next month (under 15 on every day of the month), 'old' for those
--            born before the first day of the month 60 years before (60 or more on every
--            day of it), and, for those born in one of those two months, the date of
--            birth itself (their band on a day of the month turns on it); nothing for the
--            others, 15 to 59 on every day of the month.
-- A change dated before a month taken updates that month and every later one, in the
-- change's own transaction: the triggers below, and for a new residence the registry
-- (Sources/RegistryCore/Operations/PopulationMonths.swift, as for `population`). A change
-- dated after the latest month's first day touches no row. The months are built in one pass over
-- the residences by a first import, by the migration and by `registry recount`, and
-- `registry check` recounts them.
CREATE TABLE population_month_taken (
    month   TEXT PRIMARY KEY CHECK (date(month, 'start of month') IS month)
) WITHOUT ROWID;
CREATE TABLE population_month (
    month   TEXT NOT NULL,
    grid    TEXT NOT NULL,
    facet   TEXT NOT NULL CHECK ((facet = 'sex' OR facet = 'origin' OR facet = 'age')),
    value   TEXT NOT NULL,
    people  INTEGER NOT NULL CHECK (people >= 0),
    PRIMARY KEY (month, grid, facet, value)
) WITHOUT ROWID;
-- Each residence with what the counts need of it: the grid, the dates, the person's sex and
-- date of birth, and for a migrant the hukou province (NULL otherwise; the migrant rule as
-- in `population_share`).
CREATE VIEW population_residence (residence, resident, grid, moved_in, moved_out, sex, birth_date, origin) AS
    SELECT x.id, x.resident, u.grid, x.moved_in, x.moved_out, r.sex, r.birth_date,
           CASE WHEN (CASE WHEN g.migrant_scope = 'subdistrict' AND length(r.hukou_code) > 6
                THEN substr(r.hukou_code, 1, length(u.subdistrict)) <> u.subdistrict
                ELSE substr(r.hukou_code, 1, 6) <> g.county_code END) THEN substr(r.hukou_code, 1, 2) END
    FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident JOIN registry g;
-- What each residence adds to each month taken, had it lived there then: the one statement
-- of the facets and the age bands of a month.
CREATE VIEW population_month_facets (residence, resident, moved_in, moved_out, month, grid, facet, value) AS
    SELECT * FROM (
        SELECT p.residence, p.resident, p.moved_in, p.moved_out, m.month, p.grid, f.facet,
               CASE f.facet WHEN 'sex' THEN p.sex WHEN 'origin' THEN p.origin
               ELSE CASE WHEN p.birth_date >= date(m.month, '+1 month', '-15 years') THEN 'young'
                         WHEN p.birth_date >= date(m.month, '-15 years') THEN p.birth_date
                         WHEN p.birth_date >= date(m.month, '+1 month', '-60 years') THEN NULL
                         WHEN p.birth_date >= date(m.month, '-60 years') THEN p.birth_date
                         ELSE 'old' END END AS value
        FROM population_residence p JOIN population_month_taken m
        CROSS JOIN (SELECT 'sex' AS facet UNION ALL SELECT 'origin' UNION ALL SELECT 'age') f)
    WHERE value IS NOT NULL;
-- The rows of the months in which each residence was open on the first day.
CREATE VIEW population_month_share (residence, resident, month, grid, facet, value) AS
    SELECT residence, resident, month, grid, facet, value FROM population_month_facets
    WHERE moved_in <= month AND (moved_out IS NULL OR moved_out > month);
-- A residence closes (the one change the registry makes to a residence): it leaves the
-- months from the day it closed on. Any other change to a residence's dates, unit or
-- person takes all its rows away and adds them again.
CREATE TRIGGER population_month_closed AFTER UPDATE OF moved_out ON residence
WHEN OLD.moved_out IS NULL AND NEW.moved_out IS NOT NULL AND NEW.moved_in IS OLD.moved_in AND NEW.unit IS OLD.unit AND NEW.resident IS OLD.resident
BEGIN
    UPDATE population_month SET people = people - 1
    WHERE (month, grid, facet, value) IN (SELECT month, grid, facet, value FROM population_month_facets
                                          WHERE residence = NEW.id AND month >= NEW.moved_out AND month >= NEW.moved_in);
END;
CREATE TRIGGER population_month_leaving BEFORE UPDATE OF moved_in, moved_out, unit, resident ON residence
WHEN NOT (OLD.moved_out IS NULL AND NEW.moved_out IS NOT NULL AND NEW.moved_in IS OLD.moved_in AND NEW.unit IS OLD.unit AND NEW.resident IS OLD.resident)
BEGIN
    UPDATE population_month SET people = people - 1
    WHERE (month, grid, facet, value) IN (SELECT month, grid, facet, value FROM population_month_share WHERE residence = OLD.id);
END;
CREATE TRIGGER population_month_entering AFTER UPDATE OF moved_in, moved_out, unit, resident ON residence
WHEN NOT (OLD.moved_out IS NULL AND NEW.moved_out IS NOT NULL AND NEW.moved_in IS OLD.moved_in AND NEW.unit IS OLD.unit AND NEW.resident IS OLD.resident)
BEGIN
    INSERT INTO population_month (month, grid, facet, value, people)
    SELECT month, grid, facet, value, 1 FROM population_month_share WHERE residence = NEW.id
    ON CONFLICT (month, grid, facet, value) DO UPDATE SET people = people + 1;
END;
CREATE TRIGGER population_month_removed BEFORE DELETE ON residence
BEGIN
    UPDATE population_month SET people = people - 1
    WHERE (month, grid, facet, value) IN (SELECT month, grid, facet, value FROM population_month_share WHERE residence = OLD.id);
END;
CREATE TRIGGER population_month_profile_leaving BEFORE UPDATE OF sex, birth_date, hukou_code ON resident
WHEN OLD.sex IS NOT NEW.sex OR OLD.birth_date IS NOT NEW.birth_date OR OLD.hukou_code IS NOT NEW.hukou_code
BEGIN
    UPDATE population_month SET people = people - 1
    WHERE (month, grid, facet, value) IN (SELECT month, grid, facet, value FROM population_month_share WHERE resident = OLD.id);
END;
CREATE TRIGGER population_month_profile_changed AFTER UPDATE OF sex, birth_date, hukou_code ON resident
WHEN OLD.sex IS NOT NEW.sex OR OLD.birth_date IS NOT NEW.birth_date OR OLD.hukou_code IS NOT NEW.hukou_code
BEGIN
    INSERT INTO population_month (month, grid, facet, value, people)
    SELECT month, grid, facet, value, 1 FROM population_month_share WHERE resident = NEW.id
    ON CONFLICT (month, grid, facet, value) DO UPDATE SET people = people + 1;
END;

-- The rental units known and registered in each area, kept per day and per month (schema
-- version 13), so that `metrics.registrationRate` and `metrics.trend` read a few rows per
-- area instead of every rental unit (at ten million residents, 2.3 million units and about
-- a second a report). A unit counts as known from its `discovered_on` and as registered
-- from its `registered_on`, both until its `closed_on`: three dated changes, each kept in
-- `rental_count_day` for its grid, community, subdistrict and the county. The counts on a
-- day are the sum of an area's changes dated on or before it:
--   `rental_count_day`   (area, day): the change on that day; the trend reads one area's
--                        rows in date order;
--   `rental_count_month` (grid, month): a grid's counts on the first day of a month before
--                        that day's changes (the sum of its changes dated before it), for
--                        the months in `rental_count_month_taken`; the rate of every grid
--                        on a day reads the latest such month and the changes since.
-- A grid without a row for that month (a grid whose first rental came after the month was
-- taken) sums its changes from the first. The triggers below keep both in each unit
-- change's own transaction (a change dated before a month taken updates that grid's later
-- months); Sources/RegistryCore/Operations/RentalCounts.swift takes a new month at the
-- first write in it and builds everything again in one pass (a county's first units
-- import, the migration, `registry recount`); `registry check` recounts it.
CREATE TABLE rental_count_day (
    area        TEXT NOT NULL,
    day         TEXT NOT NULL,
    known       INTEGER NOT NULL,
    registered  INTEGER NOT NULL,
    PRIMARY KEY (area, day)
) WITHOUT ROWID;
CREATE TABLE rental_count_month_taken (
    month   TEXT PRIMARY KEY CHECK (date(month, 'start of month') IS month)
) WITHOUT ROWID;
CREATE TABLE rental_count_month (
    grid        TEXT NOT NULL,
    month       TEXT NOT NULL,
    known       INTEGER NOT NULL CHECK (known >= 0),
    registered  INTEGER NOT NULL CHECK (registered BETWEEN 0 AND known),
    PRIMARY KEY (grid, month)
) WITHOUT ROWID;
-- The dated changes of each rental unit: the one statement of when a unit counts.
CREATE VIEW rental_count_change (unit, grid, community, subdistrict, day, known, registered) AS
    SELECT * FROM (
        SELECT u.id, u.grid, u.community, u.subdistrict,
               CASE c.event WHEN 'found' THEN u.discovered_on WHEN 'filed' THEN u.registered_on ELSE u.closed_on END AS day,
               CASE c.event WHEN 'found' THEN 1 WHEN 'filed' THEN 0 ELSE -1 END,
               CASE c.event WHEN 'found' THEN 0 WHEN 'filed' THEN 1 ELSE -(u.registered_on IS NOT NULL) END
        FROM unit u CROSS JOIN (SELECT 'found' AS event UNION ALL SELECT 'filed' UNION ALL SELECT 'closed') c
        WHERE u.kind = 'rental')
    WHERE day IS NOT NULL;
-- The triggers state a unit's changes again on the row itself (`NEW`, `OLD`), as
-- `rental_count_change` does on the table: read through the views, each month's row looked
-- the unit up twice, and 54,000 rentals added to a county of 575,000 units took 22 s
-- instead of 8 (tests hold the triggers to the view's answers). A change is on its day
-- for the four areas, and in every later month of its grid.
CREATE TRIGGER rental_count_unit_added AFTER INSERT ON unit WHEN NEW.kind = 'rental'
BEGIN
    INSERT INTO rental_count_day (area, day, known, registered)
    SELECT a.area, e.day, e.known, e.registered
    FROM (SELECT NEW.grid AS area UNION ALL SELECT NEW.community UNION ALL SELECT NEW.subdistrict UNION ALL SELECT county_code FROM registry) a,
         (SELECT NEW.discovered_on AS day, 1 AS known, 0 AS registered
          UNION ALL SELECT NEW.registered_on, 0, 1 WHERE NEW.registered_on IS NOT NULL
          UNION ALL SELECT NEW.closed_on, -1, -(NEW.registered_on IS NOT NULL) WHERE NEW.closed_on IS NOT NULL) e
    WHERE true
    ON CONFLICT (area, day) DO UPDATE SET known = known + excluded.known, registered = registered + excluded.registered;
    UPDATE rental_count_month
    SET known = known + (1 - coalesce(NEW.closed_on < month, 0)),
        registered = registered + (coalesce(NEW.registered_on < month, 0) - coalesce(NEW.registered_on IS NOT NULL AND NEW.closed_on < month, 0))
    WHERE grid = NEW.grid AND month > NEW.discovered_on;
END;
CREATE TRIGGER rental_count_unit_leaving BEFORE UPDATE OF kind, grid, community, subdistrict, discovered_on, registered_on, closed_on ON unit
WHEN OLD.kind = 'rental'
BEGIN
    INSERT INTO rental_count_day (area, day, known, registered)
    SELECT a.area, e.day, -e.known, -e.registered
    FROM (SELECT OLD.grid AS area UNION ALL SELECT OLD.community UNION ALL SELECT OLD.subdistrict UNION ALL SELECT county_code FROM registry) a,
         (SELECT OLD.discovered_on AS day, 1 AS known, 0 AS registered
          UNION ALL SELECT OLD.registered_on, 0, 1 WHERE OLD.registered_on IS NOT NULL
          UNION ALL SELECT OLD.closed_on, -1, -(OLD.registered_on IS NOT NULL) WHERE OLD.closed_on IS NOT NULL) e
    WHERE true
    ON CONFLICT (area, day) DO UPDATE SET known = known + excluded.known, registered = registered + excluded.registered;
    UPDATE rental_count_month
    SET known = known - (1 - coalesce(OLD.closed_on < month, 0)),
        registered = registered - (coalesce(OLD.registered_on < month, 0) - coalesce(OLD.registered_on IS NOT NULL AND OLD.closed_on < month, 0))
    WHERE grid = OLD.grid AND month > OLD.discovered_on;
END;
CREATE TRIGGER rental_count_unit_entering AFTER UPDATE OF kind, grid, community, subdistrict, discovered_on, registered_on, closed_on ON unit
WHEN NEW.kind = 'rental'
BEGIN
    INSERT INTO rental_count_day (area, day, known, registered)
    SELECT a.area, e.day, e.known, e.registered
    FROM (SELECT NEW.grid AS area UNION ALL SELECT NEW.community UNION ALL SELECT NEW.subdistrict UNION ALL SELECT county_code FROM registry) a,
         (SELECT NEW.discovered_on AS day, 1 AS known, 0 AS registered
          UNION ALL SELECT NEW.registered_on, 0, 1 WHERE NEW.registered_on IS NOT NULL
          UNION ALL SELECT NEW.closed_on, -1, -(NEW.registered_on IS NOT NULL) WHERE NEW.closed_on IS NOT NULL) e
    WHERE true
    ON CONFLICT (area, day) DO UPDATE SET known = known + excluded.known, registered = registered + excluded.registered;
    UPDATE rental_count_month
    SET known = known + (1 - coalesce(NEW.closed_on < month, 0)),
        registered = registered + (coalesce(NEW.registered_on < month, 0) - coalesce(NEW.registered_on IS NOT NULL AND NEW.closed_on < month, 0))
    WHERE grid = NEW.grid AND month > NEW.discovered_on;
END;
CREATE TRIGGER rental_count_unit_removed BEFORE DELETE ON unit WHEN OLD.kind = 'rental'
BEGIN
    INSERT INTO rental_count_day (area, day, known, registered)
    SELECT a.area, e.day, -e.known, -e.registered
    FROM (SELECT OLD.grid AS area UNION ALL SELECT OLD.community UNION ALL SELECT OLD.subdistrict UNION ALL SELECT county_code FROM registry) a,
         (SELECT OLD.discovered_on AS day, 1 AS known, 0 AS registered
          UNION ALL SELECT OLD.registered_on, 0, 1 WHERE OLD.registered_on IS NOT NULL
          UNION ALL SELECT OLD.closed_on, -1, -(OLD.registered_on IS NOT NULL) WHERE OLD.closed_on IS NOT NULL) e
    WHERE true
    ON CONFLICT (area, day) DO UPDATE SET known = known + excluded.known, registered = registered + excluded.registered;
    UPDATE rental_count_month
    SET known = known - (1 - coalesce(OLD.closed_on < month, 0)),
        registered = registered - (coalesce(OLD.registered_on < month, 0) - coalesce(OLD.registered_on IS NOT NULL AND OLD.closed_on < month, 0))
    WHERE grid = OLD.grid AND month > OLD.discovered_on;
END;

CREATE TABLE household (
    id          INTEGER PRIMARY KEY,
    unit        INTEGER NOT NULL REFERENCES unit(id)
);
CREATE INDEX household_unit ON household(unit);

CREATE TABLE household_member (
    household   INTEGER NOT NULL REFERENCES household(id),
    resident    INTEGER NOT NULL REFERENCES resident(id),
    relation    TEXT NOT NULL CHECK ((relation = 'head' OR relation = 'spouse' OR relation = 'child' OR relation = 'parent' OR relation = 'grandparent' OR relation = 'grandchild' OR relation = 'sibling' OR relation = 'other')),
    PRIMARY KEY (household, resident)
) WITHOUT ROWID;
CREATE UNIQUE INDEX household_one_head ON household_member(household) WHERE relation = 'head';

-- The dynamic ledger (流动人口动态管理台账): append-only. Each event is a snapshot of the
-- values when it was written; the codes of grid, community and subdistrict are copied in.
-- A person's event names the resident row, whose sealed ID number is opened to show it
-- (masked or revealed): an ID number never changes. No ID number is stored here.
-- No AUTOINCREMENT: rows are never deleted (a trigger refuses it), so each new seq is
-- already larger than every earlier one, without the extra write to sqlite_sequence.
CREATE TABLE ledger_event (
    seq          INTEGER PRIMARY KEY,
    type         TEXT NOT NULL CHECK ((type = 'unit_added' OR type = 'unit_registered' OR type = 'unit_closed' OR type = 'move_in' OR type = 'move_out' OR type = 'profile_updated')),
    date         TEXT NOT NULL CHECK (date(date, '+0 days') IS date),
    resident     INTEGER REFERENCES resident(id),
    name         TEXT,
    sex          TEXT CHECK (sex IS NULL OR (sex = 'male' OR sex = 'female')),
    birth_date   TEXT,
    hukou_code   TEXT,
    migrant      INTEGER CHECK (migrant IS NULL OR (migrant = 0 OR migrant = 1)),
    unit_id      TEXT NOT NULL,
    address      TEXT NOT NULL,
    grid         TEXT NOT NULL,
    community    TEXT NOT NULL,
    subdistrict  TEXT NOT NULL,
    operator     TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    -- HMAC-SHA256 (hex, under a key derived from the registry's key; schema version 6)
    -- over this row's values and the previous row's hash: a chain that `registry check`
    -- verifies, so that an edit made behind the program's back shows, and that nobody
    -- without the key can compute again after an edit.
    hash         TEXT CHECK (length(hash) = 64),
    CHECK (((type = 'unit_added' OR type = 'unit_registered' OR type = 'unit_closed')) = (resident IS NULL))
);
-- Area filters page through the subdistrict's events in seq order (a community's or a
-- grid's are picked from those row by row). One index only: every event pays for each
-- index it is entered in, and registrations write an event each. No index on date: a
-- weekly export reads the tail of the ledger in seq order anyway.
CREATE INDEX ledger_event_subdistrict ON ledger_event(subdistrict, seq);
CREATE TRIGGER ledger_event_no_update BEFORE UPDATE ON ledger_event
BEGIN SELECT RAISE(ABORT, 'ledger_event is append-only'); END;
CREATE TRIGGER ledger_event_no_delete BEFORE DELETE ON ledger_event
BEGIN SELECT RAISE(ABORT, 'ledger_event is append-only'); END;

-- Who saw full ID numbers, who exported the ledger or copied the database, and (later)
-- who signed in or changed accounts: append-only. `export_failed` follows an `export`
-- whose output could not be completed (the `export` entry stands: it was committed before
-- the first record left the program). `resident` names the person a reveal of one person
-- showed.
CREATE TABLE audit_entry (
    seq          INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    operator     TEXT NOT NULL,
    action       TEXT NOT NULL CHECK ((action = 'reveal' OR action = 'export' OR action = 'export_failed' OR action = 'backup'
                                       OR action = 'user_change' OR action = 'token_change' OR action = 'login' OR action = 'login_failed')),
    purpose      TEXT,
    method       TEXT NOT NULL,
    filters      TEXT NOT NULL,
    count        INTEGER NOT NULL CHECK (count >= 0),
    resident     INTEGER REFERENCES resident(id),
    -- The same keyed hash chain as the ledger's.
    hash         TEXT CHECK (length(hash) = 64),
    CHECK (action <> 'reveal' OR length(trim(purpose)) > 0)
);
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END;
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END;

-- Named consumers of the ledger export (a police liaison's weekly reconciliation): where
-- each one's last export ended, so that the next starts right after it. Advanced only
-- after the export's file is in place: a crash in between repeats events, never skips.
-- A consumer is bound to the area of its first export (`area`, NULL for the whole
-- county): its position passes only events it was meant to get. `mac` is an HMAC of the
-- row under the chains' key, so that a position moved behind the program's back (which
-- would skip events) shows in `registry check`.
CREATE TABLE export_consumer (
    name         TEXT PRIMARY KEY NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 64),
    last_seq     INTEGER NOT NULL CHECK (last_seq >= 0),
    updated_at   TEXT NOT NULL,
    operator     TEXT NOT NULL,
    area         TEXT REFERENCES area(code),
    mac          TEXT NOT NULL CHECK (length(mac) = 64)
) WITHOUT ROWID;

-- Accounts of the web service (schema version 7). The command line and `serve --stdio`
-- act for whoever holds the database and its key file, as an administrator; the web
-- service acts only for a signed-in account. An account has one role and, optionally,
-- areas (any level) that limit what it may see and change; without areas, the whole
-- county. Passwords are stored only as bcrypt hashes (cost 12); API tokens and session
-- ids (256-bit random) only as SHA-256 hashes.
CREATE TABLE account (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 3 AND 32 AND username NOT GLOB '*[^a-z0-9._-]*'),
    display_name  TEXT,
    role          TEXT NOT NULL CHECK ((role = 'admin' OR role = 'clerk' OR role = 'liaison' OR role = 'viewer')),
    password_hash TEXT NOT NULL CHECK (length(password_hash) = 60),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK ((disabled = 0 OR disabled = 1)),
    created_at    TEXT NOT NULL
);
CREATE TABLE account_area (
    account     INTEGER NOT NULL REFERENCES account(id),
    area        TEXT NOT NULL REFERENCES area(code),
    PRIMARY KEY (account, area)
) WITHOUT ROWID;
CREATE TABLE api_token (
    id          INTEGER PRIMARY KEY,
    account     INTEGER NOT NULL REFERENCES account(id),
    token_hash  BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    label       TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
);
CREATE INDEX api_token_account ON api_token(account);
-- A signed-in browser: the hash of its session id, its CSRF token, and when it signed in
-- and was last seen (a session ends 30 minutes after its last request, or 8 hours after
-- signing in).
CREATE TABLE web_session (
    id_hash      BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),
    account      INTEGER NOT NULL REFERENCES account(id),
    csrf         TEXT NOT NULL CHECK (length(csrf) = 64),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX web_session_account ON web_session(account);
-- Failed sign-ins, for the lockout (5 within 15 minutes lock the username for 15 minutes).
CREATE TABLE login_failure (
    username    TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX login_failure_username ON login_failure(username, at);
-- How many times the accounts have changed (schema version 9): every change to an account,
-- its areas or its API tokens counts one, in the change's own transaction. The web service
-- keeps the accounts of recent tokens in memory and reads this one row with each request,
-- so that a change made by any process (`registry user disable` or `registry token revoke`
-- at the command line) holds from the next request on.
CREATE TABLE account_generation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    changes     INTEGER NOT NULL
);
CREATE TRIGGER account_generation_account_insert AFTER INSERT ON account
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_account_update AFTER UPDATE ON account
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_account_delete AFTER DELETE ON account
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_account_area_insert AFTER INSERT ON account_area
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_account_area_update AFTER UPDATE ON account_area
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_account_area_delete AFTER DELETE ON account_area
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_api_token_insert AFTER INSERT ON api_token
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_api_token_update AFTER UPDATE ON api_token
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;
CREATE TRIGGER account_generation_api_token_delete AFTER DELETE ON api_token
BEGIN
    INSERT INTO account_generation (id, changes) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET changes = changes + 1;
END;

-- Rental units in the order they became known (schema version 8): the worklist of rentals
-- known but not registered reads the oldest first and stops after a page.
CREATE INDEX unit_rental_discovered ON unit(discovered_on, unit_id) WHERE kind = 'rental';
-- Residences in the order people moved in (schema version 8): the residence-permit worklist
-- walks stays from their start, earliest first, and stops after a page.
CREATE INDEX residence_moved_in ON residence(moved_in);
-- What each import wrote (schema version 8): an import is one transaction, so its events
-- are one unbroken range of seq. Timeliness leaves these events out: they were recorded
-- elsewhere first.
CREATE TABLE import_run (
    first_seq   INTEGER PRIMARY KEY,
    last_seq    INTEGER NOT NULL,
    at          TEXT NOT NULL,
    operator    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK ((kind = 'areas' OR kind = 'units' OR kind = 'residents')),
    CHECK (last_seq >= first_seq)
);
