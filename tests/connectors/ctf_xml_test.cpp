#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/inbound/ctf_xml/ctf_xml_connector.h"
#include "core/domain/field_limits.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

std::unique_ptr<InboundConnector> ctf(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json config = {{"name", "ctf"}, {"type", "ctf_xml"}};
  config.update(extra);
  std::vector<Problem> problems;
  auto built = buildCtfXmlConnector(config, "$.sources[0]", "/tmp", {"c.json", &problems});
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return built;
}

ImportBatch read(const std::string& name) {
  return ctf()->readFile(test::sourceDir() + "/tests/fixtures/ctf/" + name);
}

std::string codesOf(const ImportBatch& batch) {
  std::string codes;
  for (const auto& m : batch.marks)
    codes += m.date.iso().substr(8) + std::string(toString(m.session)) + "=" +
             std::string(m.code.str()) + " ";
  return codes;
}

}  // namespace

TEST(CtfXml, ReadsTwoCharactersPerCalendarDaySkippingDaysNotInSession) {
  auto batch = read("characters.xml");
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_EQ(codesOf(batch),
            "02AM=/ 02PM=\\ 03AM=N 03PM=N 04AM=I 04PM=L 05AM=/ 05PM=\\ 06AM=B 06PM=- 09AM=/ "
            "09PM=\\ ");
  ASSERT_EQ(batch.pupils.size(), 1u);
  EXPECT_EQ(batch.pupils[0].forename, "Zoë");
  EXPECT_EQ(batch.pupils[0].dob, d("2013-05-01"));
}

TEST(CtfXml, TotalsThatDisagreeWithTheMarksAreReportedNotRejected) {
  auto batch = read("characters.xml");
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch.warnings.size(), 3u);  // possible 13 vs 11, authorised 2 vs 1, unauth. 1 vs 2
  EXPECT_EQ(batch.warnings[0].location, "Pupil[1]/Attendance/YearData/SessionsPossible");
  EXPECT_NE(batch.warnings[0].message.find("total is 13, its marks give 11"), std::string::npos)
      << batch.warnings[0].message;
  EXPECT_GT(batch.warnings[0].line, 0);
}

TEST(CtfXml, ReadsCommaSeparatedTokensForTwoCharacterCodes) {
  auto batch = read("tokens.xml");
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  EXPECT_EQ(codesOf(batch), "02AM=/ 02PM=\\ 03AM=C1 03PM=N 04AM=Y3 04PM=- 09AM=/ 09PM=\\ ");
}

TEST(CtfXml, RefusesTruncatedEmptyAndEntityLadenFiles) {
  auto truncated = read("truncated.xml");
  ASSERT_FALSE(truncated.ok());
  EXPECT_GT(truncated.problems[0].line, 1);
  EXPECT_NE(truncated.problems[0].message.find("not well-formed"), std::string::npos);
  auto entities = read("doctype-entities.xml");
  ASSERT_FALSE(entities.ok());
  EXPECT_NE(entities.problems[0].message.find("DOCTYPE"), std::string::npos);
  EXPECT_TRUE(entities.pupils.empty());
  EXPECT_FALSE(read("empty.xml").ok());
  auto upn = read("bad-upn.xml");
  ASSERT_FALSE(upn.ok());
  EXPECT_EQ(upn.problems[0].value, "B801200005009");
  EXPECT_EQ(upn.problems[0].line, 6);
}

TEST(CtfXml, AFileThatIsNotACtfSaysSo) {
  auto built = ctf();
  auto batch =
      dynamic_cast<CtfXmlConnector&>(*built).parse("<Message><Header/></Message>", "census.xml");
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.problems[0].message.find("root element must be CTfile"), std::string::npos);
}

namespace {

// A CTF with one pupil: its surname, and marks from 2 Sep 2024.
std::string ctfText(const std::string& surname, const std::string& marks,
                    const std::string& declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>") {
  return declaration + "\n<CTfile>\n<CTFpupilData>\n<Pupil>\n<UPN>B801200005001</UPN>\n<Surname>" +
         surname +
         "</Surname>\n<Forename>Zoe</Forename>\n<Attendance><YearData><AttendSessions>\n"
         "<AttendanceStartDate>2024-09-02</AttendanceStartDate>\n<AttendanceMarks>" +
         marks +
         "</AttendanceMarks>\n</AttendSessions></YearData></Attendance>\n</Pupil>\n"
         "</CTFpupilData>\n</CTfile>\n";
}

ImportBatch parseCtf(const std::string& text) {
  auto built = ctf();
  return dynamic_cast<CtfXmlConnector&>(*built).parse(text, "ctf.xml");
}

}  // namespace

