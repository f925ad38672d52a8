#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/domain/problem.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using markbridge::test::d;

TEST(SchoolCalendar, KnowsWhatKindOfDayEachDayIs) {
  auto cal = test::autumnCalendar();
  EXPECT_EQ(cal.kindOf(d("2024-09-02")), DayKind::Inset);
  EXPECT_EQ(cal.kindOf(d("2024-09-03")), DayKind::SchoolDay);
  EXPECT_EQ(cal.kindOf(d("2024-09-07")), DayKind::Weekend);
  EXPECT_EQ(cal.kindOf(d("2024-10-28")), DayKind::Holiday);
  EXPECT_EQ(cal.kindOf(d("2024-12-20")), DayKind::Closure);
  EXPECT_EQ(cal.kindOf(d("2024-12-24")), DayKind::OutOfTerm);
  EXPECT_EQ(cal.kindOf(d("2024-08-01")), DayKind::OutOfTerm);
  EXPECT_FALSE(cal.isSchoolDay(d("2025-02-18")));
}

TEST(SchoolCalendar, CountsSchoolDaysAcrossHalfTerm) {
  auto cal = test::autumnCalendar();
  // Mon 21 Oct .. Fri 8 Nov: 5 + half term + 5.
  EXPECT_EQ(cal.schoolDaysBetween(d("2024-10-21"), d("2024-11-08")), 10);
  EXPECT_EQ(cal.schoolDays(d("2024-10-25"), d("2024-11-04")),
            (std::vector<Date>{d("2024-10-25"), d("2024-11-04")}));
  // Autumn: 16 weeks = 80 weekdays - 5 half term - INSET - closure.
  EXPECT_EQ(cal.schoolDaysBetween(d("2024-09-01"), d("2024-12-31")), 73);
  EXPECT_EQ(cal.nextSchoolDay(d("2024-10-25")), d("2024-11-04"));
}

TEST(SchoolCalendar, ASchoolWeekHasAtLeastOneSchoolDay) {
  auto cal = test::autumnCalendar();
  EXPECT_EQ(cal.schoolWeekOf(d("2024-10-02")), d("2024-09-30"));
  EXPECT_FALSE(cal.schoolWeekOf(d("2024-10-30")));                // half term
  EXPECT_FALSE(cal.schoolWeekOf(d("2024-12-25")));                // Christmas
  EXPECT_EQ(cal.schoolWeekOf(d("2024-09-02")), d("2024-09-02"));  // INSET Monday, school week
}

TEST(SchoolCalendar, NamesTheJsonPathOfEachProblem) {
  auto json = nlohmann::json::parse(R"({"terms": [{"start": "2024-09-02", "end": "2024-02-30"}],
                                         "inset_days": ["02/09/2024"], "colour": "red"})");
  try {
    SchoolCalendar::fromJson(json, "cal.json");
    FAIL() << "accepted a bad calendar";
  } catch (const ProblemError& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("cal.json: $.colour: unknown setting"), std::string::npos) << text;
  }
  json.erase("colour");
  try {
    SchoolCalendar::fromJson(json, "cal.json");
    FAIL() << "accepted a bad calendar";
  } catch (const ProblemError& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("$.terms[0].end: is not a valid date"), std::string::npos) << text;
    EXPECT_NE(text.find("'2024-02-30'"), std::string::npos) << text;
  }
}

TEST(SchoolCalendar, TheShippedExampleCalendarLoads) {
  auto cal =
      SchoolCalendar::load(test::sourceDir() + "/schedules/calendars/demo-academy-2024-25.json");
  EXPECT_EQ(cal.schoolDays().size(), 190u);  // the statutory 190 days
  EXPECT_EQ(cal.kindOf(d("2025-05-05")), DayKind::BankHoliday);
}
