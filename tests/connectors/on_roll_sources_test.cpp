// The admission register as each source that carries it gives it (issue 16, item 1): SIMS-style
// CSV columns (their names configurable), CTF SchoolHistory at the school the file comes from,
// School Census PupilStatus entry and leaving dates, and the MIS REST API's student dates.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/census_xml/census_xml_connector.h"
#include "connectors/inbound/ctf_xml/ctf_xml_connector.h"
#include "connectors/inbound/mis_rest/mis_rest_config.h"
#include "connectors/inbound/mis_rest/mis_rest_page.h"
#include "connectors/inbound/sims_csv/sims_csv_connector.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

std::unique_ptr<CsvMarksConnector> sims(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json config = {{"name", "sims"}, {"type", "sims_csv"}};
  config.update(extra);
  std::vector<Problem> problems;
  ConfigContext context{"config.json", &problems};
  auto built = findInboundType("sims_csv")->build(config, "$.sources[0]", "/tmp", context);
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return std::unique_ptr<CsvMarksConnector>(dynamic_cast<CsvMarksConnector*>(built.release()));
}

std::string first(const ImportBatch& batch) {
  return batch.problems.empty() ? std::string("(none)") : batch.problems.front().str();
}

ImportBatch parseCtf(const std::string& history) {
  nlohmann::json config = {{"name", "ctf"}, {"type", "ctf_xml"}};
  std::vector<Problem> problems;
  auto built = buildCtfXmlConnector(config, "$.sources[0]", "/tmp", {"c.json", &problems});
  return dynamic_cast<CtfXmlConnector&>(*built).parse(
      "<?xml version=\"1.0\"?>\n<CTfile>\n<Header><SourceSchool><LEA>801</LEA><Estab>2000</Estab>"
      "</SourceSchool></Header>\n<CTFpupilData>\n<Pupil>\n<UPN>B801200005001</UPN>\n"
      "<Surname>Smith</Surname>\n<Forename>Ann</Forename>\n<SchoolHistory>\n" +
          history +
          "</SchoolHistory>\n<Attendance><YearData><AttendSessions>\n"
          "<AttendanceStartDate>2024-09-02</AttendanceStartDate>\n"
          "<AttendanceMarks>/\\/\\</AttendanceMarks>\n</AttendSessions></YearData></Attendance>\n"
          "</Pupil>\n</CTFpupilData>\n</CTfile>\n",
      "ctf.xml");
}

std::string school(const char* lea, const char* estab, const char* entry, const char* leaving,
                   const char* reason = "") {
  return std::string("<School><LEA>") + lea + "</LEA><Estab>" + estab + "</Estab><EntryDate>" +
         entry + "</EntryDate><LeavingDate>" + leaving + "</LeavingDate><LeavingReason>" + reason +
         "</LeavingReason></School>\n";
}

}  // namespace

TEST(OnRollSources, SimsCsvReadsAdmissionAndLeavingDatesOncePerPupil) {
  auto batch = sims()->parse(
      "UPN,Surname,Admission Date,Date of Leaving,Reason for Leaving,Destination,Date,Session,"
      "Mark\n"
      "B801200005001,Smith,04/11/2024,,,,04/11/2024,AM,/\n"
      "B801200005001,Smith,04/11/2024,,,,04/11/2024,PM,\\\n"
      "Q801200005002,Jones,2023-09-04,2024-10-18,Moved away,Hill School 123456,18/10/2024,AM,/\n",
      "export.csv");
  ASSERT_TRUE(batch.ok()) << first(batch);
  ASSERT_EQ(batch.on_roll.size(), 2u);  // one per pupil, not one per row
  EXPECT_EQ(batch.on_roll[0].upn, "B801200005001");
  EXPECT_EQ(batch.on_roll[0].period.admitted, d("2024-11-04"));
  EXPECT_FALSE(batch.on_roll[0].period.left);
  EXPECT_TRUE(
      batch.on_roll[0].states_leaving);  // the file has a leaving column: none means on roll
  EXPECT_EQ(batch.on_roll[1].period.admitted, d("2023-09-04"));
  EXPECT_EQ(batch.on_roll[1].period.left, d("2024-10-18"));
  EXPECT_EQ(batch.on_roll[1].period.leaving_reason, "Moved away");
  EXPECT_EQ(batch.on_roll[1].period.destination, "Hill School 123456");
  EXPECT_EQ(batch.on_roll[1].line, 4);
}

