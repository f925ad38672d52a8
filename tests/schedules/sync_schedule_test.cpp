// When the service syncs: London wall-clock time across both clock changes, school days only
// (weekends, holidays, bank holidays of England never), and a missed week caught up in order.

#include "schedules/sync_schedule.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "schedules/bank_holidays.h"
#include "schedules/london_time.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

int64_t utc(const char* day, int h, int m = 0) {
  return static_cast<int64_t>(d(day).days()) * 86400 + h * 3600 + m * 60;
}

SchoolCalendar calendar2025() {
  return SchoolCalendar::fromJson(nlohmann::json::parse(R"({
      "name": "2024-25",
      "terms": [{"name": "Spring", "start": "2025-01-06", "end": "2025-04-04"},
                {"name": "Summer", "start": "2025-04-22", "end": "2025-07-18"},
                {"name": "Autumn", "start": "2025-09-03", "end": "2025-12-19"}],
      "holidays": [{"name": "half term", "start": "2025-02-17", "end": "2025-02-21"}]})"),
                                  "test");
}

std::vector<std::string> described(const std::vector<SyncSlot>& slots) {
  std::vector<std::string> out;
  for (const auto& s : slots) out.push_back(s.describe());
  return out;
}

}  // namespace

TEST(LondonTime, ClocksGoForwardAndBackAtOneInTheMorningUtc) {
  EXPECT_EQ(london::offsetSeconds(utc("2025-03-30", 0, 59)), 0);
  EXPECT_EQ(london::offsetSeconds(utc("2025-03-30", 1, 0)), 3600);
  EXPECT_EQ(london::offsetSeconds(utc("2025-10-26", 0, 59)), 3600);
  EXPECT_EQ(london::offsetSeconds(utc("2025-10-26", 1, 0)), 0);
  EXPECT_EQ(london::toUtc(d("2025-01-15"), 9 * 60 + 45), utc("2025-01-15", 9, 45));
  EXPECT_EQ(london::toUtc(d("2025-06-15"), 9 * 60 + 45), utc("2025-06-15", 8, 45));
  // 01:30 on the spring morning never happens: an hour later. In autumn it happens twice: the
  // first.
  EXPECT_EQ(london::toUtc(d("2025-03-30"), 90), utc("2025-03-30", 1, 30));
  EXPECT_EQ(london::toUtc(d("2025-10-26"), 90), utc("2025-10-26", 0, 30));
  EXPECT_EQ(london::localDate(utc("2025-06-30", 23, 30)), d("2025-07-01"));
  EXPECT_EQ(london::localMinutes(utc("2025-06-30", 23, 30)), 30);
}

TEST(BankHolidays, EnglandsRulesWithSubstituteDays) {
  auto iso = [](int year) {
    std::vector<std::string> out;
    for (Date day : englandBankHolidays(year)) out.push_back(day.iso());
    return out;
  };
  EXPECT_EQ(iso(2025),
            (std::vector<std::string>{"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05",
                                      "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26"}));
  auto y2022 = iso(2022);  // Christmas on a Sunday: Boxing Day Monday, Christmas Tuesday
  EXPECT_EQ(y2022.back(), "2022-12-27");
  EXPECT_EQ(iso(2021).back(), "2021-12-28");   // Christmas on a Saturday
  EXPECT_EQ(iso(2028).front(), "2028-01-03");  // New Year's Day on a Saturday
  EXPECT_EQ(easterSunday(2024), d("2024-03-31"));
  EXPECT_EQ(easterSunday(2026), d("2026-04-05"));
  // The calendar knows them without being told: 5 May 2025 is no school day.
  auto cal = calendar2025();
  EXPECT_EQ(cal.kindOf(d("2025-05-05")), DayKind::BankHoliday);
  EXPECT_EQ(cal.kindOf(d("2025-05-06")), DayKind::SchoolDay);
}

TEST(SyncSchedule, RegistersCloseAtTheSameWallClockTimeEitherSideOfBothClockChanges) {
  ScheduleConfig config;  // 09:45 and 13:30, 15 minutes' grace, nightly at 02:00
  auto cal = calendar2025();
  auto spring = syncSlots(config, cal, utc("2025-03-28", 3), utc("2025-03-31", 23));
  ASSERT_EQ(spring.size(), 5u);  // Friday: AM, PM, nightly (Sat 02:00); Monday: AM, PM
  EXPECT_EQ(spring[0].at, utc("2025-03-28", 10, 0));  // GMT
  EXPECT_EQ(spring[1].at, utc("2025-03-28", 13, 45));
  EXPECT_EQ(spring[2].at, utc("2025-03-29", 2, 0));
  EXPECT_EQ(spring[3].at, utc("2025-03-31", 9, 0));  // BST
  EXPECT_EQ(spring[4].at, utc("2025-03-31", 12, 45));
  auto autumn = syncSlots(config, cal, utc("2025-10-24", 3), utc("2025-10-27", 23));
  ASSERT_EQ(autumn.size(), 5u);
  EXPECT_EQ(autumn[0].at, utc("2025-10-24", 9, 0));   // BST
  EXPECT_EQ(autumn[3].at, utc("2025-10-27", 10, 0));  // GMT
  EXPECT_EQ(autumn[0].describe(), "2025-10-24 morning register");
}

TEST(SyncSchedule, NoSyncOnWeekendsHolidaysOrBankHolidays) {
  ScheduleConfig config;
  config.nightly = -1;
  auto cal = calendar2025();
  // Easter holiday and Easter Monday, half term, the early May bank holiday.
  EXPECT_TRUE(syncSlots(config, cal, utc("2025-04-05", 0), utc("2025-04-22", 0)).empty());
  EXPECT_TRUE(syncSlots(config, cal, utc("2025-02-15", 0), utc("2025-02-24", 0)).empty());
  auto may = syncSlots(config, cal, utc("2025-05-03", 0), utc("2025-05-07", 0));
  EXPECT_EQ(described(may), (std::vector<std::string>{"2025-05-06 morning register",
                                                      "2025-05-06 afternoon register"}));
}

TEST(SyncSchedule, AMissedWeekIsEveryCloseOnceInOrder) {
  ScheduleConfig config;
  auto cal = calendar2025();
  // Down from Monday 12 May before the morning close to the following Monday at 08:00.
  auto missed = syncSlots(config, cal, utc("2025-05-12", 8), utc("2025-05-19", 8));
  ASSERT_EQ(missed.size(), 15u);  // 5 school days x (morning, afternoon, nightly)
  for (std::size_t i = 1; i < missed.size(); ++i) EXPECT_LT(missed[i - 1].at, missed[i].at);
  EXPECT_EQ(missed.front().describe(), "2025-05-12 morning register");
  EXPECT_EQ(missed.back().describe(), "2025-05-16 nightly reconciliation");
  EXPECT_EQ(missed.back().at, utc("2025-05-17", 1, 0));  // 02:00 BST on Saturday
  // Nothing twice: the next window starts where this one ended.
  auto next = syncSlots(config, cal, utc("2025-05-19", 8), utc("2025-05-19", 23));
  EXPECT_EQ(next.size(), 2u);
}

TEST(SyncSchedule, ScheduleSettingsAreCheckedWithTheirPath) {
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  ScheduleConfig::fromJson(nlohmann::json{{"am_close", "9:45"}, {"pm_close", "25:00"}},
                           "$.schedule", context);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].location, "$.schedule.am_close");
  EXPECT_EQ(problems[1].location, "$.schedule.pm_close");
}
