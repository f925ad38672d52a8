#include "core/domain/date.h"

#include <gtest/gtest.h>

using namespace markbridge;

TEST(Date, ReadsUkDatesDayFirstNeverUs) {
  auto date = Date::parseUk("03/04/2025");
  ASSERT_TRUE(date);
  EXPECT_EQ(date->iso(), "2025-04-03");
  EXPECT_EQ(date->month(), 4u);
  EXPECT_EQ(Date::parse("3/4/2025")->iso(), "2025-04-03");
}

TEST(Date, ReadsIsoDates) {
  EXPECT_EQ(Date::parse("2024-09-02")->iso(), "2024-09-02");
  EXPECT_EQ(Date::parse(" 2024-09-02 ")->iso(), "2024-09-02");
}

TEST(Date, RejectsImpossibleAndMalformedDates) {
  EXPECT_FALSE(Date::parse("31/02/2024"));
  EXPECT_FALSE(Date::parse("29/02/2023"));
  EXPECT_TRUE(Date::parse("29/02/2024"));  // leap day
  EXPECT_FALSE(Date::parse("13/13/2024"));
  EXPECT_FALSE(Date::parse("2024/09/02"));
  EXPECT_FALSE(Date::parse("02-09-2024"));
  EXPECT_FALSE(Date::parse(""));
  EXPECT_FALSE(Date::parse("1/2/24"));
}

TEST(Date, KnowsWeekdaysAndAcademicYears) {
  auto monday = *Date::parseIso("2024-09-02");
  EXPECT_EQ(monday.weekday(), 1u);
  EXPECT_EQ((monday + 5).weekday(), 6u);
  EXPECT_TRUE((monday + 6).isWeekend());
  EXPECT_EQ((monday + 3).monday(), monday);
  EXPECT_EQ(monday.academicYear(), 2024);
  EXPECT_EQ(Date::parseIso("2025-08-31")->academicYear(), 2024);
  EXPECT_EQ(Date::parseIso("2025-09-01")->academicYear(), 2025);
}

TEST(Session, AcceptsTheSpellingsMisExportsUse) {
  for (const char* am : {"AM", "am", "a.m.", "Morning", " AM "})
    EXPECT_EQ(parseSession(am), Session::AM) << am;
  for (const char* pm : {"PM", "pm", "p.m.", "Afternoon", "afternoon"})
    EXPECT_EQ(parseSession(pm), Session::PM) << pm;
  EXPECT_FALSE(parseSession("noon"));
  EXPECT_FALSE(parseSession(""));
}