// Every row of a long export states the pupil's period: a later row is read as closely as the
// first (before, only the first row of a pupil was read, so a bad date further down was never
// seen), and rows that disagree about one period refuse the file naming both lines.
TEST(OnRollSources, SimsCsvReadsTheRollOnEveryRowAndRefusesRowsThatDisagree) {
  const std::string header =
      "UPN,Surname,Admission Date,Date of Leaving,Reason for Leaving,Date,Session,Mark\n";
  auto badLater = sims()->parse(header +
                                    "B801200005001,Smith,04/11/2024,,,04/11/2024,AM,/\n"
                                    "B801200005001,Smith,31/11/2024,,,04/11/2024,PM,\\\n",
                                "export.csv");
  ASSERT_FALSE(badLater.ok());
  EXPECT_NE(first(badLater).find("export.csv:3:3"), std::string::npos) << first(badLater);
  EXPECT_NE(first(badLater).find("31/11/2024"), std::string::npos) << first(badLater);

  auto disagree =
      sims()->parse(header +
                        "B801200005001,Smith,04/11/2024,19/11/2024,Moved,04/11/2024,AM,/\n"
                        "B801200005001,Smith,04/11/2024,,,04/11/2024,PM,\\\n",
                    "export.csv");
  ASSERT_FALSE(disagree.ok());
  EXPECT_TRUE(disagree.on_roll.empty());  // nothing half-read
  EXPECT_NE(first(disagree).find("export.csv:3"), std::string::npos) << first(disagree);
  EXPECT_NE(first(disagree).find("leaving date 'none' here, '2024-11-19' on line 2"),
            std::string::npos)
      << first(disagree);
}

TEST(OnRollSources, SimsCsvColumnNamesAreConfigurableAndAFileWithoutThemCarriesNoRoll) {
  auto named = sims({{"columns", {{"admission_date", "Started"}, {"leaving_date", "Finished"}}}})
                   ->parse(
                       "UPN,Started,Finished,Date,Session,Mark\n"
                       "B801200005001,02/09/2024,20/12/2024,02/09/2024,AM,/\n",
                       "export.csv");
  ASSERT_TRUE(named.ok()) << first(named);
  ASSERT_EQ(named.on_roll.size(), 1u);
  EXPECT_EQ(named.on_roll[0].period.left, d("2024-12-20"));

  auto admissionOnly = sims()->parse(
      "UPN,Admission Date,Date,Session,Mark\nB801200005001,02/09/2024,02/09/2024,AM,/\n", "a.csv");
  ASSERT_EQ(admissionOnly.on_roll.size(), 1u);
  // No leaving column: the file cannot say the pupil has not left.
  EXPECT_FALSE(admissionOnly.on_roll[0].states_leaving);

  auto none = sims()->parse("UPN,Date,Session,Mark\nB801200005001,02/09/2024,AM,/\n", "b.csv");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.on_roll.empty());
}

TEST(OnRollSources, SimsCsvRefusesAnUnreadableOrBackwardsDateNamingLineColumnAndValue) {
  auto bad = sims()->parse(
      "UPN,Admission Date,Date,Session,Mark\nB801200005001,31/09/2024,02/09/2024,AM,/\n", "a.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.problems[0].line, 2);
  EXPECT_EQ(bad.problems[0].column, 2);
  EXPECT_EQ(bad.problems[0].value, "31/09/2024");
  EXPECT_NE(bad.problems[0].message.find("admission date"), std::string::npos);

  auto backwards = sims()->parse(
      "UPN,Admission Date,Date of Leaving,Date,Session,Mark\n"
      "B801200005001,02/09/2024,01/09/2024,02/09/2024,AM,/\n",
      "a.csv");
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.problems[0].column, 3);
  EXPECT_NE(backwards.problems[0].message.find("before the admission date"), std::string::npos);
}

TEST(OnRollSources, SimsGridTakesTheRollColumnsAsPupilColumns) {
  auto batch = sims()->parse(
      "UPN,Admission Date,Mon 02/09/2024 AM,Mon 02/09/2024 PM\nB801200005001,02/09/2024,/,\\\n",
      "grid.csv");
  ASSERT_TRUE(batch.ok()) << first(batch);
  EXPECT_EQ(batch.marks.size(), 2u);
  ASSERT_EQ(batch.on_roll.size(), 1u);
}

