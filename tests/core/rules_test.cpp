#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rules/rule_set.h"
#include "core/store/store.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

const std::string kUpn = "B801200005001";

Pupil pupil(const char* year = "8") {
  Pupil p;
  p.upn = kUpn;
  p.year_group = year;
  return p;
}

struct RuleFixture : ::testing::Test {
  SchoolCalendar cal = test::autumnCalendar();
  std::vector<Mark> marks;

  // Every school day of the autumn term present, then `apply` overrides.
  void allPresent() {
    test::addDays(marks, kUpn, cal.schoolDays(d("2024-09-01"), d("2024-12-31")), "/", "\\");
  }
  void set(const std::vector<Date>& days, const char* am, const char* pm) {
    for (Date day : days)
      for (auto& m : marks)
        if (m.date == day) m.code = *Code::fromString(m.session == Session::AM ? am : pm);
  }
  std::vector<Date> schoolDays(const char* from, int count) {
    std::vector<Date> days;
    for (Date day : cal.schoolDays(d(from), cal.last()))
      if (static_cast<int>(days.size()) < count) days.push_back(day);
    return days;
  }
  // The events of one rule of the built-in statutory policy.
  std::vector<Event> run(const std::string& rule, const Pupil& p = pupil()) {
    PupilRegister reg(cal, marks);
    std::vector<Event> events;
    for (auto& e : RuleSet::statutory().evaluate(p, reg))
      if (e.rule == "statutory." + rule) events.push_back(std::move(e));
    return events;
  }
};

const std::string tenDays = "unauthorised_10_day";
const std::string sickness = "sickness_15_day";

}  // namespace

TEST_F(RuleFixture, TenSchoolDaysOfUnauthorisedAbsenceFireOnceOnTheTenthDay) {
  allPresent();
  set(schoolDays("2024-09-16", 12), "N", "O");
  auto events = run(tenDays);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "unauthorised_10_day");
  EXPECT_EQ(events[0].from, d("2024-09-16"));
  EXPECT_EQ(events[0].occurred_on, d("2024-09-27"));
  EXPECT_EQ(events[0].sessions_by_code.at("N"), 10);
  EXPECT_EQ(events[0].sessions_by_code.at("O"), 10);
  EXPECT_EQ(events[0].id, Event::makeId("statutory.unauthorised_10_day", kUpn, "2024-09-16"));
}

TEST_F(RuleFixture, NineDaysAreNotEnough) {
  allPresent();
  set(schoolDays("2024-09-16", 9), "G", "G");
  EXPECT_TRUE(run(tenDays).empty());
}

TEST_F(RuleFixture, ARunSpanningHalfTermCountsOnlySchoolDays) {
  allPresent();
  // Fri 18 Oct .. Fri 25 Oct (6 days), half term, Mon 4 Nov .. Thu 7 Nov (4 days).
  set(schoolDays("2024-10-18", 10), "G", "G");
  auto events = run(tenDays);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].from, d("2024-10-18"));
  EXPECT_EQ(events[0].occurred_on, d("2024-11-07"));
}

TEST_F(RuleFixture, OnePresentSessionBreaksTheRun) {
  allPresent();
  auto days = schoolDays("2024-09-16", 12);
  set(days, "N", "N");
  set({days[5]}, "L", "N");  // late but present on the morning of day 6
  EXPECT_TRUE(run(tenDays).empty());
}

TEST_F(RuleFixture, AnAuthorisedAfternoonBreaksTheRun) {
  allPresent();
  auto days = schoolDays("2024-09-16", 12);
  set(days, "N", "N");
  set({days[4]}, "N", "M");  // AM unauthorised, PM medical appointment
  EXPECT_TRUE(run(tenDays).empty());
}

TEST_F(RuleFixture, ClosureAndNotTakenSessionsNeitherBreakNorExtend) {
  allPresent();
  auto days = schoolDays("2024-09-16", 12);
  set(days, "N", "N");
  set({days[3]}, "#", "#");   // an emergency closure inside the run
  set({days[6]}, "Y1", "N");  // transport failed in the morning, absent in the afternoon
  auto events = run(tenDays);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].occurred_on, days[10]);  // 11 calendar school days for 10 counted days
  // Remove the afternoon register of one day: not taken is neutral too, not absence.
  std::erase_if(marks,
                [&](const Mark& m) { return m.date == days[8] && m.session == Session::PM; });
  EXPECT_EQ(run(tenDays)[0].occurred_on, days[11]);
}

