#pragma once
#include <memory>

#include "core/store/sqlite_db.h"
#include "core/store/store.h"

namespace markbridge {
// The SQLite import writer: one IMMEDIATE transaction per import, marks merged into week rows.
// `ownTransaction` false: the caller has a transaction open (the schema migration).
std::unique_ptr<ImportWriter> makeSqliteImportWriter(SqliteDb& db, int64_t now,
                                                     bool ownTransaction = true);
}  // namespace markbridge