TEST(OnRollSources, CtfReadsEveryPeriodAtTheSourceSchoolAndNoneElsewhere) {
  auto batch = parseCtf(school("801", "2000", "2023-09-04", "2024-02-09", "Moved") +
                        school("802", "3000", "2024-02-12", "2024-06-28") +
                        school("801", "2000", "2024-09-02", ""));
  ASSERT_TRUE(batch.ok()) << first(batch);
  ASSERT_EQ(batch.on_roll.size(), 2u);  // left, went elsewhere, came back
  EXPECT_EQ(batch.on_roll[0].period.admitted, d("2023-09-04"));
  EXPECT_EQ(batch.on_roll[0].period.left, d("2024-02-09"));
  EXPECT_EQ(batch.on_roll[0].period.leaving_reason, "Moved");
  EXPECT_EQ(batch.on_roll[1].period.admitted, d("2024-09-02"));
  EXPECT_FALSE(batch.on_roll[1].period.left);
}

TEST(OnRollSources, CtfRefusesABadEntryDateNamingTheElement) {
  auto batch = parseCtf(school("801", "2000", "2024-13-01", ""));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].value, "2024-13-01");
  EXPECT_NE(batch.problems[0].message.find("EntryDate"), std::string::npos);
  EXPECT_GT(batch.problems[0].line, 0);
}

TEST(OnRollSources, CensusGivesEntryDatesAndTheLeaversLeavingDate) {
  nlohmann::json config = {{"name", "census"}, {"type", "census_xml"}};
  std::vector<Problem> problems;
  auto built = buildCensusXmlConnector(config, "$.sources[1]", "/tmp", {"c.json", &problems});
  auto batch =
      built->readFile(test::sourceDir() + "/tests/fixtures/census/spring-2025-pupil-details.xml");
  ASSERT_TRUE(batch.ok()) << first(batch);
  ASSERT_EQ(batch.on_roll.size(), 3u);
  EXPECT_EQ(batch.on_roll[0].period.admitted, d("2023-09-04"));
  EXPECT_FALSE(batch.on_roll[0].states_leaving);  // on roll at the census: says nothing more
  EXPECT_EQ(batch.on_roll[2].upn, "Q801200005002");
  EXPECT_EQ(batch.on_roll[2].period.admitted, d("2023-09-04"));
  EXPECT_EQ(batch.on_roll[2].period.left, d("2024-12-20"));
  EXPECT_TRUE(batch.on_roll[2].states_leaving);
}

// The fixture page (also a fuzz seed) in Wonde's shape: a leaver and a joiner.
TEST(OnRollSources, TheWondeFixturePageGivesEachStudentsAdmissionRegister) {
  auto page = parseMisPage(test::fixtureText("mis_rest/wonde-education-details.json"),
                           misPreset("wonde")->fields);
  ASSERT_EQ(page.error, "");
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].upn, "B801200005001");
  EXPECT_EQ(page.items[0].admission_date, "2024-09-02");
  EXPECT_EQ(page.items[0].leaving_date, "2024-11-19");
  EXPECT_EQ(page.items[2].admission_date, "2024-11-11");
  EXPECT_EQ(page.items[2].leaving_date, "");  // null: still on roll
}

TEST(OnRollSources, MisRestReadsTheStudentsDatesByConfigurablePaths) {
  MisFieldPaths paths = misPreset("wonde")->fields;
  auto page = parseMisPage(
      R"({"data":[{"student":{"data":{"mis_id":"1","education_details":{"data":{
        "upn":"B801200005001","admission_date":{"date":"2024-09-02 00:00:00.000000"},
        "leaving_date":{"date":"2024-12-20 00:00:00.000000"}}}}},
        "date":{"date":"2024-09-03 00:00:00.000000"},"session":"AM",
        "attendance_code":{"data":{"code":"/"}}}]})",
      paths);
  ASSERT_EQ(page.error, "");
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].admission_date, "2024-09-02");
  EXPECT_EQ(page.items[0].leaving_date, "2024-12-20");

  MisFieldPaths plain;
  auto flat = parseMisPage(
      R"({"data":[{"student":{"upn":"B801200005001","admission_date":"2024-09-02",
        "leaving_date":null},"date":{"date":"2024-09-03"},"session":"AM",
        "attendance_code":{"code":"/"}}]})",
      plain);
  ASSERT_EQ(flat.items.size(), 1u);
  EXPECT_EQ(flat.items[0].admission_date, "2024-09-02");
  EXPECT_EQ(flat.items[0].leaving_date, "");
}
