// Black-box tests of the binary with School Census returns as MIS write them today (written from
// the DfE School Census XML shape): totals from per-reason counts, reasons of every 2024
// category, and `markbridge reconcile` per total and per reason.

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

std::string fixture(const std::string& name) {
  return test::sourceDir() + "/tests/fixtures/census/" + name;
}

struct CensusFixture : ::testing::Test {
  test::TempDir dir;

  void SetUp() override { writeConfig(true); }

  void writeConfig(bool withCensus) {
    dir.write("calendar.json", test::autumnCalendarJson());
    nlohmann::json sources = {{{"name", "sims"}, {"type", "sims_csv"}}};
    if (withCensus)
      sources.push_back(
          {{"name", "census"},
           {"type", "census_xml"},
           {"periods", {{"termly", {{"from", "2024-09-03"}, {"to", "2024-09-20"}}}}}});
    nlohmann::json config = test::schoolConfig({{"sources", sources}});
    dir.write("markbridge.json", config.dump(2));
  }

  test::RunResult run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", "markbridge.json"});
    return test::runMarkbridge(args, {}, dir.path());
  }

  // One pupil's register, a code per session from Tuesday 3 September 2024 on (AM then PM).
  static std::string register_(const std::string& upn, const std::string& adno,
                               const std::vector<std::string>& codes) {
    static const char* days[] = {"03", "04", "05", "06", "09", "10", "11",
                                 "12", "13", "16", "17", "18", "19", "20"};
    std::string csv;
    for (std::size_t i = 0; i < codes.size(); ++i) {
      bool am = i % 2 == 0;
      std::string code = codes[i] == "/" && !am ? "\\" : codes[i];
      csv +=
          upn + "," + adno + "," + days[i / 2] + "/09/2024," + (am ? "AM," : "PM,") + code + "\n";
    }
    return csv;
  }
};

std::vector<std::string> repeat(const std::string& code, int n) {
  return std::vector<std::string>(static_cast<std::size_t>(n), code);
}

std::vector<std::string> join(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

}  // namespace

