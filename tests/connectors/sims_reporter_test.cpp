// SIMS CommandReporter XML (sims_reporter_xml): the report's Records read as sims_csv reads its
// long layout, element names decoded (`Legal_x0020_Surname`), .NET dates at midnight, and every
// refusal naming the file, the Record's element, its line and the value.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/common/xml_document.h"
#include "connectors/inbound/sims_csv/sims_csv_connector.h"
#include "connectors/inbound/sims_reporter/sims_reporter_connector.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

std::unique_ptr<SimsReporterXmlConnector> reporter(
    nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json config = {{"name", "sims"}, {"type", "sims_reporter_xml"}};
  config.update(extra);
  std::vector<Problem> problems;
  ConfigContext context{"config.json", &problems};
  auto built = findInboundType("sims_reporter_xml")->build(config, "$.sources[0]", "/tmp", context);
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return std::unique_ptr<SimsReporterXmlConnector>(
      dynamic_cast<SimsReporterXmlConnector*>(built.release()));
}

std::string fixture(const std::string& name) {
  return test::sourceDir() + "/tests/fixtures/sims_reporter/" + name;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string first(const ImportBatch& batch) {
  return batch.problems.empty() ? std::string("(none)") : batch.problems.front().str();
}

// A report of `records` (each the inside of one <Record>), as CommandReporter writes it.
std::string report(const std::vector<std::string>& records, const std::string& before = "") {
  std::string xml = "<?xml version=\"1.0\" standalone=\"yes\"?>\n<SuperStarReport>\n" + before;
  for (const auto& r : records) xml += "  <Record>\n" + r + "  </Record>\n";
  return xml + "</SuperStarReport>\n";
}

std::string fields(const std::string& mark, const std::string& date = "2024-09-02T00:00:00",
                   const std::string& session = "AM", const std::string& upn = "B801200005001") {
  return "    <UPN>" + upn +
         "</UPN>\n    <Legal_x0020_Surname>Smith</Legal_x0020_Surname>\n"
         "    <Legal_x0020_Forename>Ann</Legal_x0020_Forename>\n    <Date>" +
         date + "</Date>\n    <Session>" + session + "</Session>\n    <Mark>" + mark + "</Mark>\n";
}

// Each mark as text, and each pupil, to compare two sources' readings of the same export.
std::string register_(const ImportBatch& batch) {
  std::string out;
  for (const auto& p : batch.pupils)
    out += p.upn + "|" + p.mis_id + "|" + p.surname + "|" + p.forename + "|" + p.reg_group + "|" +
           p.year_group + "|" + (p.dob ? p.dob->iso() : "-") + "\n";
  for (const auto& m : batch.marks)
    out += m.upn + " " + m.date.iso() + " " + std::string(toString(m.session)) + " " +
           std::string(m.code.str()) + " " + m.source_code + " " +
           (m.minutes_late ? std::to_string(*m.minutes_late) : "-") + "\n";
  for (const auto& r : batch.on_roll)
    out += "roll " + r.upn + " " + (r.period.admitted ? r.period.admitted->iso() : "-") + " " +
           (r.period.left ? r.period.left->iso() : "-") + " '" + r.period.leaving_reason + "' '" +
           r.period.destination + "' " + (r.states_leaving ? "states" : "silent") + "\n";
  return out;
}

}  // namespace

TEST(SimsReporterXml, GivesTheSameRegisterAsSimsCsvGivesForTheSameExport) {
  auto xml = reporter()->readFile(fixture("attendance.xml"));
  ASSERT_TRUE(xml.ok()) << first(xml);
  std::vector<Problem> problems;
  auto csv = findInboundType("sims_csv")
                 ->build({{"name", "sims"}, {"type", "sims_csv"}}, "$", "/tmp",
                         ConfigContext{"c.json", &problems})
                 ->readFile(test::sourceDir() + "/tests/fixtures/sims_csv/utf8-lf.csv");
  ASSERT_TRUE(csv.ok()) << first(csv);
  EXPECT_EQ(xml.rows, 6);
  EXPECT_EQ(register_(xml), register_(csv));
  EXPECT_NE(register_(xml).find("B801200005001|1001|O'Brien-Łukasz|Zoë|7A|7|2013-02-14"),
            std::string::npos)
      << register_(xml);
  EXPECT_NE(register_(xml).find("2024-09-03 AM L L 12"), std::string::npos) << register_(xml);
}

