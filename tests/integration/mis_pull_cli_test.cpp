// Black-box: a refused MIS API pull, as the operator sees it from `markbridge sync`.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

TEST(MisPullCli, ARefusedPullSaysNothingFromThisPullWasStored) {
  test::TempDir dir;
  auto server = test::startSandbox();
  dir.write("calendar.json", test::autumnCalendarJson());
  nlohmann::json config = {
      {"school", {{"urn", "140000"}, {"la", "801"}, {"estab", "4000"}, {"name", "Test School"}}},
      {"store", {{"sqlite", "register.db"}}},
      {"calendar", "calendar.json"},
      {"sources",
       {{{"name", "arbor"},
         {"type", "mis_rest"},
         {"base_url", server->baseUrl()},
         {"school_id", "A1930499544"},
         {"token_env", "MB_MIS_TOKEN"},
         {"ca_file", test::certsDir() + "/ca.pem"},
         {"max_attempts", 1}}}}};
  dir.write("markbridge.json", config.dump(2));
  auto run = test::runMarkbridge({"sync", "--config", "markbridge.json"},
                                 {{"MB_MIS_TOKEN", "wrong-token"}}, dir.path());
  EXPECT_NE(run.err.find("REJECTED " + server->baseUrl()), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nothing from this pull was stored"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("nothing from this file"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("wrong-token"), std::string::npos);  // never the secret
}
