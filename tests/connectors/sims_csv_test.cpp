#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "connectors/inbound/sims_csv/sims_csv_connector.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

std::unique_ptr<CsvMarksConnector> connector(nlohmann::json extra = nlohmann::json::object(),
                                             const char* type = "sims_csv") {
  nlohmann::json config = {{"name", "sims"}, {"type", type}};
  config.update(extra);
  std::vector<Problem> problems;
  ConfigContext context{"config.json", &problems};
  auto built = findInboundType(type)->build(config, "$.sources[0]", "/tmp", context);
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return std::unique_ptr<CsvMarksConnector>(dynamic_cast<CsvMarksConnector*>(built.release()));
}

const std::string kHeader =
    "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\n";

std::string firstProblem(const ImportBatch& batch) {
  return batch.problems.empty() ? std::string("(none)") : batch.problems.front().str();
}

}  // namespace

TEST(SimsCsv, ReadsTheLongLayoutWithUkDatesAndLegacyCodes) {
  auto batch = connector()->parse(kHeader +
                                      "B801200005001,1001,Smith,Ann,7A,7,03/04/2025,AM,/\n"
                                      "B801200005001,1001,Smith,Ann,7A,7,03/04/2025,PM,H\n"
                                      "B801200005001,1001,Smith,Ann,7A,7,2025-04-04,a.m.,-\n",
                                  "export.csv");
  ASSERT_TRUE(batch.ok()) << firstProblem(batch);
  ASSERT_EQ(batch.marks.size(), 3u);
  EXPECT_EQ(batch.marks[0].date.iso(), "2025-04-03");
  EXPECT_EQ(batch.marks[1].code.str(), "C");
  EXPECT_EQ(batch.marks[1].source_code, "H");
  EXPECT_TRUE(batch.marks[2].code.isNotTaken());
  EXPECT_EQ(batch.review_flags, 1);
  EXPECT_EQ(batch.missing_marks, 1);
  ASSERT_EQ(batch.pupils.size(), 1u);
  EXPECT_EQ(batch.pupils[0].mis_id, "1001");
  EXPECT_EQ(batch.pupils[0].reg_group, "7A");
}

TEST(SimsCsv, HeaderCaseSpacingAndOrderAreFree) {
  auto batch = connector()->parse(
      "mark , SESSION,date,upn,legal_surname\n/,am,02/09/2024,B801200005001,\"Davies, Jr\"\n",
      "x.csv");
  ASSERT_TRUE(batch.ok()) << firstProblem(batch);
  EXPECT_EQ(batch.pupils[0].surname, "Davies, Jr");
  EXPECT_EQ(batch.marks[0].session, Session::AM);
}

TEST(SimsCsv, AnUnknownCodeRejectsTheWholeFileNamingLineColumnAndValue) {
  auto batch = connector()->parse(kHeader +
                                      "B801200005001,1001,Smith,Ann,7A,7,03/09/2024,AM,/\n"
                                      "B801200005001,1001,Smith,Ann,7A,7,03/09/2024,PM,ZZ\n",
                                  "export.csv");
  EXPECT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems.size(), 1u);
  EXPECT_EQ(batch.problems[0].str().substr(0, 17), "export.csv:3:9: u");
  EXPECT_EQ(batch.problems[0].value, "ZZ");
}

TEST(SimsCsv, ABadUpnIsRejectedWithTheReason) {
  auto batch =
      connector()->parse(kHeader + "C801200005001,1001,Smith,Ann,7A,7,03/09/2024,AM,/\n", "e.csv");
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.problems[0].str().find("e.csv:2:1: invalid UPN: check letter is C"),
            std::string::npos)
      << batch.problems[0].str();
}

TEST(SimsCsv, BadDatesAndSessionsAreNamed) {
  auto batch = connector()->parse(kHeader +
                                      "B801200005001,1,S,A,7A,7,31/02/2024,AM,/\n"
                                      "B801200005001,1,S,A,7A,7,01/03/2024,noon,/\n",
                                  "e.csv");
  ASSERT_EQ(batch.problems.size(), 2u);
  EXPECT_EQ(batch.problems[0].line, 2);
  EXPECT_EQ(batch.problems[0].column, 7);
  EXPECT_EQ(batch.problems[0].value, "31/02/2024");
  EXPECT_EQ(batch.problems[1].value, "noon");
}

