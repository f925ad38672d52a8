#pragma once
#include <memory>

#include "core/store/sqlite_db.h"
#include "core/store/store.h"

namespace markbridge {
// The SQLite import writer: one IMMEDIATE transaction per import, marks upserted in place.
std::unique_ptr<ImportWriter> makeSqliteImportWriter(SqliteDb& db, int64_t now);
}  // namespace markbridge
