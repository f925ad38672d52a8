#include "core/domain/pupil.h"

#include <gtest/gtest.h>

using namespace markbridge;

namespace {
Pupil bornOn(const char* iso) {
  Pupil p;
  p.dob = Date::parseIso(iso);
  return p;
}
bool compulsory(const Pupil& p, const char* day) {
  return isOfCompulsorySchoolAge(p, *Date::parseIso(day));
}
}  // namespace

TEST(CompulsorySchoolAge, StartsOnThePrescribedDayAfterTheFifthBirthday) {
  auto pupil = bornOn("2019-10-15");  // fifth birthday 15 Oct 2024 -> compulsory from 31 Dec 2024
  EXPECT_FALSE(compulsory(pupil, "2024-12-30"));
  EXPECT_TRUE(compulsory(pupil, "2024-12-31"));
  auto onPrescribedDay = bornOn("2019-08-31");
  EXPECT_TRUE(compulsory(onPrescribedDay, "2024-08-31"));
}

TEST(CompulsorySchoolAge, EndsOnTheLastFridayOfJuneInTheYearTheyTurnSixteen) {
  auto pupil = bornOn("2009-01-10");  // turns 16 in academic year 2024-25: last Friday 27 Jun 2025
  EXPECT_TRUE(compulsory(pupil, "2025-06-27"));
  EXPECT_FALSE(compulsory(pupil, "2025-06-30"));
}

TEST(CompulsorySchoolAge, WithoutDateOfBirthYearsOneToElevenCount) {
  Pupil p;
  p.year_group = "7";
  EXPECT_TRUE(compulsory(p, "2024-10-01"));
  p.year_group = "R";
  EXPECT_FALSE(compulsory(p, "2024-10-01"));
  p.year_group = "12";
  EXPECT_FALSE(compulsory(p, "2024-10-01"));
  p.year_group = "";  // the export had neither DOB nor year: never miss a duty
  EXPECT_TRUE(compulsory(p, "2024-10-01"));
}
