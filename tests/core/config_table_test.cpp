// The settings tables bound to the structs they fill (core/domain/config_table.h): for each kind
// of row, the default is the struct's member initialiser and a wrong value is refused naming the
// key's JSON path and the value; the gateway's real tables keep their structs' defaults; and
// docs/configuration-reference.md is exactly what the tables print.
#include "core/domain/config_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "connectors/inbound/mis_rest/mis_rest_config.h"
#include "core/app/gateway_config.h"
#include "tests/support/test_support.h"

namespace markbridge {
namespace {

struct Inner {
  int64_t pause_ms = 60'000;
};

struct Sample {
  int port = 8441;
  std::string bind = "127.0.0.1";
  std::string level = "info";
  int64_t budget_ms = 30'000;
  std::vector<std::string> events = {"a", "b"};
  std::set<std::string> tags;
  std::filesystem::path log_file = "logs/mb.log";
  bool verify = true;
  Inner inner;
  std::string id;
};

const SettingTable<Sample>& sampleTable() {
  static const auto table =
      SettingTable<Sample>()
          .integer("port", &Sample::port, "the port", {-1, 65535})
          .text("bind", &Sample::bind, "the address")
          .choice("level", &Sample::level, {{"debug"}, {"info"}, {"warn", "only problems"}}, "")
          .duration("budget_seconds", &Sample::budget_ms, 1000, "seconds", "the budget", {1})
          .list("events", &Sample::events, "the events")
          .list("tags", &Sample::tags, "tags")
          .path("log_file", &Sample::log_file, "the log")
          .boolean("verify", &Sample::verify, "verify")
          .duration("pause_seconds", [](Sample & s) -> auto& { return s.inner.pause_ms; }, 1000,
                    "seconds", "nested", {1})
          .text("id", &Sample::id, "the id")
          .required()
          .refuse([](const nlohmann::json& v) { return v.get<std::string>().size() != 3; },
                  "must be 3 characters");
  return table;
}

struct Applied {
  Sample sample;
  std::vector<Problem> problems;
  std::string text() const {
    std::string all;
    for (const auto& p : problems) all += p.str() + "\n";
    return all;
  }
};

Applied apply(nlohmann::json json) {
  Applied out;
  ConfigContext context{"mb.json", &out.problems};
  sampleTable().apply(json, "$.part", "/etc/mb", context, out.sample);
  return out;
}

nlohmann::json withId(nlohmann::json json) {
  json["id"] = "abc";
  return json;
}

TEST(ConfigTable, LeftOutEveryRowKeepsTheStructsDefaultAndAPathIsResolved) {
  auto a = apply(withId(nlohmann::json::object()));
  ASSERT_TRUE(a.problems.empty()) << a.text();
  Sample defaults;
  EXPECT_EQ(a.sample.port, defaults.port);
  EXPECT_EQ(a.sample.bind, defaults.bind);
  EXPECT_EQ(a.sample.level, defaults.level);
  EXPECT_EQ(a.sample.budget_ms, defaults.budget_ms);
  EXPECT_EQ(a.sample.events, defaults.events);
  EXPECT_TRUE(a.sample.verify);
  EXPECT_EQ(a.sample.inner.pause_ms, defaults.inner.pause_ms);
  EXPECT_EQ(a.sample.log_file, std::filesystem::path("/etc/mb/logs/mb.log"));
}

TEST(ConfigTable, TheDescriptionPrintsTheStructsDefaultsInTheirUnits) {
  auto text = sampleTable().describe();
  EXPECT_NE(text.find("| `port` | integer, from -1 to 65535 | `8441` | no | the port |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| `bind` | string | `\"127.0.0.1\"` | no |"), std::string::npos) << text;
  EXPECT_NE(text.find("| `level` | string | `\"info\"` | no | debug \\| info \\| warn (only "
                      "problems) |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| `budget_seconds` | integer (seconds), at least 1 | `30` |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| `events` | array of strings | `[\"a\",\"b\"]` |"), std::string::npos)
      << text;
  EXPECT_NE(text.find("| `pause_seconds` | integer (seconds), at least 1 | `60` |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| `id` | string |  | yes | the id |"), std::string::npos) << text;
}

TEST(ConfigTable, AnIntegerOutsideItsLimitsOrOfTheWrongTypeIsRefusedNamingTheKey) {
  auto big = apply(withId({{"port", 70000}}));
  ASSERT_EQ(big.problems.size(), 1u) << big.text();
  EXPECT_EQ(big.problems[0].str(),
            "mb.json: $.part.port: must be from -1 to 65535 (value '70000')");
  EXPECT_EQ(big.sample.port, 8441);  // the refused value is not kept
  auto text = apply(withId({{"port", "80"}}));
  ASSERT_EQ(text.problems.size(), 1u);
  EXPECT_EQ(text.problems[0].str(), "mb.json: $.part.port: must be an integer (value '\"80\"')");
  // Beyond the member's own type: no silent wrap into an int.
  auto huge = apply(withId({{"port", 4294967296LL + 80}}));
  ASSERT_EQ(huge.problems.size(), 1u);
  EXPECT_EQ(huge.sample.port, 8441);
}

TEST(ConfigTable, AStringOfTheWrongTypeOrRefusedByItsCheckIsNamed) {
  auto number = apply(withId({{"bind", 127}}));
  ASSERT_EQ(number.problems.size(), 1u) << number.text();
  EXPECT_EQ(number.problems[0].location, "$.part.bind");
  EXPECT_EQ(number.problems[0].message, "must be a string");
  auto id = apply({{"id", "abcd"}});
  ASSERT_EQ(id.problems.size(), 1u);
  EXPECT_EQ(id.problems[0].str(), "mb.json: $.part.id: must be 3 characters (value 'abcd')");
  auto missing = apply(nlohmann::json::object());
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_EQ(missing.problems[0].str(), "mb.json: $.part.id: is required: the id");
}

TEST(ConfigTable, AChoiceOutsideItsValuesIsRefusedListingThem) {
  auto a = apply(withId({{"level", "verbose"}}));
  ASSERT_EQ(a.problems.size(), 1u) << a.text();
  EXPECT_EQ(a.problems[0].str(),
            "mb.json: $.part.level: must be debug, info or warn (value 'verbose')");
  EXPECT_EQ(apply(withId({{"level", "warn"}})).sample.level, "warn");
}

TEST(ConfigTable, ADurationIsReadInItsUnitAndRefusedBelowItsLimit) {
  auto a = apply(withId({{"budget_seconds", 5}, {"pause_seconds", 2}}));
  ASSERT_TRUE(a.problems.empty()) << a.text();
  EXPECT_EQ(a.sample.budget_ms, 5000);
  EXPECT_EQ(a.sample.inner.pause_ms, 2000);
  auto zero = apply(withId({{"budget_seconds", 0}}));
  ASSERT_EQ(zero.problems.size(), 1u);
  EXPECT_EQ(zero.problems[0].str(),
            "mb.json: $.part.budget_seconds: must be at least 1 (value '0')");
  // So large that milliseconds would overflow: refused, not wrapped.
  auto overflow = apply(withId({{"budget_seconds", int64_t{1} << 60}}));
  ASSERT_EQ(overflow.problems.size(), 1u);
  EXPECT_EQ(overflow.sample.budget_ms, 30'000);
}

TEST(ConfigTable, AListTakesStringsAndNamesTheEntryThatIsNot) {
  auto a = apply(withId({{"events", {"x", 3, "y"}}, {"tags", {"t", "t"}}}));
  ASSERT_EQ(a.problems.size(), 1u) << a.text();
  EXPECT_EQ(a.problems[0].str(), "mb.json: $.part.events[1]: must be a string (value '3')");
  EXPECT_EQ(a.sample.events, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(a.sample.tags, (std::set<std::string>{"t"}));
  auto notList = apply(withId({{"events", "x"}}));
  ASSERT_EQ(notList.problems.size(), 1u);
  EXPECT_EQ(notList.problems[0].message, "must be an array");
}

TEST(ConfigTable, AnUnknownKeyIsNamedWithItsValueAndTheNearestKnownOne) {
  auto a = apply(withId({{"prot", 8080}}));
  ASSERT_EQ(a.problems.size(), 1u) << a.text();
  EXPECT_EQ(a.problems[0].file, "mb.json");
  EXPECT_EQ(a.problems[0].location, "$.part.prot");
  EXPECT_EQ(a.problems[0].value, "8080");
  EXPECT_EQ(a.problems[0].message.rfind("unknown setting (did you mean \"port\"?); allowed here: "
                                        "port, bind, level, ",
                                        0),
            0u)
      << a.problems[0].message;
  auto prefix = apply(withId({{"budget", 5}}));
  ASSERT_EQ(prefix.problems.size(), 1u);
  EXPECT_NE(prefix.problems[0].message.find("(did you mean \"budget_seconds\"?)"),
            std::string::npos)
      << prefix.problems[0].message;
  auto far = apply(withId({{"colour", "red"}}));
  ASSERT_EQ(far.problems.size(), 1u);
  EXPECT_EQ(far.problems[0].message.find("did you mean"), std::string::npos);
  // A key that looks like it holds a secret never has its value printed.
  auto secret = apply(withId({{"api_token", "s3cr3t-value"}}));
  ASSERT_EQ(secret.problems.size(), 1u);
  EXPECT_EQ(secret.problems[0].str().find("s3cr3t"), std::string::npos) << secret.text();
}

// The gateway's own tables: a configuration that sets nothing optional gets exactly the structs'
// defaults, and `describe` prints those.
class GatewayConfigDefaults : public ::testing::Test {
 protected:
  test::TempDir dir;
  GatewayConfig load(const nlohmann::json& more, std::vector<Problem>& problems) {
    dir.write("calendar.json", test::autumnCalendarJson());
    nlohmann::json config = {
        {"school", {{"urn", "123456"}, {"la", "801"}, {"estab", "2000"}, {"name", "A school"}}},
        {"calendar", "calendar.json"}};
    config.update(more);
    dir.write("markbridge.json", config.dump());
    return loadGatewayConfig(dir / "markbridge.json", problems);
  }
};

TEST_F(GatewayConfigDefaults, LeftOutSettingsAreTheStructsDefaults) {
  std::vector<Problem> problems;
  auto config = load(nlohmann::json::object(), problems);
  ASSERT_TRUE(problems.empty()) << problems[0].str();
  DeliveryOptions delivery;
  EXPECT_EQ(config.delivery.backoff.base_ms, delivery.backoff.base_ms);
  EXPECT_EQ(config.delivery.backoff.cap_ms, delivery.backoff.cap_ms);
  EXPECT_EQ(config.delivery.run_budget_ms, delivery.run_budget_ms);
  EXPECT_EQ(config.delivery.give_up_after_ms, delivery.give_up_after_ms);
  EXPECT_EQ(config.delivery.circuit.failures, delivery.circuit.failures);
  EXPECT_EQ(config.delivery.circuit.cooldown_ms, delivery.circuit.cooldown_ms);
  EXPECT_EQ(config.delivery.circuit.window_ms, delivery.circuit.window_ms);
  ServiceConfig service;
  EXPECT_EQ(config.service.admin_port, service.admin_port);
  EXPECT_EQ(config.service.admin_bind, service.admin_bind);
  EXPECT_TRUE(config.service.log_file.empty());
  EXPECT_EQ(config.log_level, GatewayConfig{}.log_level);
  EXPECT_EQ(config.store_path, dir.path() / "markbridge.db");
  EXPECT_EQ(config.calendar_path, dir.path() / "calendar.json");
}

TEST_F(GatewayConfigDefaults, WrongValuesAreRefusedNamingTheirJsonPath) {
  std::vector<Problem> problems;
  load({{"log_level", "loud"},
        {"service", {{"admin_port", 70000}, {"admin_prot", 1}}},
        {"delivery",
         {{"circuit_failure_percent", 101},
          {"give_up_after_hours", -1},
          {"base_backoff_ms", 500},
          {"max_backoff_ms", 100}}}},
       problems);
  std::string all;
  for (const auto& p : problems) all += p.str() + "\n";
  for (const char* expected :
       {"$.log_level: must be debug, info, warn or error (value 'loud')",
        "$.service.admin_port: must be from -1 to 65535 (value '70000')",
        "$.service.admin_prot: unknown setting (did you mean \"admin_port\"?)",
        "$.delivery.circuit_failure_percent: must be from 1 to 100 (value '101')",
        "$.delivery.give_up_after_hours: must be at least 0 (value '-1')",
        "$.delivery.max_backoff_ms: must be at least base_backoff_ms (value '100')"})
    EXPECT_NE(all.find(expected), std::string::npos) << expected << "\n" << all;
  EXPECT_EQ(problems.size(), 6u) << all;
}

TEST_F(GatewayConfigDefaults, TheMisRestSourceKeepsItsDefaultsAndItsPreset) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  nlohmann::json source = {{"name", "mis"},
                           {"type", "mis_rest"},
                           {"base_url", "https://mis.example"},
                           {"school_id", "1"},
                           {"token_env", "T"},
                           {"preset", "wonde"},
                           {"fields", {{"upn", "x.upn"}}}};
  auto config = MisRestConfig::fromJson(source, "$.sources[0]", dir.path(), context);
  ASSERT_TRUE(problems.empty()) << problems[0].str();
  MisRestConfig defaults;
  EXPECT_EQ(config.max_attempts, defaults.max_attempts);
  EXPECT_EQ(config.since, defaults.since);
  EXPECT_EQ(config.fields.upn, "x.upn");  // set beside the preset: wins
  EXPECT_EQ(config.fields.code, misPreset("wonde")->fields.code);
  EXPECT_EQ(config.include, misPreset("wonde")->include);
  source["max_attempts"] = 0;
  source["base_url"] = "http://mis.example";
  MisRestConfig::fromJson(source, "$.sources[0]", dir.path(), context);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].str(),
            "mb.json: $.sources[0].base_url: must start with https:// (TLS is always used) "
            "(value 'http://mis.example')");
  EXPECT_EQ(problems[1].str(),
            "mb.json: $.sources[0].max_attempts: must be at least 1 (value '0')");
}

// Issue 16: a typo in missing_education.roll_sources would leave a source's pupils unwatched.
TEST_F(GatewayConfigDefaults, ARollSourceMustNameAConfiguredSource) {
  std::vector<Problem> problems;
  nlohmann::json sims = {{"name", "sims"}, {"type", "sims_csv"}, {"files", {"a.csv"}}};
  load({{"sources", {sims}},
        {"rules", {{"missing_education", {{"roll_sources", {"sims", "simms"}}}}}}},
       problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.rules.missing_education.roll_sources[1]");
  EXPECT_NE(problems[0].str().find("names no source in `sources` (value 'simms')"),
            std::string::npos)
      << problems[0].str();
  problems.clear();
  load({{"sources", {sims}}, {"rules", {{"missing_education", {{"roll_sources", {"sims"}}}}}}},
       problems);
  EXPECT_TRUE(problems.empty()) << problems[0].str();
}

// docs/configuration-reference.md is the tables' output under its heading, nothing else: a
// setting added, renamed or given a new default fails here until the reference is regenerated
// (`markbridge describe`).
TEST(ConfigurationReference, TheDocIsExactlyWhatTheTablesPrint) {
  std::ifstream in(test::sourceDir() + "/docs/configuration-reference.md");
  std::stringstream doc;
  doc << in.rdbuf();
  std::string expected =
      "# Configuration reference\n\n"
      "Generated by `markbridge describe`; a test fails when this file and the code disagree.\n\n" +
      describeConfiguration();
  EXPECT_EQ(doc.str(), expected)
      << "docs/configuration-reference.md is stale: regenerate it with\n"
         "  (printf '# Configuration reference\\n\\nGenerated by `markbridge describe`; a test "
         "fails when this file and the code disagree.\\n\\n'; build/core/app/markbridge describe)"
         " > docs/configuration-reference.md";
}

}  // namespace
}  // namespace markbridge
