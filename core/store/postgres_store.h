#pragma once
// The PostgreSQL store (issue 18): the same three parts as the SQLite store (the register, the
// events, the outbox), in a PostgreSQL database that can hold many schools, each table keyed by
// school first. The contract tests (tests/core/store_contract_*.cpp) run against both.

#include <memory>
#include <string>

#include "core/store/store.h"

namespace markbridge {

// Opens `school`'s store (its URN) in the database at `uri` (postgresql://user@host:port/db...;
// the password from the URI, PGPASSWORD or a password file libpq reads), creating or migrating
// the tables first. The tables are those of the connection's search_path (a schema per trust:
// ?options=-csearch_path%3Dtrust_a). Throws StoreError (a PostgresError) naming the host and
// database, never the password.
// `password`, when given, is used instead of any other.
std::unique_ptr<Store> openPostgresStore(const std::string& uri, const std::string& school,
                                         const std::string& password = "");

}  // namespace markbridge