TEST(SimsReporterXml, ReadsTheAdmissionRegisterFromDotNetDatesWithOffsets) {
  auto batch = reporter()->readFile(fixture("admission-register.xml"));
  ASSERT_TRUE(batch.ok()) << first(batch);
  auto text = register_(batch);
  EXPECT_NE(text.find("roll B801200005001 2024-09-02 2024-11-19 'Moved, another school' "
                      "'URN 123456' states"),
            std::string::npos)
      << text;
  // Ann's Date of Leaving is empty, so SIMS leaves the element out of her Records; the schema
  // says the report has the field, so her period is stated open.
  EXPECT_NE(text.find("roll K801400023001 2024-11-11 - '' '' states"), std::string::npos) << text;
}

TEST(SimsReporterXml, DecodesDotNetElementNamesSoTheMappingUsesTheCaption) {
  EXPECT_EQ(decodeXmlName("Legal_x0020_Surname"), "Legal Surname");
  EXPECT_EQ(decodeXmlName("Caf_x00E9_"), "Café");
  EXPECT_EQ(decodeXmlName("_x0031_st_x0020_Day"), "1st Day");
  EXPECT_EQ(decodeXmlName("Smile_x0001F600_"), "Smile\xF0\x9F\x98\x80");
  for (const char* kept : {"Reg_Group", "A_x0020", "A_xZZ20_B", "A_xD800_", "_x0000_"})
    EXPECT_EQ(decodeXmlName(kept), kept);
  auto batch = reporter({{"columns", {{"mark", "Attendance Mark"}, {"upn", "Pupil UPN"}}}})
                   ->parse(report({"    <Pupil_x0020_UPN>B801200005001</Pupil_x0020_UPN>\n"
                                   "    <Date>02/09/2024</Date>\n    <Session>PM</Session>\n"
                                   "    <Attendance_x0020_Mark>\\</Attendance_x0020_Mark>\n"}),
                           "report.xml");
  ASSERT_TRUE(batch.ok()) << first(batch);
  ASSERT_EQ(batch.marks.size(), 1u);
  EXPECT_EQ(batch.marks[0].code.str(), "\\");
  EXPECT_EQ(batch.marks[0].session, Session::PM);
}

TEST(SimsReporterXml, TakesDotNetDatesAtMidnightAndRefusesAnyOtherTime) {
  EXPECT_EQ(dateOfMidnight("2024-09-02T00:00:00"), "2024-09-02");
  EXPECT_EQ(dateOfMidnight("2024-09-02T00:00:00.0000000+01:00"), "2024-09-02");
  EXPECT_EQ(dateOfMidnight("2024-09-02T00:00:00Z"), "2024-09-02");
  EXPECT_EQ(dateOfMidnight("02/09/2024"), "02/09/2024");
  for (const char* kept : {"2024-09-02T08:40:00", "2024-09-02T00:00:00+1", "2024-09-02T00:00:00.5",
                           "20x4-09-02T00:00:00"})
    EXPECT_EQ(dateOfMidnight(kept), kept);
  auto batch = reporter()->parse(report({fields("/", "2024-09-02T08:40:00")}), "report.xml");
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  EXPECT_EQ(batch.problems[0].value, "2024-09-02T08:40:00") << first(batch);
  EXPECT_EQ(batch.problems[0].location, "Record[1]/Date");
  EXPECT_EQ(batch.problems[0].line, 7);  // the <Date> element's line
}

