#pragma once
#include "core/store/sqlite_db.h"

namespace markbridge {
// Brings the store's schema up to date (PRAGMA user_version), one migration per transaction.
void migrateSqliteSchema(SqliteDb& db);
}  // namespace markbridge