TEST(SimsCsv, EveryEncodingYieldsTheSameMarksAndNames) {
  std::string row = "B801200005001,1001,O'Brien-Łukasz,Zoë,7A,7,03/09/2024,AM,N\r\n";
  std::string utf8 = kHeader + row;
  // Windows-1252 has no Ł: that export would carry "L".
  std::string cp1252 =
      kHeader + "B801200005001,1001,O'Brien-Lukasz,Zo\xEB,7A,7,03/09/2024,AM,N\r\n";
  std::u16string wide =
      u"UPN\tAdno\tLegal Surname\tLegal Forename\tReg Group\tYear\tDate\tSession\tMark\r\n"
      u"B801200005001\t1001\tO'Brien-Łukasz\tZoë\t7A\t7\t03/09/2024\tAM\tN\r\n";
  std::string utf16 = "\xFF\xFE";
  for (char16_t c : wide) {
    utf16 += static_cast<char>(c & 0xFF);
    utf16 += static_cast<char>(c >> 8);
  }
  auto c = connector();
  for (const auto& [label, bytes] :
       std::vector<std::pair<std::string, std::string>>{{"utf-8", utf8},
                                                        {"utf-8 bom", "\xEF\xBB\xBF" + utf8},
                                                        {"utf-16le", utf16},
                                                        {"cp1252", cp1252}}) {
    auto batch = c->parse(bytes, label);
    ASSERT_TRUE(batch.ok()) << label << ": " << firstProblem(batch);
    ASSERT_EQ(batch.marks.size(), 1u) << label;
    EXPECT_EQ(batch.marks[0].code.str(), "N") << label;
    EXPECT_EQ(batch.pupils[0].forename, "Zoë") << label;
    if (label != "cp1252") {
      EXPECT_EQ(batch.pupils[0].surname, "O'Brien-Łukasz") << label;
    }
  }
}

TEST(SimsCsv, IdenticalDuplicateRowsCountOnceAndConflictingOnesAreRejected) {
  std::string row = "B801200005001,1,S,A,7A,7,03/09/2024,AM,N\n";
  auto duplicate = connector()->parse(kHeader + row + row, "d.csv");
  ASSERT_TRUE(duplicate.ok());
  EXPECT_EQ(duplicate.marks.size(), 1u);
  auto conflict =
      connector()->parse(kHeader + row + "B801200005001,1,S,A,7A,7,03/09/2024,AM,I\n", "d.csv");
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.problems[0].message.find("conflicts with an earlier row"), std::string::npos);
}

TEST(SimsCsv, EmptyFilesHeaderOnlyAndMissingColumnsAreClearErrors) {
  EXPECT_NE(firstProblem(connector()->parse("", "e.csv")).find("empty"), std::string::npos);
  EXPECT_NE(firstProblem(connector()->parse(kHeader, "e.csv")).find("no rows"), std::string::npos);
  auto noMark = connector()->parse("UPN,Date,Session\nB801200005001,03/09/2024,AM\n", "e.csv");
  EXPECT_NE(firstProblem(noMark).find("e.csv:1: the header has no column"), std::string::npos)
      << firstProblem(noMark);
  EXPECT_EQ(noMark.problems[0].value, "mark");
  auto ragged = connector()->parse(kHeader + "B801200005001,1,S\n", "e.csv");
  EXPECT_NE(firstProblem(ragged).find("has 3 fields, the header has 9"), std::string::npos);
}

TEST(SimsCsv, ConfiguredColumnsAndCodeMapsApply) {
  auto c = connector({{"columns", {{"mark", "Attendance Code"}}}, {"code_map", {{"HOL", "G"}}}});
  auto batch =
      c->parse("UPN,Date,Session,Attendance Code\nB801200005001,03/09/2024,AM,HOL\n", "e.csv");
  ASSERT_TRUE(batch.ok()) << firstProblem(batch);
  EXPECT_EQ(batch.marks[0].code.str(), "G");
}

