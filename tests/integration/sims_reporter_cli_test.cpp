// Black-box: a SIMS CommandReporter XML report dropped in a source's folder and synced through
// the real `markbridge` binary, as a SIMS school's scheduled task would (CommandReporter.exe
// /OUTPUT:inbox\attendance.xml /OUTPUTTYPE:XML): the LA is told of the pupil absent ten days, the
// report is archived (the source is the example in docs/connectors.md); a report with an unknown
// code is quarantined whole, its note naming the Record's element, line and value, and nothing of
// it is stored.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;
namespace fs = std::filesystem;

namespace {

// What CommandReporter writes for a report with these captions: the inline schema, then one
// Record per pupil-session; dates as .NET DateTimes, names with `_x0020_` for the spaces.
std::string commandReporterXml(const std::string& badMark = "") {
  std::string xml =
      "<?xml version=\"1.0\" standalone=\"yes\"?>\r\n<SuperStarReport>\r\n"
      "  <xs:schema id=\"SuperStarReport\" xmlns=\"\" "
      "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
      "xmlns:msdata=\"urn:schemas-microsoft-com:xml-msdata\">\r\n"
      "    <xs:element name=\"SuperStarReport\" msdata:IsDataSet=\"true\">\r\n"
      "      <xs:complexType><xs:choice minOccurs=\"0\" maxOccurs=\"unbounded\">\r\n"
      "        <xs:element name=\"Record\"><xs:complexType><xs:sequence>\r\n";
  for (const char* field : {"UPN", "Adno", "Legal_x0020_Surname", "Legal_x0020_Forename",
                            "Reg_x0020_Group", "Year", "Date", "Session", "Attendance_x0020_Mark"})
    xml += std::string("          <xs:element name=\"") + field +
           "\" type=\"xs:string\" minOccurs=\"0\" />\r\n";
  xml +=
      "        </xs:sequence></xs:complexType></xs:element>\r\n"
      "      </xs:choice></xs:complexType>\r\n    </xs:element>\r\n  </xs:schema>\r\n";
  auto record = [&](const char* upn, const char* adno, const char* surname, const char* forename,
                    const std::string& date, const char* session, const std::string& mark) {
    xml += std::string("  <Record>\r\n    <UPN>") + upn + "</UPN>\r\n    <Adno>" + adno +
           "</Adno>\r\n    <Legal_x0020_Surname>" + surname +
           "</Legal_x0020_Surname>\r\n    <Legal_x0020_Forename>" + forename +
           "</Legal_x0020_Forename>\r\n    <Reg_x0020_Group>8B</Reg_x0020_Group>\r\n"
           "    <Year>8</Year>\r\n    <Date>" +
           date + "T00:00:00+01:00</Date>\r\n    <Session>" + session +
           "</Session>\r\n    <Attendance_x0020_Mark>" + mark +
           "</Attendance_x0020_Mark>\r\n  </Record>\r\n";
  };
  // B801200005001 absent without reason for 11 school days from 16 Sep 2024 (the LA's
  // unauthorised_10_day notification); K801400023001 present.
  for (Date day : test::autumnCalendar().schoolDays(test::d("2024-09-03"), test::d("2024-10-04"))) {
    bool absent = day >= test::d("2024-09-16");
    record("B801200005001", "1001", "O'Brien", "Zoe", day.iso(), "AM", absent ? "N" : "/");
    record("B801200005001", "1001", "O'Brien", "Zoe", day.iso(), "PM", absent ? "N" : "\\");
    record("K801400023001", "1002", "Smith", "Ann", day.iso(), "AM",
           badMark.empty() || day != test::d("2024-09-10") ? "/" : badMark);
    record("K801400023001", "1002", "Smith", "Ann", day.iso(), "PM", "\\");
  }
  return xml + "</SuperStarReport>\r\n";
}

struct SimsReporterCli : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"}};

  void SetUp() override {
    dir.write("calendar.json", test::autumnCalendarJson());
    // The example in docs/connectors.md, with this test's folder.
    auto source = test::docExample("## `sims_reporter_xml`: SIMS CommandReporter XML");
    EXPECT_EQ(source["columns"]["mark"], "Attendance Mark");
    source.update({{"drop_folder", "inbox"}, {"settle_seconds", 0}});
    nlohmann::json config = test::schoolConfig(
        {{"service", {{"admin_port", -1}}},
         {"sources", {source}},
         {"sinks", nlohmann::json::array({test::laSink(server->baseUrl())})},
         {"delivery",
          {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 5}}}});
    dir.write("markbridge.json", config.dump(2));
    fs::create_directories(dir / "inbox");
  }

  std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

}  // namespace

TEST_F(SimsReporterCli, AReportDroppedInTheFolderIsSyncedAndTheLaToldOfTenDaysAbsence) {
  dir.write("inbox/attendance.xml", commandReporterXml());
  auto sync = test::runMarkbridge({"sync", "--config", "markbridge.json"}, env, dir.path());
  ASSERT_EQ(sync.exit_code, 0) << sync.out << sync.err;
  EXPECT_NE(sync.out.find("1 delivered"), std::string::npos) << sync.out;
  ASSERT_EQ(server->received().size(), 1u);
  auto body = nlohmann::json::parse(server->received()[0].body);
  EXPECT_EQ(body["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(body["pupil"]["surname"], "O'Brien");
  EXPECT_TRUE(fs::exists(dir / "inbox/archive/attendance.xml"));
  auto status = test::runMarkbridge({"status", "--config", "markbridge.json"}, env, dir.path());
  EXPECT_NE(status.out.find("pupils 2"), std::string::npos) << status.out;
}

TEST_F(SimsReporterCli, AReportWithAnUnknownCodeIsQuarantinedWholeNamingTheElement) {
  dir.write("inbox/attendance.xml", commandReporterXml("ZZ"));
  auto sync = test::runMarkbridge({"sync", "--config", "markbridge.json"}, env, dir.path());
  EXPECT_EQ(sync.exit_code, 1) << sync.out << sync.err;
  EXPECT_TRUE(server->received().empty());
  ASSERT_TRUE(fs::exists(dir / "inbox/quarantine/attendance.xml.error.txt"));
  auto note = read(dir / "inbox/quarantine/attendance.xml.error.txt");
  EXPECT_NE(note.find("Record["), std::string::npos) << note;
  EXPECT_NE(note.find("/Attendance Mark"), std::string::npos) << note;
  EXPECT_NE(note.find("'ZZ'"), std::string::npos) << note;
  EXPECT_EQ(note.find("O'Brien"), std::string::npos) << note;  // no pupil's name in the note
  auto status = test::runMarkbridge({"status", "--config", "markbridge.json"}, env, dir.path());
  EXPECT_NE(status.out.find("marks 0"), std::string::npos) << status.out;
  // The report exported again with the code corrected is imported and synced.
  dir.write("inbox/attendance.xml", commandReporterXml());
  auto again = test::runMarkbridge({"sync", "--config", "markbridge.json"}, env, dir.path());
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(server->received().size(), 1u);
}
