// A trust's configuration (`schools: [...]`): what each school inherits from the top level,
// its own store file, and the mistakes refused with the JSON path that holds them.

#include "core/app/deployment_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

nlohmann::json school(const std::string& urn, const std::string& la = "801") {
  return {{"school", {{"urn", urn}, {"la", la}, {"estab", "4000"}, {"name", "School " + urn}}},
          {"calendar", "calendar.json"},
          {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {urn + ".csv"}}}}}};
}

nlohmann::json laSink(const std::string& url, const std::string& tokenEnv = "MB_LA_TOKEN") {
  return {{"name", "la"},
          {"type", "la_portal"},
          {"base_url", url},
          {"ca_file", test::certsDir() + "/ca.pem"},
          {"auth", {{"type", "bearer"}, {"token_env", tokenEnv}}}};
}

struct DeploymentConfig : ::testing::Test {
  test::TempDir dir;
  std::vector<Problem> problems;

  void SetUp() override { dir.write("calendar.json", test::autumnCalendarJson()); }

  Deployment load(const nlohmann::json& config) {
    dir.write("trust.json", config.dump(2));
    problems.clear();
    return loadDeployment(dir / "trust.json", problems);
  }
  // "path: message" of each problem, for a readable failure.
  std::string said() const {
    std::string text;
    for (const auto& p : problems) text += p.location + ": " + p.message + " '" + p.value + "'\n";
    return text;
  }
  bool saysAt(const std::string& location, const std::string& words) const {
    for (const auto& p : problems)
      if (p.location == location && p.message.find(words) != std::string::npos) return true;
    return false;
  }
};

}  // namespace

TEST_F(DeploymentConfig, SchoolsInheritTheSharedSettingsAndGetAStoreFileEach) {
  auto withOwnSinks = school("140002");
  withOwnSinks["sinks"] = {laSink("https://la.example/two")};
  withOwnSinks["delivery"] = {{"max_attempts", 3}};
  auto d = load({{"schools", {school("140001"), withOwnSinks}},
                 {"sinks", {laSink("https://la.example/one")}},
                 {"delivery", {{"max_attempts", 7}}},
                 {"log_level", "warn"}});
  ASSERT_TRUE(problems.empty()) << said();
  ASSERT_TRUE(d.many);
  ASSERT_EQ(d.schools.size(), 2u);
  EXPECT_EQ(d.urns(), (std::vector<std::string>{"140001", "140002"}));
  const auto& first = d.schools[0];
  const auto& second = d.schools[1];
  EXPECT_EQ(first.json_path, "$.schools[0]");
  // The shared sinks, delivery and log level are the first school's; the second's own sinks
  // replace the shared list, and its own delivery the shared one.
  EXPECT_EQ(first.sinks[0]["base_url"], "https://la.example/one");
  EXPECT_EQ(first.sinks_path, "$.sinks");
  EXPECT_EQ(first.delivery.max_attempts, 7);
  EXPECT_EQ(first.log_level, "warn");
  ASSERT_EQ(second.sinks.size(), 1u);
  EXPECT_EQ(second.sinks[0]["base_url"], "https://la.example/two");
  EXPECT_EQ(second.sinks_path, "$.schools[1].sinks");
  EXPECT_EQ(second.delivery.max_attempts, 3);
  // One SQLite file each, beside the configuration.
  EXPECT_EQ(first.store_path, dir / "stores" / "140001.db");
  EXPECT_EQ(second.store_path, dir / "stores" / "140002.db");
  EXPECT_TRUE(first.make_store_folder);
  // One school picked by its URN.
  problems.clear();
  auto picked = loadGatewayConfig(dir / "trust.json", problems, "140002");
  ASSERT_TRUE(problems.empty()) << said();
  EXPECT_EQ(picked.school.urn, "140002");
  auto none = loadGatewayConfig(dir / "trust.json", problems, "999999");
  EXPECT_TRUE(saysAt("$.schools", "no school with this URN")) << said();
  problems.clear();
  loadGatewayConfig(dir / "trust.json", problems);
  EXPECT_TRUE(saysAt("$.schools", "name one with --school URN (140001 and 140002)")) << said();
}

