#pragma once
// The PostgreSQL store (issue 18): the same three parts as the SQLite store (the register, the
// events, the outbox), in a PostgreSQL database that can hold many schools, each table keyed by
// school first. The contract tests (tests/core/store_contract_*.cpp) run against both.

#include <map>
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

class PgConnection;

// One connection to each database for all the schools a worker serves, instead of one per
// school: `markbridge run` syncs its schools one after another, so their stores (and their sync
// leases) take turns on it. A trust of 300 schools on 2 workers holds 2 connections, not 600,
// and a sync makes no connection of its own. Only for stores used one at a time (the service's,
// under its one lock); never from two threads at once.
class PgConnectionShare {
 public:
  // `name`: what PostgreSQL's own views (pg_stat_activity) call its connections.
  explicit PgConnectionShare(std::string name = "markbridge worker") : name_(std::move(name)) {}
  // The connection to `uri` (made, and the tables created or migrated, on first use).
  std::shared_ptr<PgConnection> connection(const std::string& uri, const std::string& password);

 private:
  std::string name_;
  std::map<std::string, std::shared_ptr<PgConnection>> connections_;
};

// `school`'s store on a connection from a PgConnectionShare (its tables already migrated).
std::unique_ptr<Store> openPostgresStore(std::shared_ptr<PgConnection> shared,
                                         const std::string& school);

}  // namespace markbridge