TEST(CtfXml, AnInvalidUtf8ByteInANameRefusesTheFileNamingLineColumnAndByte) {
  auto batch = parseCtf(ctfText("O'Bri\xE9n", "/\\"));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].file, "ctf.xml");
  EXPECT_EQ(batch.problems[0].line, 6);
  EXPECT_EQ(batch.problems[0].column, 15);
  EXPECT_EQ(batch.problems[0].value, "0xE9");
  EXPECT_TRUE(batch.pupils.empty());
  EXPECT_TRUE(batch.marks.empty());
  // The same bytes in a file that declares Windows-1252 are its 'é'.
  auto declared =
      parseCtf(ctfText("O'Bri\xE9n", "/\\", "<?xml version=\"1.0\" encoding=\"windows-1252\"?>"));
  ASSERT_TRUE(declared.ok()) << declared.problems[0].str();
  ASSERT_EQ(declared.pupils.size(), 1u);
  EXPECT_EQ(declared.pupils[0].surname, "O'Brién");
}

TEST(CtfXml, ANameOverTheLimitIsRefusedWithoutShowingIt) {
  std::string longest;
  for (std::size_t i = 0; i < kMaxNameCharacters; ++i) longest += "ł";  // two bytes each
  auto fits = parseCtf(ctfText(longest, "/\\"));
  ASSERT_TRUE(fits.ok()) << fits.problems[0].str();
  auto batch = parseCtf(ctfText(longest + "x", "/\\"));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.problems[0].line, 6);
  EXPECT_EQ(batch.problems[0].location, "Surname");
  EXPECT_EQ(batch.problems[0].value, "101 characters");
  EXPECT_NE(batch.problems[0].message.find("limit of 100 characters"), std::string::npos);
  EXPECT_TRUE(batch.pupils.empty());
}

TEST(CtfXml, MarksThatRunPastTheAcademicYearAreRefusedWhole) {
  // 2 Sep 2024 to 31 Aug 2025 is 364 days: 728 sessions at most.
  std::string year;
  for (int day = 0; day < 364; ++day) year += day % 7 < 5 ? "/\\" : "##";
  auto fits = parseCtf(ctfText("Smith", year));
  ASSERT_TRUE(fits.ok()) << fits.problems[0].str();
  EXPECT_EQ(fits.marks.back().date, d("2025-08-29"));
  auto past = parseCtf(ctfText("Smith", year + "/"));
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.problems.size(), 1u);
  EXPECT_EQ(past.problems[0].line, 10);
  EXPECT_EQ(past.problems[0].value, "729 sessions");
  EXPECT_NE(past.problems[0].message.find("past 2025-08-31"), std::string::npos)
      << past.problems[0].message;
  EXPECT_TRUE(past.marks.empty());
  // Centuries of marks (within the text limit), as tokens too.
  std::string tokens = "/";
  for (int i = 0; i < 20000; ++i) tokens += ",N";
  auto centuries = parseCtf(ctfText("Smith", tokens));
  ASSERT_FALSE(centuries.ok());
  EXPECT_EQ(centuries.problems[0].value, "20001 sessions");
}

// Issue 16: the on-roll period at the school the file comes from, not the pupil's past elsewhere
// (also the fuzz target's seed for SchoolHistory).
TEST(CtfXml, SchoolHistoryAtThisSchoolIsThePupilsOnRollPeriod) {
  auto batch = read("school-history.xml");
  ASSERT_TRUE(batch.ok()) << batch.problems.front().str();
  ASSERT_EQ(batch.on_roll.size(), 1u);
  const auto& period = batch.on_roll[0].period;
  EXPECT_EQ(batch.on_roll[0].upn, "B801200005001");
  EXPECT_EQ(period.admitted->iso(), "2024-09-02");
  EXPECT_EQ(period.left->iso(), "2024-11-19");
  EXPECT_EQ(period.leaving_reason, "EHE");
}