TEST(SimsCsv, ReadsPupilFlagsWhenTheExportHasThem) {
  auto batch = connector()->parse(
      "UPN,Date,Session,Mark,CP,CLA,DOB\nB801200005001,03/09/2024,AM,/,Y,no,14/02/2013\n", "f.csv");
  ASSERT_TRUE(batch.ok()) << firstProblem(batch);
  EXPECT_TRUE(batch.has_flags);
  EXPECT_TRUE(batch.pupils[0].flags.cp);
  EXPECT_FALSE(batch.pupils[0].flags.cla);
  EXPECT_EQ(batch.pupils[0].dob->iso(), "2013-02-14");
}

namespace {
std::string fixture(const char* name) {
  return test::sourceDir() + "/tests/fixtures/sims_csv/" + name;
}
}  // namespace

TEST(SimsCsvFixtures, EveryEncodingOfTheSameExportGivesTheSameRegister) {
  auto c = connector();
  for (const char* name :
       {"utf8-bom-crlf.csv", "utf8-lf.csv", "windows-1252.csv", "utf16le-tab.txt"}) {
    auto batch = c->readFile(fixture(name));
    ASSERT_TRUE(batch.ok()) << name << ": " << firstProblem(batch);
    std::vector<std::string> codes;
    for (const auto& m : batch.marks) codes.emplace_back(m.code.str());
    EXPECT_EQ(codes, (std::vector<std::string>{"/", "\\", "L", "C", "C1", "-"})) << name;
    EXPECT_EQ(batch.marks[2].minutes_late, 12) << name;
    EXPECT_EQ(batch.review_flags, 1) << name;
    EXPECT_EQ(batch.missing_marks, 1) << name;
    EXPECT_EQ(batch.pupils[0].forename, "Zoë") << name;
    EXPECT_EQ(batch.pupils[0].surname,
              std::string(name) == "windows-1252.csv" ? "O'Brien-Lukasz" : "O'Brien-Łukasz")
        << name;
    EXPECT_EQ(batch.fingerprint.rfind("xxh3:", 0), 0u) << batch.fingerprint;
    EXPECT_EQ(batch.fingerprint.size(), 37u);
  }
}

TEST(SimsCsvFixtures, BadExportsAreRefusedWithTheirPlace) {
  auto c = connector();
  auto unknown = c->readFile(fixture("unknown-code.csv"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.problems[0].line, 5);
  EXPECT_EQ(unknown.problems[0].column, 9);
  EXPECT_EQ(unknown.problems[0].value, "ZZ");
  auto upn = c->readFile(fixture("bad-upn.csv"));
  ASSERT_FALSE(upn.ok());
  EXPECT_EQ(upn.problems[0].line, 3);
  EXPECT_EQ(upn.problems[0].column, 1);
  EXPECT_FALSE(c->readFile(fixture("header-only.csv")).ok());
  EXPECT_FALSE(c->readFile(fixture("empty.csv")).ok());
  auto missing = c->readFile(fixture("no-such-file.csv"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.problems[0].message.find("cannot open"), std::string::npos);
}

// Issue 16: the admission register's columns, a quoted reason with a comma included.
TEST(SimsCsvFixtures, TheAdmissionRegisterColumnsGiveALeaverAndAJoiner) {
  auto batch = connector()->readFile(fixture("admission-register.csv"));
  ASSERT_TRUE(batch.ok()) << firstProblem(batch);
  std::map<std::string, OnRollPeriod> periods;
  for (const auto& r : batch.on_roll) periods[r.upn] = r.period;
  ASSERT_EQ(periods.size(), 2u);
  const auto& leaver = periods.at("B801200005001");
  EXPECT_EQ(leaver.admitted->iso(), "2024-09-02");
  EXPECT_EQ(leaver.left->iso(), "2024-11-19");
  EXPECT_EQ(leaver.leaving_reason, "Moved, another school");
  EXPECT_EQ(leaver.destination, "URN 123456");
  const auto& joiner = periods.at("K801400023001");
  EXPECT_EQ(joiner.admitted->iso(), "2024-11-11");
  EXPECT_FALSE(joiner.left);
}