TEST_F(CensusFixture, ReconcileDerivesTotalsFromReasonsAndComparesEachReason) {
  // The first pupil's register says exactly what the return's SessionDetails say (I 2, M 1,
  // N 3, G 1, present 9, L 2, B 2 and 7 sessions not counted); the second's has I 1, M 1, O 1
  // where the return says M 2, O 1.
  auto first = join({repeat("I", 2), repeat("M", 1), repeat("N", 3), repeat("G", 1), repeat("/", 9),
                     repeat("L", 2), repeat("B", 2), repeat("D", 2), repeat("X", 1),
                     repeat("Y1", 1), repeat("Q", 1), repeat("#", 2)});
  auto second = join({repeat("I", 1), repeat("M", 1), repeat("O", 1), repeat("/", 17)});
  dir.write("sims.csv", "UPN,Adno,Date,Session,Mark\n" + register_("B801200005001", "1001", first) +
                            register_("K801400023001", "1002", second));
  auto sims = run({"import", "--source", "sims", "sims.csv"});
  ASSERT_EQ(sims.exit_code, 0) << sims.err;

  auto imported = run({"import", "--source", "census", fixture("spring-2025-reasons.xml")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;  // B, D, X, Y1, Q, #, L, / all accepted
  // The second pupil's stated totals disagree with its reasons: kept, and a person is told.
  EXPECT_NE(imported.err.find("spring-2025-reasons.xml:69:"), std::string::npos) << imported.err;
  EXPECT_NE(imported.err.find("SessionsAuthorised is 3, its SessionDetails give 2"),
            std::string::npos)
      << imported.err;

  auto report = run({"reconcile"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("agrees   B...5001 adm 1001  termly 2024-09-03..2024-09-20  "
                            "census 20 / 3 / 4  register 20 / 3 / 4"),
            std::string::npos)
      << report.out;
  EXPECT_NE(report.out.find("DIFFERS  K...3001 adm 1002  termly 2024-09-03..2024-09-20  "
                            "census 20 / 3 / 0  register 20 / 2 / 1"),
            std::string::npos)
      << report.out;
  EXPECT_NE(report.out.find("by reason (census / register): I 0 / 1, M 2 / 1\n"), std::string::npos)
      << report.out;
  EXPECT_NE(report.out.find("3 compared, 2 differ"), std::string::npos) << report.out;
  EXPECT_EQ(report.out.find("Adeyemi"), std::string::npos);  // no pupil names on the console
}

TEST_F(CensusFixture, AReasonThatIsNotA2024CodeRefusesTheWholeReturnNamingLineAndValue) {
  auto imported = run({"import", "--source", "census", fixture("bad-reason.xml")});
  EXPECT_EQ(imported.exit_code, 1);
  EXPECT_NE(imported.err.find("bad-reason.xml:19:"), std::string::npos) << imported.err;
  EXPECT_NE(imported.err.find("'H'"), std::string::npos) << imported.err;
  EXPECT_NE(imported.err.find("nothing from this file was stored"), std::string::npos);
  auto report = run({"reconcile"});
  EXPECT_NE(report.out.find("0 compared, 0 differ, 0 without dates"), std::string::npos)
      << report.out;  // nothing half-imported
}

TEST_F(CensusFixture, PupilsWhoseMasksCollideAreToldApartByAdmissionNumber) {
  // Both UPNs mask to B...5001.
  dir.write("sims.csv", "UPN,Adno,Date,Session,Mark\n" +
                            register_("B801200005001", "1001", repeat("/", 20)) +
                            register_("B801201205001", "2417", repeat("/", 20)));
  ASSERT_EQ(run({"import", "--source", "sims", "sims.csv"}).exit_code, 0);
  dir.write(
      "census.xml",
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message><Pupils><PupilsOnRoll>\n"
      "<PupilOnRoll><PupilIdentifiers><UPN>B801200005001</UPN><Surname>A</Surname>"
      "<Forename>B</Forename></PupilIdentifiers><Attendance><TermlyAttendance>"
      "<SessionsPossible>20</SessionsPossible></TermlyAttendance></Attendance></PupilOnRoll>\n"
      "<PupilOnRoll><PupilIdentifiers><UPN>B801201205001</UPN><Surname>C</Surname>"
      "<Forename>D</Forename></PupilIdentifiers><Attendance><TermlyAttendance>"
      "<SessionsPossible>18</SessionsPossible></TermlyAttendance></Attendance></PupilOnRoll>\n"
      "</PupilsOnRoll></Pupils></Message>\n");
  auto imported = run({"import", "--source", "census", "census.xml"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto report = run({"reconcile"});
  EXPECT_NE(report.out.find("agrees   B...5001 adm 1001  termly"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("DIFFERS  B...5001 adm 2417  termly"), std::string::npos) << report.out;
}

TEST_F(CensusFixture, WithoutACensusSourceReconcileSaysWhatToAdd) {
  writeConfig(false);
  auto report = run({"reconcile"});
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_NE(report.err.find("no census source"), std::string::npos) << report.err;
  EXPECT_NE(report.err.find("\"type\": \"census_xml\""), std::string::npos) << report.err;
  EXPECT_NE(report.err.find("\"periods\""), std::string::npos) << report.err;
}

TEST_F(CensusFixture, TheYearGroupIsReadFromPupilStatusAndAPupilWithoutOneIsWarnedByMaskedUpn) {
  // Written from the DfE specification's modules: NCyearActual in PupilStatus for the first
  // pupil; under PupilCharacteristics for the second (not where the specification puts it);
  // none for the third.
  auto imported = run({"import", "--source", "census", fixture("spring-2025-pupil-details.xml")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("3 new pupils"), std::string::npos) << imported.out;
  EXPECT_NE(imported.err.find("spring-2025-pupil-details.xml:66:25: pupil K...3001: no year group "
                              "at PupilStatus/NCyearActual (this return has NCyearActual under "
                              "PupilCharacteristics"),
            std::string::npos)
      << imported.err;
  EXPECT_NE(imported.err.find("spring-2025-pupil-details.xml:84:10: pupil Q...5002: no year group "
                              "at PupilStatus/NCyearActual"),
            std::string::npos)
      << imported.err;
  EXPECT_NE(imported.err.find("PupilStatus/NCyearActual: the year group could not be read for 2 "
                              "of 3 pupil(s); they are stored without one"),
            std::string::npos)
      << imported.err;
  EXPECT_EQ(imported.err.find("B...5001: no year group"), std::string::npos) << imported.err;
  for (const char* name : {"Adeyemi", "Tolu", "Jones"})  // pupils by masked UPN, never by name
    EXPECT_EQ((imported.out + imported.err).find(name), std::string::npos) << name;

  auto first = run({"explain", "B801200005001"});
  EXPECT_NE(first.out.find("pupil B...5001 (year 8,"), std::string::npos) << first.out << first.err;
  auto second = run({"explain", "K801400023001"});
  EXPECT_NE(second.out.find("pupil K...3001 (year ,"), std::string::npos) << second.out;
}

TEST_F(CensusFixture, TheCensusExampleInTheDocsWorksAsShown) {
  auto example = test::docExample("## `census_xml`: School Census");
  ASSERT_TRUE(example.is_object()) << "no ```json example under the census heading";
  dir.write("markbridge.json", test::schoolConfig({{"sources", {example}}}).dump(2));
  std::filesystem::create_directories(dir / "returns");
  std::filesystem::copy_file(fixture("spring-2025-pupil-details.xml"),
                             dir / "returns" / "spring-2025.xml");
  auto imported = run({"import", "--source", "census", "returns/spring-2025.xml"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.err.find("warning: returns/spring-2025.xml:66:25: pupil K...3001: no year "
                              "group at PupilStatus/NCyearActual"),
            std::string::npos)
      << imported.err;
  auto report = run({"reconcile"});
  EXPECT_EQ(report.exit_code, 0) << report.err;
}
