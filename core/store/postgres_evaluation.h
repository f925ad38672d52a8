#pragma once
// The PostgreSQL store's evaluation writer: applies an evaluation's plan for one school, with its
// outbox items and checkpoints, in one transaction (as core/store/sqlite_evaluation.cpp does).

#include <memory>
#include <string>

#include "core/store/event_store.h"
#include "core/store/postgres_db.h"

namespace markbridge {

// The outbox items it queues are claimed for `claimant` (the store's) until its `now` +
// `claimMs`, as the store's delivery run claims the items it takes (postgres_store.cpp,
// dueOutbox): the sync's delivery, next and through the same store, then finds them its own
// without writing each row again. A worker that dies first frees them as it frees any claim.
std::unique_ptr<EvaluationWriter> makePostgresEvaluationWriter(PgConnection& db,
                                                               const std::string& school,
                                                               const std::string& claimant,
                                                               int64_t claimMs);

}  // namespace markbridge