TEST_F(RuleFixture, ANewRunAfterThePupilAttendsFiresAgain) {
  allPresent();
  set(schoolDays("2024-09-16", 10), "N", "N");
  set(schoolDays("2024-11-11", 10), "O", "O");
  auto events = run(tenDays);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].id, events[1].id);
}

TEST_F(RuleFixture, PupilsBelowCompulsorySchoolAgeAreNotNotified) {
  allPresent();
  set(schoolDays("2024-09-16", 12), "N", "N");
  EXPECT_TRUE(run(tenDays, pupil("R")).empty());
}

TEST_F(RuleFixture, SicknessFiresOnTheThirtiethIllnessSessionOfTheAcademicYear) {
  allPresent();
  auto spell1 = schoolDays("2024-09-23", 8);  // 16 sessions
  auto spell2 = schoolDays("2024-11-18", 7);  // 14 more: 30
  set(spell1, "I", "I");
  set(spell2, "I", "I");
  auto events = run(sickness);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "sickness_15_day");
  EXPECT_EQ(events[0].occurred_on, spell2.back());
  EXPECT_EQ(events[0].from, spell1.front());
  EXPECT_EQ(events[0].sessions_by_code.at("I"), 30);
  set({spell2.back()}, "I", "M");  // 29 sessions
  EXPECT_TRUE(run(sickness).empty());
}

TEST_F(RuleFixture, EvaluationIsPureAndDeterministic) {
  allPresent();
  set(schoolDays("2024-09-16", 10), "N", "N");
  auto first = run(tenDays);
  auto second = run(tenDays);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].toJson(), second[0].toJson());
}

TEST_F(RuleFixture, AnAmendmentFromNToIAfterTheNotificationWithdrawsItOnce) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day", "sickness_15_day", "update"}}};
  allPresent();
  auto days = schoolDays("2024-09-16", 10);
  set(days, "N", "N");
  auto events = run(tenDays);
  auto first = store->commitEvaluation({kUpn}, events, routes, 1000);
  EXPECT_EQ(first.new_events, 1);
  EXPECT_EQ(first.outbox_items, 1);
  // The same register again: nothing new.
  auto again = store->commitEvaluation({kUpn}, run(tenDays), routes, 2000);
  EXPECT_EQ(again.new_events + again.withdrawn_events + again.outbox_items, 0);
  // Day 3 turns out to be illness: the run is broken, the notification's grounds are gone.
  set({days[2]}, "I", "I");
  auto amended = store->commitEvaluation({kUpn}, run(tenDays), routes, 3000);
  EXPECT_EQ(amended.withdrawn_events, 1);
  EXPECT_EQ(amended.outbox_items, 1);
  auto items = store->outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].kind, OutboxKind::Withdraw);
  EXPECT_EQ(items[1].event_id, items[0].event_id);
  // Evaluating again after the withdrawal stays quiet.
  EXPECT_EQ(store->commitEvaluation({kUpn}, run(tenDays), routes, 4000).outbox_items, 0);
}

TEST_F(RuleFixture, AnAmendmentThatMovesTheRunStartRevisesTheRecordInsteadOfDoublingIt) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day", "update"}}};
  allPresent();
  auto days = schoolDays("2024-09-16", 12);
  set(days, "N", "N");
  store->commitEvaluation({kUpn}, run(tenDays), routes, 1000);
  set({days[0]}, "M", "N");  // a medical appointment on the first morning
  auto revised = store->commitEvaluation({kUpn}, run(tenDays), routes, 2000);
  EXPECT_EQ(revised.revised_events, 1);
  EXPECT_EQ(revised.new_events + revised.withdrawn_events, 0);
  auto items = store->outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].kind, OutboxKind::Revise);
  EXPECT_EQ(store->status().active_events, 1);
}

TEST_F(RuleFixture, EventsBeforeNotifyFromAreRecordedButNeverSentOrCorrected) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day"}}};
  allPresent();
  auto early = schoolDays("2024-09-16", 10);  // reached 27 Sep: before go-live
  auto late = schoolDays("2024-11-11", 10);   // reached 22 Nov: after go-live
  set(early, "N", "N");
  set(late, "N", "N");
  auto goLive = d("2024-11-01");
  auto outcome = store->commitEvaluation({kUpn}, run(tenDays), routes, 1, goLive);
  EXPECT_EQ(outcome.historical_events, 1);
  EXPECT_EQ(outcome.new_events, 1);
  ASSERT_EQ(outcome.outbox_items, 1);
  EXPECT_NE(store->outbox(std::nullopt, 10)[0].payload.find("2024-11-11"), std::string::npos);
  // Amending the historical run away sends no correction for a record the LA never had.
  set({early[2]}, "I", "I");
  auto amended = store->commitEvaluation({kUpn}, run(tenDays), routes, 2, goLive);
  EXPECT_EQ(amended.outbox_items, 0);
}

