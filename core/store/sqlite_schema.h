#pragma once
#include "core/store/sqlite_db.h"

namespace markbridge {
// Brings the store's schema up to date (PRAGMA user_version), one migration per transaction.
// `upTo` stops at an older version (tests of the migrations themselves).
void migrateSqliteSchema(SqliteDb& db, int upTo = 1 << 30);
}  // namespace markbridge
