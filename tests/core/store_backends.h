#pragma once
// The store backends the contract tests run against. Each contract suite (register, events,
// outbox: tests/core/store_contract_*.cpp) is written against its interface and runs once per
// type in StoreBackends, so a new backend is one more struct here and one more entry there.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "core/store/postgres_db.h"
#include "core/store/postgres_schema.h"
#include "core/store/postgres_store.h"
#include "core/store/store.h"
#include "tests/support/test_support.h"

namespace markbridge::test {

// An unauthorised_10_day event of `upn` under `rule`: the run of 16-27 September 2024.
inline Event tenDaysAway(const std::string& upn,
                         const std::string& rule = "statutory.unauthorised_10_day") {
  Event e;
  e.rule = rule;
  e.type = "unauthorised_10_day";
  e.pupil.upn = upn;
  e.episode = "2024-09-16";
  e.id = Event::makeId(e.rule, upn, e.episode);
  e.from = d("2024-09-16");
  e.to = e.occurred_on = d("2024-09-27");
  return e;
}

// Opens a fresh, empty store for a test in `dir`; open() again reopens the same store.
struct SqliteBackend {
  static constexpr const char* kName = "Sqlite";
  explicit SqliteBackend(const std::filesystem::path& dir) : path((dir / "register.db").string()) {}
  // Why the backend cannot run here (its tests are then skipped, saying so), or nothing.
  static std::optional<std::string> unavailable() { return std::nullopt; }
  std::unique_ptr<Store> open() const { return openSqliteStore(path); }
  std::string path;
};

// The PostgreSQL server the tests use: MARKBRIDGE_TEST_POSTGRES, a URI (scripts/test.sh starts
// a throwaway cluster and sets it: scripts/pg-test-cluster.sh), or empty.
inline std::string testPostgresUri() {
  const char* uri = std::getenv("MARKBRIDGE_TEST_POSTGRES");
  return uri ? uri : "";
}

// `uri` with its tables in `schema` (the connection's search_path).
inline std::string postgresUriInSchema(const std::string& uri, const std::string& schema) {
  if (uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0)
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
  return uri + " options='-csearch_path=" + schema + "'";
}

// A schema of its own in the test server for each test: created on first open(), dropped with
// everything in it at the end. The store is one school's (kSchool) in it.
struct PostgresBackend {
  static constexpr const char* kName = "Postgres";
  static constexpr const char* kSchool = "100001";
  explicit PostgresBackend(const std::filesystem::path&) {}
  ~PostgresBackend() {
    if (schema.empty()) return;
    try {
      PgConnection(testPostgresUri())
          .exec("DROP SCHEMA " + schema + " CASCADE", "drop the test's schema");
    } catch (const StoreError& e) {
      ADD_FAILURE() << e.what();
    }
  }
  PostgresBackend(const PostgresBackend&) = delete;
  PostgresBackend& operator=(const PostgresBackend&) = delete;

  static std::optional<std::string> unavailable() {
    if (!testPostgresUri().empty()) return std::nullopt;
    return std::string(
        "MARKBRIDGE_TEST_POSTGRES is not set, so the PostgreSQL store was NOT tested: run "
        "scripts/test.sh (it starts a throwaway PostgreSQL), or eval "
        "\"$(scripts/pg-test-cluster.sh "
        "start)\" first");
  }
  std::unique_ptr<Store> open() {
    if (schema.empty()) {
      std::random_device random;
      schema = "test_" + std::to_string(random()) + "_" + std::to_string(random());
      PgConnection(testPostgresUri()).exec("CREATE SCHEMA " + schema, "create the test's schema");
    }
    return openPostgresStore(uri(), kSchool);
  }
  std::string uri() const { return postgresUriInSchema(testPostgresUri(), schema); }
  // The test's schema made again, empty, and its tables made as `version` had them (a store
  // from before a migration; opening it with openPostgresStore migrates it).
  void startAgainAtSchema(int version) {
    open().reset();
    PgConnection db(uri());
    db.exec("DROP SCHEMA " + schema + " CASCADE; CREATE SCHEMA " + schema,
            "start the test's schema again");
    migratePostgresSchema(db, version);
  }
  std::string schema;
};

using StoreBackends = ::testing::Types<SqliteBackend, PostgresBackend>;

// Names each instantiation after its backend: Backends/RegisterStoreContract/Sqlite.
struct BackendName {
  template <typename Backend>
  static std::string GetName(int) {
    return Backend::kName;
  }
};

// A backend that cannot run here (no PostgreSQL server given) skips each test loudly, with the
// reason: it never passes without having run.
template <typename Backend>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = Backend::unavailable()) GTEST_SKIP() << *why;
    store = backend.open();
  }

  TempDir dir;
  Backend backend{dir.path()};
  std::unique_ptr<Store> store;

  void reopen() {
    store.reset();
    store = backend.open();
  }
};

}  // namespace markbridge::test
