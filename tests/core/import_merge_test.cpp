// The import's decisions, without a database: what every store backend binds
// (core/store/import_merge.h).
#include "core/store/import_merge.h"

#include <gtest/gtest.h>

namespace markbridge {
namespace {

Date day(const char* iso) {
  return *Date::parseIso(iso);
}

Pupil stored() {
  Pupil p;
  p.upn = "A123456789012";
  p.mis_id = "1001";
  p.forename = "Zoë";
  p.surname = "O'Brien";
  p.dob = day("2012-05-01");
  p.year_group = "7";
  p.reg_group = "7R";
  p.flags.sen = true;
  return p;
}

TEST(ImportMerge, AFileThatLeavesADetailOutKeepsWhatTheStoreKnew) {
  Pupil incoming;
  incoming.upn = "A123456789012";
  incoming.reg_group = "7S";
  auto merge = mergePupil(stored(), incoming, /*sourceStatesFlags=*/false);
  EXPECT_TRUE(merge.changed);
  EXPECT_EQ(merge.merged.reg_group, "7S");
  EXPECT_EQ(merge.merged.forename, "Zoë");
  EXPECT_EQ(merge.merged.dob, day("2012-05-01"));
  EXPECT_TRUE(merge.merged.flags.sen) << "a source that does not state flags keeps them";
  EXPECT_TRUE(merge.repaired.empty());
}

TEST(ImportMerge, FlagsAreReplacedOnlyBySourceThatStatesThem) {
  Pupil incoming = stored();
  incoming.flags = PupilFlags{};
  EXPECT_FALSE(mergePupil(stored(), incoming, false).changed);
  auto merge = mergePupil(stored(), incoming, true);
  EXPECT_TRUE(merge.changed);
  EXPECT_FALSE(merge.merged.flags.sen);
}

TEST(ImportMerge, AnIdenticalPupilIsUnchangedAndANewOneIsChanged) {
  EXPECT_FALSE(mergePupil(stored(), stored(), true).changed);
  EXPECT_TRUE(mergePupil(std::nullopt, stored(), true).changed);
}

TEST(ImportMerge, TextThatIsNotUtf8IsRepairedAndNamed) {
  Pupil incoming = stored();
  incoming.surname =
      "O\xff"
      "Brien";
  auto merge = mergePupil(std::nullopt, incoming, true);
  EXPECT_EQ(merge.repaired, "surname");
  EXPECT_EQ(merge.merged.surname,
            "O\xEF\xBF\xBD"
            "Brien");
}

OnRollRecord record(std::optional<Date> admitted, std::optional<Date> left,
                    bool statesLeaving = true) {
  OnRollRecord r;
  r.upn = "A123456789012";
  r.period.admitted = admitted;
  r.period.left = left;
  r.states_leaving = statesLeaving;
  return r;
}

TEST(ImportMerge, ANewAdmissionIsAddedAndTheSameOneAgainChangesNothing) {
  auto added = planOnRoll({}, record(day("2024-09-02"), std::nullopt));
  ASSERT_TRUE(added);
  EXPECT_FALSE(added->was);
  std::vector<OnRollPeriod> held{added->now};
  EXPECT_FALSE(planOnRoll(held, record(day("2024-09-02"), std::nullopt)));
}

TEST(ImportMerge, ALeavingDateIsWithdrawnOnlyByASourceThatStatesLeavingDates) {
  OnRollPeriod left{day("2024-09-02"), day("2024-11-19"), "moved away", "100001"};
  auto silent = planOnRoll({left}, record(day("2024-09-02"), std::nullopt, false));
  EXPECT_FALSE(silent) << "a source without a leaving column keeps the stored leaving date";
  auto withdrawn = planOnRoll({left}, record(day("2024-09-02"), std::nullopt, true));
  ASSERT_TRUE(withdrawn);
  EXPECT_FALSE(withdrawn->now.left);
  EXPECT_TRUE(withdrawn->now.leaving_reason.empty()) << "no leaving date: nothing about leaving";
  EXPECT_TRUE(withdrawn->now.destination.empty());
  EXPECT_EQ(withdrawn->was, left);
}

TEST(ImportMerge, ACensusLeaverClosesTheLatestPeriodAdmittedBeforeIt) {
  std::vector<OnRollPeriod> held{{day("2023-09-04"), day("2024-07-19"), "", ""},
                                 {day("2024-09-02"), std::nullopt, "", ""},
                                 {day("2025-01-06"), std::nullopt, "", ""}};
  auto change = planOnRoll(held, record(std::nullopt, day("2024-12-20")));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->now.admitted, day("2024-09-02"));
  EXPECT_EQ(change->now.left, day("2024-12-20"));
  EXPECT_FALSE(planOnRoll(held, record(std::nullopt, std::nullopt))) << "says nothing";
}

TEST(ImportMerge, AMovedLeavingDateKeepsTheReasonItDoesNotRestate) {
  OnRollPeriod left{day("2024-09-02"), day("2024-11-19"), "moved away", "100001"};
  auto change = planOnRoll({left}, record(day("2024-09-02"), day("2024-11-22")));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->now.left, day("2024-11-22"));
  EXPECT_EQ(change->now.leaving_reason, "moved away");
  EXPECT_EQ(change->now.destination, "100001");
}

}  // namespace
}  // namespace markbridge