TEST_F(DeploymentConfig, ASharedSqlitePathHoldsTheUrnAndTwoSchoolsNeverShareAFile) {
  auto d = load({{"schools", {school("140001"), school("140002")}},
                 {"store", {{"sqlite", "data/{urn}.db"}}}});
  ASSERT_TRUE(problems.empty()) << said();
  EXPECT_EQ(d.schools[1].store_path, dir / "data" / "140002.db");
  EXPECT_FALSE(d.schools[1].make_store_folder);

  load({{"schools", {school("140001"), school("140002")}}, {"store", {{"sqlite", "one.db"}}}});
  EXPECT_TRUE(saysAt("$.schools[1].store.sqlite", "school 140001 uses this store file too"))
      << said();
  auto own = school("140002");
  own["store"] = {{"sqlite", "stores/140001.db"}};
  load({{"schools", {school("140001"), own}}});
  EXPECT_TRUE(saysAt("$.schools[1].store.sqlite", "uses this store file too")) << said();
}

TEST_F(DeploymentConfig, ProblemsNameTheSchoolOrTheSharedSettingThatHoldsThem) {
  auto noFiles = school("140002");
  noFiles["sources"][0]["files"] = 5;
  auto badSink = laSink("https://la.example/");
  badSink["retries_please"] = true;
  load({{"schools", {school("140001"), noFiles, school("140003")}}, {"sinks", {badSink}}});
  EXPECT_TRUE(saysAt("$.schools[1].sources[0].files", "")) << said();
  // The shared sink's mistake is said once, at its own path, not once per school.
  int atShared = 0;
  for (const auto& p : problems) atShared += p.location.starts_with("$.sinks[0]");
  EXPECT_EQ(atShared, 1) << said();
  for (const auto& p : problems) EXPECT_FALSE(p.location.starts_with("$.schools[0]")) << said();
}

TEST_F(DeploymentConfig, ADuplicatedOrMissingUrnIsRefused) {
  auto noUrn = school("140002");
  noUrn["school"].erase("urn");
  load({{"schools", {school("140001"), school("140001"), noUrn}}});
  EXPECT_TRUE(saysAt("$.schools[1].school.urn", "another school has this URN: $.schools[0]"))
      << said();
  EXPECT_TRUE(saysAt("$.schools[2].school.urn", "is required")) << said();
  load({{"schools", nlohmann::json::array()}});
  EXPECT_TRUE(saysAt("$.schools", "at least one school")) << said();
}

TEST_F(DeploymentConfig, AnLaPortalSinkIsNeverSharedBySchoolsOfTwoLas) {
  // Two LAs' schools on one shared LA portal sink: the other LA would be notified.
  load({{"schools", {school("140001", "801"), school("140002", "802")}},
        {"sinks", {laSink("https://la801.example/")}}});
  EXPECT_TRUE(saysAt("$.sinks[0]", "an LA portal sink is one LA's")) << said();
  // Their own portals, but one LA's token for both.
  auto a = school("140001", "801");
  a["sinks"] = {laSink("https://la801.example/")};
  auto b = school("140002", "802");
  b["sinks"] = {laSink("https://la802.example/")};
  load({{"schools", {a, b}}});
  EXPECT_TRUE(saysAt("$.schools[1].sinks[0]", "would share its auth.token_env")) << said();
  b["sinks"][0]["auth"]["token_env"] = "MB_LA802_TOKEN";
  load({{"schools", {a, b}}});
  EXPECT_TRUE(problems.empty()) << said();
  // Schools of one LA share its portal and token.
  load({{"schools", {school("140001", "801"), school("140002", "801")}},
        {"sinks", {laSink("https://la801.example/")}}});
  EXPECT_TRUE(problems.empty()) << said();
}

TEST_F(DeploymentConfig, WhatIsEachSchoolsOrTheProcesssStaysWhereItBelongs) {
  auto withService = school("140002");
  withService["service"] = {{"admin_port", 0}};
  load({{"schools", {school("140001"), withService}}, {"calendar", "calendar.json"}, {"schol", 1}});
  EXPECT_TRUE(saysAt("$.calendar", "belongs in each school")) << said();
  EXPECT_TRUE(saysAt("$.schools[1].service", "one for every school")) << said();
  EXPECT_TRUE(saysAt("$.schol", "")) << said();
}

TEST_F(DeploymentConfig, ASingleSchoolFileIsOneSchool) {
  auto d = load(test::schoolConfig(nlohmann::json::object()));
  ASSERT_TRUE(problems.empty()) << said();
  EXPECT_FALSE(d.many);
  ASSERT_EQ(d.schools.size(), 1u);
  EXPECT_EQ(d.schools[0].json_path, "$");
  loadGatewayConfig(dir / "trust.json", problems, "140000");
  EXPECT_TRUE(problems.empty()) << said();
  loadGatewayConfig(dir / "trust.json", problems, "140009");
  EXPECT_TRUE(saysAt("$.school.urn", "--school names another")) << said();
}