TEST_F(RuleFixture, AResumedEvaluationLeavesEarlierEventsAloneAndKeepsItsCheckpoint) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  std::vector<SinkRoute> routes = {{"la", {"unauthorised_10_day", "update"}}};
  allPresent();
  set(schoolDays("2024-09-16", 10), "N", "N");  // reached 27 Sep
  auto events = run(tenDays);
  store->commitEvaluation({PupilEvaluated(kUpn, Date(), "cp1")}, events, routes, 1);
  EXPECT_EQ(store->evaluationCheckpoints().at(kUpn), "cp1");
  // Resumed from October: the September event was not looked for, so it is not withdrawn.
  auto resumed =
      store->commitEvaluation({PupilEvaluated(kUpn, d("2024-10-01"), "cp2")}, {}, routes, 2);
  EXPECT_EQ(resumed.withdrawn_events, 0);
  EXPECT_EQ(store->evaluationCheckpoints().at(kUpn), "cp2");
  // A whole walk that no longer finds it withdraws it; no checkpoint: none kept.
  auto whole = store->commitEvaluation({PupilEvaluated(kUpn, Date(), "")}, {}, routes, 3);
  EXPECT_EQ(whole.withdrawn_events, 1);
  EXPECT_TRUE(store->evaluationCheckpoints().empty());
}

TEST_F(RuleFixture, AConcernWhoseGroundsVanishIsWithdrawnFromTheSinkThatTookIt) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  std::vector<SinkRoute> routes = {{"cpoms", {"concern", "task", "note"}}, {"la", {"update"}}};
  auto cp = pupil();
  cp.flags.cp = true;
  allPresent();
  set({d("2024-10-08")}, "N", "N");
  auto concerns = run("first_day_vulnerable", cp);
  ASSERT_EQ(concerns.size(), 1u);
  EXPECT_EQ(store->commitEvaluation({kUpn}, concerns, routes, 1).outbox_items, 1);
  auto sent = store->outbox(std::nullopt, 10);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].sink, "cpoms");
  auto payload = nlohmann::json::parse(sent[0].payload);
  EXPECT_EQ(payload["action"]["alert"], nlohmann::json::array({"DSL"}));
  set({d("2024-10-08")}, "I", "I");  // the parent rang: illness, not unexplained
  auto amended = store->commitEvaluation({kUpn}, run("first_day_vulnerable", cp), routes, 2);
  EXPECT_EQ(amended.withdrawn_events, 1);
  auto items = store->outbox(std::nullopt, 10);
  ASSERT_EQ(items.size(), 2u);  // the correction goes to the record the concern made, not the LA
  EXPECT_EQ(items[1].sink, "cpoms");
  EXPECT_EQ(items[1].kind, OutboxKind::Withdraw);
  EXPECT_EQ(items[1].event_id, sent[0].event_id);
}

TEST(RuleSetConfig, DefaultsToTheStatutoryPolicyAndNamesBadPolicies) {
  test::TempDir dir;
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto set = RuleSet::fromJson(nlohmann::json::object(), "$.rules", dir.path(), context);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(set.policies().size(), 1u);
  EXPECT_EQ(set.policies()[0].name(), "statutory");
  EXPECT_GE(set.size(), 8u);
  dir.write("school.json", R"({"name": "school", "rules": [{"id": "x", "when": {"pupil": "vip"},
                                "action": {"note": {}}}]})");
  RuleSet::fromJson(
      nlohmann::json::parse(R"({"policies": ["statutory", "school.json", "missing.json", 3]})"),
      "$.rules", dir.path(), context);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0].location, "$.rules[0].when.pupil");
  EXPECT_NE(problems[0].message.find("policy named at $.rules.policies[1]"), std::string::npos);
  EXPECT_NE(problems[1].message.find("cannot open"), std::string::npos);
  EXPECT_EQ(problems[2].location, "$.rules.policies[3]");
}
