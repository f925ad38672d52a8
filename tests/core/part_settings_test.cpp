// The parts' settings tables (issue 13 item 5): for each part converted from the older `Field`
// arrays to a SettingTable, a setting left out is the struct's member initialiser (the one place
// a default is written) and a wrong value is refused naming its JSON path and the value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/census_xml/census_xml_config.h"
#include "connectors/inbound/classcharts_csv/classcharts_csv_config.h"
#include "connectors/inbound/ctf_xml/ctf_xml_config.h"
#include "connectors/inbound/sims_csv/sims_csv_config.h"
#include "connectors/outbound/cpoms/cpoms_connector.h"
#include "connectors/outbound/la_portal/la_portal_config.h"
#include "connectors/outbound/webhook/webhook_connector.h"
#include "core/domain/config_table.h"
#include "core/rules/rule_set.h"
#include "schedules/school_calendar.h"
#include "schedules/sync_schedule.h"

namespace markbridge {
namespace {

std::string all(const std::vector<Problem>& problems) {
  std::string text;
  for (const auto& p : problems) text += p.str() + "\n";
  return text;
}

TEST(FileSourceSettings, LeftOutSettingsAreTheStructsDefaults) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  auto sims = SimsCsvConfig::fromJson({{"name", "sims"}, {"type", "sims_csv"}}, "$.sources[0]",
                                      "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  SimsCsvConfig defaults;
  EXPECT_EQ(sims.name, "sims");
  EXPECT_EQ(sims.settle_seconds, defaults.settle_seconds);
  EXPECT_EQ(sims.priority, defaults.priority);
  EXPECT_EQ(sims.layout, defaults.layout);
  EXPECT_EQ(sims.encoding, defaults.encoding);
  EXPECT_EQ(sims.delimiter, defaults.delimiter);
  EXPECT_TRUE(sims.drop_folder.empty());
  auto cc = ClassChartsCsvConfig::fromJson(
      {{"name", "cc"}, {"type", "classcharts_csv"}, {"status_map", {{"Sick", "I"}}}},
      "$.sources[1]", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  // The school's entry is added to the struct's defaults, its status normalised.
  auto expected = ClassChartsCsvConfig{}.status_map;
  expected["sick"] = "I";
  EXPECT_EQ(cc.status_map, expected);
  EXPECT_EQ(cc.status_map.at("present"), "/\\");
  auto ctf = CtfXmlConfig::fromJson({{"name", "ctf"}, {"type", "ctf_xml"}, {"files", {"a.xml"}}},
                                    "$.sources[2]", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_EQ(ctf.marks_form, CtfXmlConfig{}.marks_form);
  EXPECT_EQ(ctf.files, (std::vector<std::filesystem::path>{"/etc/mb/a.xml"}));
  auto census = CensusXmlConfig::fromJson({{"name", "census"}, {"type", "census_xml"}},
                                          "$.sources[3]", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_TRUE(census.periods.empty());
}

TEST(FileSourceSettings, WrongValuesAreRefusedNamingTheirJsonPath) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  auto sims = SimsCsvConfig::fromJson({{"name", "sims"},
                                       {"type", "sims_csv"},
                                       {"settle_seconds", -1},
                                       {"layout", "wide"},
                                       {"encoding", "latin-1"},
                                       {"delimiter", "|"},
                                       {"files", {"a.csv", 3}},
                                       {"code_map", {{"H", 1}}}},
                                      "$.sources[0]", "/etc/mb", context);
  auto text = all(problems);
  for (const char* expected :
       {"$.sources[0].settle_seconds: must be at least 0 (value '-1')",
        "$.sources[0].layout: must be long, grid or auto (value 'wide')",
        "$.sources[0].encoding: must be auto, utf-8, windows-1252 or utf-16le (value 'latin-1')",
        "$.sources[0].delimiter: must be auto, \",\", \";\" or \"tab\" (value '|')",
        "$.sources[0].files[1]: must be a path (value '3')",
        "$.sources[0].code_map.H: must be a string (value '1')"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(problems.size(), 6u) << text;
  // A refused value is not kept: the default stands.
  EXPECT_EQ(sims.settle_seconds, SimsCsvConfig{}.settle_seconds);
  EXPECT_EQ(sims.layout, "auto");
  problems.clear();
  CtfXmlConfig::fromJson({{"name", "ctf"}, {"type", "ctf_xml"}, {"marks_form", "both"}},
                         "$.sources[2]", "/etc/mb", context);
  CensusXmlConfig::fromJson(
      {{"name", "c"}, {"type", "census_xml"}, {"periods", {{"termly", {{"from", "3/9/24"}}}}}},
      "$.sources[3]", "/etc/mb", context);
  ClassChartsCsvConfig::fromJson({{"type", "classcharts_csv"}, {"status_map", {{"away", "ZZ"}}}},
                                 "$.sources[1]", "/etc/mb", context);
  text = all(problems);
  for (const char* expected :
       {"$.sources[2].marks_form: must be characters, tokens or auto (value 'both')",
        "$.sources[3].periods.termly.from: must be a date yyyy-mm-dd (value '3/9/24')",
        "$.sources[3].periods.termly.to: must be a date yyyy-mm-dd",
        "$.sources[1].name: is required", "$.sources[1].status_map.away: must be a 2024 code"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(problems.size(), 5u) << text;
}

TEST(FileSourceSettings, TheReferencePrintsTheStructsDefaults) {
  auto sims = SimsCsvConfig::describe();
  EXPECT_NE(sims.find("| `settle_seconds` | integer, at least 0 | `10` | no |"), std::string::npos)
      << sims;
  EXPECT_NE(sims.find("| `encoding` | string | `\"auto\"` | no |"), std::string::npos) << sims;
  EXPECT_NE(sims.find("| `delimiter` | string | `\"auto\"` | no |"), std::string::npos) << sims;
  auto cc = ClassChartsCsvConfig::describe();
  EXPECT_NE(cc.find(nlohmann::json(ClassChartsCsvConfig{}.status_map).dump()), std::string::npos)
      << cc;
}

nlohmann::json sink(const char* name, const char* type) {
  return {{"name", name},
          {"type", type},
          {"base_url", "https://la.example"},
          {"ca_file", "certs/ca.pem"}};
}

TEST(SinkSettings, LeftOutSettingsAreTheStructsDefaults) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  auto la = LaPortalConfig::fromJson(sink("la", "la_portal"), "$.sinks[0]", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  LaPortalConfig laDefaults;
  EXPECT_EQ(la.events, laDefaults.events);
  EXPECT_FALSE(la.events.empty());
  EXPECT_EQ(la.connection.sink, "la");
  EXPECT_EQ(la.connection.ca_file, std::filesystem::path("/etc/mb/certs/ca.pem"));
  EXPECT_EQ(la.connection.timeout_ms, ConnectionConfig{}.timeout_ms);
  EXPECT_EQ(la.connection.max_in_flight, ConnectionConfig::kDefaultMaxInFlight);
  EXPECT_EQ(la.connection.max_per_second, 0);
  EXPECT_EQ(la.connection.auth.type, "none");
  EXPECT_TRUE(la.connection.certificate.client_cert.empty());
  auto cpoms = CpomsConfig::fromJson(sink("cpoms", "cpoms"), "$.sinks[1]", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_EQ(cpoms.events, CpomsConfig{}.events);
  EXPECT_EQ(cpoms.categories, (std::vector<std::string>{"Attendance"}));
  EXPECT_FALSE(cpoms.lookup_before_create);
  auto hook = sink("hook", "webhook");
  hook["events"] = {"concern"};
  hook["request"] = {{"path", "/api/concerns"}};
  auto webhook = WebhookConfig::fromJson(hook, "$.sinks[2]", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_EQ(webhook.reference_field, WebhookConfig{}.reference_field);
  EXPECT_EQ(webhook.request.method, "POST");
  EXPECT_FALSE(webhook.correction);
  // The api_key header's default is the auth table's.
  auto keyed = sink("la", "la_portal");
  keyed["auth"] = {{"type", "api_key"}, {"key_env", "MB_KEY"}};
  la = LaPortalConfig::fromJson(keyed, "$.sinks[0]", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_EQ(la.connection.auth.header, "X-API-Key");
  EXPECT_EQ(la.connection.auth.secret_env, "MB_KEY");
}

TEST(SinkSettings, WrongValuesAreRefusedNamingTheirJsonPath) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  auto la = sink("la", "la_portal");
  la["base_url"] = "http://la.example";
  la["timeout_ms"] = 50;
  la["max_in_flight"] = 65;
  la["max_per_second"] = -1;
  la["client_cert"] = "certs/school.pem";
  la["events"] = {"unauthorised_10_day", "truancy"};
  la["contact"] = {{"name", "Ann"}, {"fax", "0"}};
  la["auth"] = {{"type", "oauth2"},
                {"token_url", "https://login.example/token"},
                {"client_id", "mb"},
                {"client_secret_env", "S"},
                {"client_auth", "client_secret_jwt"}};
  auto config = LaPortalConfig::fromJson(la, "$.sinks[0]", "/etc/mb", context);
  auto text = all(problems);
  for (const char* expected :
       {"$.sinks[0].base_url: must start with https:// (TLS is required) (value "
        "'http://la.example')",
        "$.sinks[0].timeout_ms: must be at least 100 (value '50')",
        "$.sinks[0].max_in_flight: must be from 1 to 64 (value '65')",
        "$.sinks[0].max_per_second: must be at least 0 (value '-1')",
        "$.sinks[0].client_key: client_cert and client_key go together",
        "$.sinks[0].events[1]: is not an LA notification type",
        "$.sinks[0].contact.fax: unknown setting",
        "$.sinks[0].auth.client_auth: must be client_secret_basic or client_secret_post (value "
        "'client_secret_jwt')"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(problems.size(), 8u) << text;
  EXPECT_EQ(config.connection.timeout_ms, ConnectionConfig{}.timeout_ms);  // refused: not kept
  EXPECT_EQ(config.contact_name, "Ann");
  problems.clear();
  auto cpoms = sink("cpoms", "cpoms");
  cpoms["events"] = {"concern", "alert"};
  cpoms["categories"] = {"Attendance", 7};
  CpomsConfig::fromJson(cpoms, "$.sinks[1]", "/etc/mb", context);
  auto hook = sink("hook", "webhook");
  hook["events"] = nlohmann::json::array();
  WebhookConfig::fromJson(hook, "$.sinks[2]", "/etc/mb", context);
  text = all(problems);
  for (const char* expected :
       {"$.sinks[1].events[1]: must be concern, task, note, digest or la_notice (value "
        "'\"alert\"')",
        "$.sinks[1].categories[1]: must be a string (value '7')",
        "$.sinks[2].events: must name at least one event type", "$.sinks[2].request: is required"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(problems.size(), 4u) << text;
}

TEST(SinkSettings, TheReferencePrintsTheStructsDefaults) {
  auto la = LaPortalConfig::describe();
  EXPECT_NE(la.find("| `timeout_ms` | integer, at least 100 | `10000` | no |"), std::string::npos)
      << la;
  EXPECT_NE(la.find("| `max_per_second` | number, at least 0 | `0.0` | no |"), std::string::npos)
      << la;
  EXPECT_NE(la.find(nlohmann::json(LaPortalConfig{}.events).dump()), std::string::npos) << la;
  auto auth = AuthConfig::describe();
  EXPECT_NE(auth.find("| `header` | string | `\"X-API-Key\"` | no |"), std::string::npos) << auth;
}

TEST(ScheduleSettings, LeftOutSettingsAreTheStructsDefaultsAndWrongOnesAreNamed) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  auto schedule = ScheduleConfig::fromJson(nlohmann::json::object(), "$.schedule", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  ScheduleConfig defaults;
  EXPECT_EQ(schedule.am_close, defaults.am_close);
  EXPECT_EQ(schedule.pm_close, defaults.pm_close);
  EXPECT_EQ(schedule.nightly, defaults.nightly);
  EXPECT_EQ(schedule.grace_minutes, defaults.grace_minutes);
  EXPECT_EQ(schedule.reconcile_school_days, defaults.reconcile_school_days);
  EXPECT_EQ(ScheduleConfig::fromJson({{"nightly", ""}}, "$.schedule", context).nightly, -1);
  schedule = ScheduleConfig::fromJson(
      {{"grace_minutes", 200}, {"reconcile_school_days", 0}, {"pm_close", "09:00"}}, "$.schedule",
      context);
  auto text = all(problems);
  for (const char* expected : {"$.schedule.grace_minutes: must be from 0 to 180 (value '200')",
                               "$.schedule.reconcile_school_days: must be at least 1 (value '0')",
                               "$.schedule.pm_close: must be after am_close (value '09:00')"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(problems.size(), 3u) << text;
  EXPECT_EQ(schedule.grace_minutes, defaults.grace_minutes);
  auto described = ScheduleConfig::describe();
  EXPECT_NE(described.find("| `am_close` | string (hh:mm) | `\"09:45\"` | no |"), std::string::npos)
      << described;
}

TEST(CalendarSettings, LeftOutSettingsAreTheDefaultsAndWrongOnesAreNamed) {
  nlohmann::json json = {
      {"terms", {{{"name", "Autumn"}, {"start", "2024-09-02"}, {"end", "2024-12-20"}}}}};
  auto calendar = SchoolCalendar::fromJson(json, "calendar.json");
  EXPECT_EQ(calendar.name(), "");
  // england_bank_holidays defaults to true: Christmas Day is not a school day's weekend.
  EXPECT_EQ(calendar.kindOf(*Date::parseIso("2024-12-25")), DayKind::OutOfTerm);
  json["terms"][0]["end"] = "2025-01-03";
  EXPECT_EQ(SchoolCalendar::fromJson(json, "calendar.json").kindOf(*Date::parseIso("2024-12-25")),
            DayKind::BankHoliday);
  json["england_bank_holidays"] = "yes";
  json["closures"] = {{{"reason", "snow"}}};
  json["terms"][0]["start"] = "2024-13-01";
  try {
    SchoolCalendar::fromJson(json, "calendar.json");
    FAIL() << "a calendar with wrong values was read";
  } catch (const ProblemError& e) {
    auto text = all(e.problems());
    EXPECT_NE(text.find("calendar.json: $.england_bank_holidays: must be a boolean (value "
                        "'\"yes\"')"),
              std::string::npos)
        << text;
  }
  json.erase("england_bank_holidays");
  try {
    SchoolCalendar::fromJson(json, "calendar.json");
    FAIL() << "a calendar with wrong values was read";
  } catch (const ProblemError& e) {
    auto text = all(e.problems());
    EXPECT_NE(text.find("$.terms[0].start: is not a valid date yyyy-mm-dd (value '2024-13-01')"),
              std::string::npos)
        << text;
  }
  auto described = SchoolCalendar::describe();
  EXPECT_NE(described.find("| `england_bank_holidays` | boolean | `true` | no |"),
            std::string::npos)
      << described;
}

TEST(RuleSettings, LeftOutSettingsAreTheStructsDefaults) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  auto rules = RuleSet::fromJson(nlohmann::json::object(), "$.rules", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  ASSERT_EQ(rules.policies().size(), 1u);
  EXPECT_EQ(rules.policies()[0].name(), RuleSet::statutory().name());
  EXPECT_FALSE(rules.notifyFrom());
  AdmissionReturnSettings admission;
  EXPECT_EQ(rules.admissionReturns().youngest_years, admission.youngest_years);
  EXPECT_EQ(rules.admissionReturns().new_pupil, admission.new_pupil);
  EXPECT_EQ(rules.admissionReturns().final_year, admission.final_year);
  MissingEducationSettings missing;
  EXPECT_EQ(rules.missingEducation().vanished_after_syncs, missing.vanished_after_syncs);
  EXPECT_EQ(rules.missingEducation().vanished, missing.vanished);
  EXPECT_FALSE(rules.missingEducation().roll_sources);
  rules = RuleSet::fromJson({{"notify_from", "2024-10-01"},
                             {"admission_register", {{"youngest_years", {"R"}}}},
                             {"missing_education", {{"roll_sources", {"sims"}}}}},
                            "$.rules", "/etc/mb", context);
  ASSERT_TRUE(problems.empty()) << all(problems);
  EXPECT_EQ(rules.notifyFrom(), Date::parseIso("2024-10-01"));
  EXPECT_EQ(rules.admissionReturns().youngest_years, (std::set<std::string>{"R"}));
  EXPECT_EQ(rules.missingEducation().roll_sources, (std::vector<std::string>{"sims"}));
}

TEST(RuleSettings, WrongValuesAreRefusedNamingTheirJsonPath) {
  std::vector<Problem> problems;
  ConfigContext context{"mb.json", &problems};
  RuleSet::fromJson({{"notify_from", "1/9/24"},
                     {"policies", {"statutory", 3}},
                     {"admission_register", {{"youngest_years", {"R", 7}}, {"deletions", false}}},
                     {"missing_education", {{"vanished_after_syncs", 0}, {"roll_sources", {1}}}}},
                    "$.rules", "/etc/mb", context);
  auto text = all(problems);
  for (const char* expected :
       {"$.rules.notify_from: is not a date yyyy-mm-dd (value '1/9/24')",
        "$.rules.policies[1]: must be \"statutory\" or a policy file's path (value '3')",
        "$.rules.admission_register.youngest_years[1]: must be a year group such as \"R\" or "
        "\"7\" (value '7')",
        "$.rules.admission_register.deletions: unknown setting (did you mean \"deletion\"?)",
        "$.rules.missing_education.vanished_after_syncs: must be from 1 to 100 (value '0')",
        "$.rules.missing_education.roll_sources[0]: must be the name of a source (value '1')"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(problems.size(), 6u) << text;
}

}  // namespace
}  // namespace markbridge
