#pragma once
// The PostgreSQL store's tables and their versioned migrations (core/store/postgres_schema.cpp).

#include "core/store/postgres_db.h"

namespace markbridge {

// The schema version this build writes.
int postgresSchemaVersion();

// Brings the database's tables up to this build's version (or `upTo`), one migration per
// transaction under an advisory lock, so several processes opening the same database at once
// migrate it once. A database already newer than this build is left as it is.
void migratePostgresSchema(PgConnection& db, int upTo = 1 << 30);

}  // namespace markbridge