TEST(SimsReporterXml, AnUnknownCodeRefusesTheReportNamingTheRecordsElementLineAndValue) {
  auto batch = reporter()->readFile(fixture("unknown-code.xml"));
  ASSERT_FALSE(batch.ok());
  EXPECT_TRUE(batch.marks.empty());
  EXPECT_TRUE(batch.pupils.empty());
  const auto& p = batch.problems[0];
  EXPECT_EQ(p.value, "ZZ") << p.str();
  EXPECT_EQ(p.location, "Record[4]/Mark");
  EXPECT_EQ(p.line, 50) << p.str();
  EXPECT_NE(p.file.find("unknown-code.xml"), std::string::npos);
}

TEST(SimsReporterXml, RefusesWhatItCannotReadWhole) {
  struct Case {
    std::string xml, location, value, says;
  };
  const std::string ok = fields("/");
  const std::vector<Case> cases = {
      {report({ok + "    <Mark>N</Mark>\n"}), "Record[1]/Mark", "<Mark>", "given twice"},
      {report({ok}, "  <Note>exported by SIMS</Note>\n"), "Note", "<Note>", "neither a Record"},
      {report({ok + "    <Comment><b>late</b></Comment>\n"}), "Record[1]/Comment", "<Comment>",
       "text only"},
      {report({"    <Legal_x0020_Surname>Smith</Legal_x0020_Surname>\n    <Date>02/09/2024</Date>"
               "\n    <Session>AM</Session>\n    <Mark>/</Mark>\n"}),
       "Record", "upn", "no Record has an element"},
      {report({ok + "    <Surname>Smith</Surname>\n"}), "Record/Surname", "Surname",
       "second surname"},
      {report({fields("/", "2024-09-02", "AM", "B801200005001" + std::string(40, '1'))}),
       "Record[1]/UPN", "53 characters", "limit of 32"},
      {report({}), "SuperStarReport", "", "no Record elements"},
      {report({ok + "    <" + std::string(300, 'N') + ">x</" + std::string(300, 'N') + ">\n"}), "",
       std::string(40, 'N') + "... (300 bytes)", "longer than 256 bytes"},
      {"<?xml version=\"1.0\"?>\n<CTfile/>\n", "", "CTfile",
       "root element must be SuperStarReport"},
  };
  for (const auto& c : cases) {
    auto batch = reporter()->parse(c.xml, "report.xml");
    ASSERT_FALSE(batch.ok()) << c.says;
    EXPECT_TRUE(batch.marks.empty()) << c.says;
    const auto& p = batch.problems[0];
    EXPECT_EQ(p.location, c.location) << p.str();
    EXPECT_EQ(p.value, c.value) << p.str();
    EXPECT_NE(p.message.find(c.says), std::string::npos) << p.str();
  }
  // A name too long is named by its length, never shown.
  auto batch =
      reporter()->parse(report({replaceAll(ok, "<Legal_x0020_Surname>Smith",
                                           "<Legal_x0020_Surname>" + std::string(101, 'Z'))}),
                        "report.xml");
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].value, "101 characters");
  EXPECT_EQ(batch.problems[0].location, "Record[1]/Legal Surname");
}

TEST(SimsReporterXml, AFieldLeftOutOfOneRecordIsEmptyThere) {
  // SIMS leaves out an element whose value is empty: Minutes Late only where a pupil was late.
  auto batch =
      reporter()->parse(report({fields("L") + "    <Minutes_x0020_Late>12</Minutes_x0020_Late>\n",
                                fields("\\", "2024-09-02T00:00:00", "PM")}),
                        "report.xml");
  ASSERT_TRUE(batch.ok()) << first(batch);
  ASSERT_EQ(batch.marks.size(), 2u);
  EXPECT_EQ(batch.marks[0].minutes_late, 12);
  EXPECT_FALSE(batch.marks[1].minutes_late);
}
