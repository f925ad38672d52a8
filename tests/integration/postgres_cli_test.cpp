// Black-box: `markbridge sync` of the sample school (tests/sandbox/sample_school.cpp, the demo's
// 320 pupils) on a PostgreSQL store, against the same sync on SQLite: the same deliveries, key
// by key. Runs on the server MARKBRIDGE_TEST_POSTGRES names (scripts/test.sh starts one);
// without it the tests are skipped, saying so.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/store/postgres_store.h"
#include "core/store/store.h"
#include "tests/core/store_backends.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;
namespace fs = std::filesystem;

namespace {

// The test server's URI split in two: without its password, and the password.
std::pair<std::string, std::string> withoutPassword(const std::string& uri) {
  auto scheme = uri.find("://");
  auto at = uri.find('@');
  auto colon = uri.find(':', scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || colon > at) return {uri, ""};
  return {uri.substr(0, colon) + uri.substr(at), uri.substr(colon + 1, at - colon - 1)};
}

struct PostgresCli : ::testing::Test {
  test::TempDir dir;
  test::PostgresBackend backend{dir.path()};
  std::string uri, password;
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"},
                                            {"MB_CPOMS_KEY", "cpoms-sandbox-key"}};

  void SetUp() override {
    if (auto why = test::PostgresBackend::unavailable()) GTEST_SKIP() << *why;
    backend.open();  // the test's own schema
    std::tie(uri, password) = withoutPassword(backend.uri());
    env["MB_PG_PASSWORD"] = password;
  }

  // The demo's configuration (docs/examples/demo.json) for a store in `folder`, with the sample
  // school's autumn export in its drop folder.
  void writeSchool(const fs::path& folder, const std::string& sandboxUrl,
                   const nlohmann::json& store) {
    fs::create_directories(folder / "sims-drop");
    fs::path build = fs::path(MB_BINARY).parent_path().parent_path().parent_path();
    std::string calendar = test::sourceDir() + "/schedules/calendars/demo-academy-2024-25.json";
    std::string generate = (build / "tests/sandbox/markbridge-sample-school").string() + " " +
                           calendar + " " + (folder / "sims-drop/sims-export.csv").string() +
                           " > /dev/null";
    ASSERT_EQ(std::system(generate.c_str()), 0) << generate;
    std::ifstream demo(test::sourceDir() + "/docs/examples/demo.json");
    auto config = nlohmann::json::parse(demo);
    config["store"] = store;
    config["calendar"] = calendar;
    for (auto& sink : config["sinks"]) {
      sink["base_url"] = sandboxUrl;
      sink["ca_file"] = test::certsDir() + "/ca.pem";
    }
    std::ofstream(folder / "markbridge.json") << config.dump(2);
  }

  test::RunResult run(const fs::path& folder, std::vector<std::string> args) {
    args.insert(args.end(), {"--config", "markbridge.json"});
    return test::runMarkbridge(args, env, folder);
  }
};

std::vector<std::string> keysOf(const sandbox::SandboxServer& server) {
  std::vector<std::string> keys;
  for (const auto& r : server.received()) keys.push_back(r.kind + " " + r.idempotency_key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace

TEST_F(PostgresCli, TheSampleSchoolSyncsOnPostgresAsOnSqlite) {
  auto onSqlite = test::startSandbox();
  auto onPostgres = test::startSandbox();
  writeSchool(dir / "sqlite", onSqlite->baseUrl(), {{"sqlite", "demo.db"}});
  writeSchool(dir / "pg", onPostgres->baseUrl(),
              {{"postgresql", uri}, {"password_env", "MB_PG_PASSWORD"}});

  auto sqlite = run(dir / "sqlite", {"sync"});
  ASSERT_EQ(sqlite.exit_code, 0) << sqlite.out << sqlite.err;
  auto pg = run(dir / "pg", {"sync"});
  ASSERT_EQ(pg.exit_code, 0) << pg.out << pg.err;
  EXPECT_FALSE(fs::exists(dir / "pg/markbridge.db"));  // no SQLite store beside it
  ASSERT_GT(onSqlite->received().size(), 0u);
  EXPECT_EQ(keysOf(*onPostgres), keysOf(*onSqlite));  // the same deliveries, key by key

  // Kept in PostgreSQL, under the sample school's URN: a second sync sends nothing again.
  auto store = openPostgresStore(backend.uri(), "140000");
  auto kept = store->status();
  auto reference = openSqliteStore((dir / "sqlite/demo.db").string())->status();
  EXPECT_EQ(kept.pupils, reference.pupils);
  EXPECT_GE(kept.pupils, 320);
  EXPECT_EQ(kept.marks, reference.marks);
  EXPECT_EQ(kept.active_events, reference.active_events);
  EXPECT_EQ(kept.outbox_by_state, reference.outbox_by_state);
  EXPECT_GT(kept.outbox_by_state["delivered"], 0);
  EXPECT_EQ(kept.outbox_by_state.count("pending"), 0u);
  int sent = onPostgres->requests();
  auto again = run(dir / "pg", {"sync"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(onPostgres->requests(), sent);

  auto status = run(dir / "pg", {"status"});
  EXPECT_NE(status.out.find("store PostgreSQL at 127.0.0.1"), std::string::npos) << status.out;
  for (const auto& text : {pg.out, pg.err, status.out, status.err})
    EXPECT_EQ(text.find(password), std::string::npos);
}

TEST_F(PostgresCli, APasswordInTheConfigurationIsRefusedWithoutBeingShown) {
  auto sandbox = test::startSandbox();
  writeSchool(dir / "pg", sandbox->baseUrl(), {{"postgresql", backend.uri()}});
  auto check = run(dir / "pg", {"check"});
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_NE((check.out + check.err).find("$.store.postgresql"), std::string::npos)
      << check.out << check.err;
  EXPECT_NE((check.out + check.err).find("password_env or password_file"), std::string::npos);
  EXPECT_EQ((check.out + check.err).find(password), std::string::npos);
  // The password from an environment variable that is not set: a clear storage failure.
  writeSchool(dir / "pg", sandbox->baseUrl(),
              {{"postgresql", uri}, {"password_env", "MB_NO_SUCH_PASSWORD"}});
  auto sync = run(dir / "pg", {"sync"});
  EXPECT_EQ(sync.exit_code, 6);  // a storage failure
  EXPECT_NE(sync.err.find("environment variable MB_NO_SUCH_PASSWORD is not set"), std::string::npos)
      << sync.err;
}

// The password from a file only its owner may read (a systemd credential, a mounted secret):
// taken; the same file readable by others is refused before anything is sent, naming the file.
TEST_F(PostgresCli, APasswordFileReadableByItsOwnerAloneIsTakenAndAnyOtherRefused) {
  auto sandbox = test::startSandbox();
  const auto folder = dir / "pg";
  writeSchool(folder, sandbox->baseUrl(), {{"postgresql", uri}, {"password_file", "pg.pass"}});
  std::ofstream(folder / "pg.pass") << password << "\n";
  fs::permissions(folder / "pg.pass", fs::perms::owner_read | fs::perms::owner_write);
  auto status = run(folder, {"status"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("store PostgreSQL at 127.0.0.1"), std::string::npos) << status.out;
  fs::permissions(folder / "pg.pass", fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::add);
  auto refused = run(folder, {"status"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("pg.pass must be readable by its owner only"),
            std::string::npos)
      << refused.out << refused.err;
  for (const auto& text : {status.out, status.err, refused.out, refused.err})
    EXPECT_EQ(text.find(password), std::string::npos);
}
