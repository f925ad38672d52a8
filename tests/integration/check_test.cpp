// `markbridge check` as a black box on what the configuration's own rules cannot see: a client
// certificate that expired years ago, a source file that is not there, an INSET day outside every
// term, an admin API open to the network without TLS, a 1-character admin token (problems: exit
// 2, each with its JSON path), and a calendar that does not cover today or ends within 4 weeks
// (warnings: exit 0).

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "schedules/london_time.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

struct CheckFixture : ::testing::Test {
  test::TempDir dir;
  Date today = london::localDate(static_cast<int64_t>(std::time(nullptr)));
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-token"},
                                            {"MB_ADMIN_TOKEN", "a-long-random-admin-token"}};

  // A calendar whose one term runs from `start` to `end` days from today.
  nlohmann::json calendar(int start, int end) {
    return {{"name", "this year"},
            {"terms",
             {{{"name", "t"}, {"start", (today + start).iso()}, {"end", (today + end).iso()}}}},
            {"inset_days", {(today + start).iso()}}};
  }

  void writeConfig(nlohmann::json changes = nlohmann::json::object(),
                   nlohmann::json cal = nullptr) {
    dir.write("calendar.json", (cal.is_null() ? calendar(-60, 120) : cal).dump(2));
    dir.write("register.csv", "UPN,Adno,Date,Session,Mark\n");
    nlohmann::json config = test::schoolConfig(
        {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
         {"sinks",
          {{{"name", "la"},
            {"type", "la_portal"},
            {"base_url", "https://127.0.0.1:9"},
            {"ca_file", test::certsDir() + "/ca.pem"},
            {"client_cert", test::certsDir() + "/client.pem"},
            {"client_key", test::certsDir() + "/client.key"},
            {"auth", {{"type", "bearer"}, {"token_env", "MB_LA_TOKEN"}}}}}},
         {"service", {{"admin_port", 8441}, {"admin_token_env", "MB_ADMIN_TOKEN"}}}});
    config.merge_patch(changes);
    dir.write("markbridge.json", config.dump(2));
  }

  test::RunResult check(std::map<std::string, std::string> extra = {}) {
    auto e = env;
    for (const auto& [k, v] : extra) e[k] = v;
    return test::runMarkbridge({"check", "--config", "markbridge.json"}, e, dir.path());
  }
};

}  // namespace

TEST_F(CheckFixture, AGoodConfigurationPassesWithNoWarnings) {
  writeConfig();
  auto result = check();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find("warning"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("a-long-random-admin-token"), std::string::npos);
}

TEST_F(CheckFixture, AGoodConfigurationSuggestsLookingBeforeAnythingIsSent) {
  writeConfig();
  auto result = check();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("--dry-run     what a sync would send"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("markbridge backtest --config"), std::string::npos);
}

TEST_F(CheckFixture, AClientCertificateThatExpiredYearsAgoIsAProblem) {
  writeConfig({{"sinks",
                {{{"name", "la"},
                  {"type", "la_portal"},
                  {"base_url", "https://127.0.0.1:9"},
                  {"ca_file", test::certsDir() + "/ca.pem"},
                  {"client_cert", test::certsDir() + "/expired-client.pem"},
                  {"client_key", test::certsDir() + "/expired-client.key"},
                  {"auth", {{"type", "bearer"}, {"token_env", "MB_LA_TOKEN"}}}}}}});
  auto result = check();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("markbridge.json: $.sinks[0].client_cert: the certificate expired on "
                            "2020-02-01"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("expired-client.pem"), std::string::npos);
}

TEST_F(CheckFixture, AMissingSourceFileIsAProblem) {
  writeConfig(
      {{"sources",
        {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv", "gone.csv"}}}}}});
  auto result = check();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("$.sources[0].files[1]: file not found"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("gone.csv"), std::string::npos);
  EXPECT_EQ(result.err.find("files[0]"), std::string::npos);  // the file that is there is fine
}

TEST_F(CheckFixture, AnInsetDayOutsideEveryTermIsAProblemInTheCalendarFile) {
  auto cal = calendar(-60, 120);
  cal["inset_days"].push_back((today + 200).iso());  // after the term: a typo in the date
  writeConfig(nlohmann::json::object(), cal);
  auto result = check();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("calendar.json: $.inset_days[1]: this INSET day is outside every "
                            "term: check its date (value '" +
                            (today + 200).iso() + "')"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("inset_days[0]"), std::string::npos);
}

TEST_F(CheckFixture, AnAdminApiOpenToTheNetworkWithoutTlsIsAProblem) {
  writeConfig({{"service", {{"admin_bind", "0.0.0.0"}}}});
  auto result = check();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("$.service.admin_bind: the admin API would listen beyond this machine "
                            "without TLS"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("(value '0.0.0.0')"), std::string::npos);
  // With TLS it may listen on the network.
  writeConfig({{"service",
                {{"admin_bind", "0.0.0.0"},
                 {"admin_cert", test::certsDir() + "/server.pem"},
                 {"admin_key", test::certsDir() + "/server.key"}}}});
  auto tls = check();
  EXPECT_EQ(tls.exit_code, 0) << tls.err;
}

TEST_F(CheckFixture, AOneCharacterAdminTokenIsAProblemAndIsNeverPrinted) {
  writeConfig();
  auto result = check({{"MB_ADMIN_TOKEN", "Q"}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("$.service.admin_token_env: the admin token is 1 character(s): use at "
                            "least 16"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("'Q'"), std::string::npos);
  auto unset = check({{"MB_ADMIN_TOKEN", ""}});
  EXPECT_EQ(unset.exit_code, 2);
  EXPECT_NE(unset.err.find("$.service.admin_token_env"), std::string::npos) << unset.err;
}

TEST_F(CheckFixture, ACalendarThatHasEndedOrEndsWithinFourWeeksIsWarnedOf) {
  writeConfig(nlohmann::json::object(), calendar(-200, -10));
  auto ended = check();
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
  EXPECT_NE(ended.out.find("$.calendar: today (" + today.iso() + ") is outside the calendar"),
            std::string::npos)
      << ended.out;
  writeConfig(nlohmann::json::object(), calendar(-200, 20));
  auto ending = check();
  EXPECT_EQ(ending.exit_code, 0) << ending.err;
  EXPECT_NE(ending.out.find("$.calendar: the calendar 'this year' ends on " + (today + 20).iso() +
                            ", within 4 weeks"),
            std::string::npos)
      << ending.out;
}

TEST_F(CheckFixture, ANumberTooLargeInTheConfigurationIsAProblemNotACrash) {
  writeConfig();
  std::ifstream in(dir / "markbridge.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.insert(text.rfind('}'), R"(, "x": 1E999)");
  dir.write("markbridge.json", text);
  auto result = check();
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("is not valid JSON"), std::string::npos) << result.err;
}
