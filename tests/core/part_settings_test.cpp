// The parts' settings tables (issue 13 item 5): for each part converted from the older `Field`
// arrays to a SettingTable, a setting left out is the struct's member initialiser (the one place
// a default is written) and a wrong value is refused naming its JSON path and the value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/census_xml/census_xml_config.h"
#include "connectors/inbound/classcharts_csv/classcharts_csv_config.h"
#include "connectors/inbound/ctf_xml/ctf_xml_config.h"
#include "connectors/inbound/sims_csv/sims_csv_config.h"
#include "core/domain/config_table.h"

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

}  // namespace
}  // namespace markbridge
