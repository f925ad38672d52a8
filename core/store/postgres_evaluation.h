#pragma once
// The PostgreSQL store's evaluation writer: applies an evaluation's plan for one school, with its
// outbox items and checkpoints, in one transaction (as core/store/sqlite_evaluation.cpp does).

#include <memory>
#include <string>

#include "core/store/event_store.h"
#include "core/store/postgres_db.h"

namespace markbridge {

std::unique_ptr<EvaluationWriter> makePostgresEvaluationWriter(PgConnection& db,
                                                               const std::string& school);

}  // namespace markbridge
