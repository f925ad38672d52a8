#pragma once
// The PostgreSQL store's import writer: one import in one transaction, written as the SQLite
// store writes it (week rows, amendments, the admission register, sightings), for one school.

#include <memory>
#include <string>

#include "core/store/postgres_db.h"
#include "core/store/register_store.h"

namespace markbridge {

// Takes the school's write lock (an advisory lock held to the end of the transaction), so a
// school's imports and evaluations queue one behind the other, never interleave.
void lockSchoolForWriting(PgConnection& db, const std::string& school);

std::unique_ptr<ImportWriter> makePostgresImportWriter(PgConnection& db, const std::string& school,
                                                       int64_t now);

}  // namespace markbridge
