#pragma once
#include <memory>

#include "core/store/event_store.h"
#include "core/store/sqlite_db.h"

namespace markbridge {
// The SQLite evaluation writer: one IMMEDIATE transaction per evaluated batch, in which it reads
// what the events table holds and applies the plan made from it.
std::unique_ptr<EvaluationWriter> makeSqliteEvaluationWriter(SqliteDb& db);
}  // namespace markbridge
