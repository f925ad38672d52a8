// Children missing education (issue 16, item 5): a pupil who vanishes from the roll's listings
// without a leaving date, and a leaver with an open unauthorised run or no known destination,
// raise a DSL concern and a `missing_education` LA notification at once; 20 school days of G, N
// or O raise the task for the joint school-LA enquiry (reg. 9(1)(i)). Corrections follow the
// lifecycle: a vanished pupil named again, or a leaver whose destination is recorded, withdraws
// what was raised; exactly once.

#include "core/rules/missing_education.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/outbound/la_portal/la_portal_payload.h"
#include "core/rules/event_lifecycle.h"
#include "core/rules/rule_set.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

const std::string kUpn = "B801200005001";

struct MissingEducation : ::testing::Test {
  SchoolCalendar cal = test::autumnCalendar();
  PupilRegister reg{cal};
  Pupil pupil{kUpn, "1", "Ann", "Smith", d("2014-03-01"), "5", "5B", {}};
  MissingEducationSettings settings;

  std::vector<Event> found(const char* through = "2025-04-04") {
    return missingEducation(pupil, reg, settings, cal.first(), d(through));
  }
  void days(const std::vector<const char*>& isoDays, const char* am, const char* pm) {
    for (const char* iso : isoDays) {
      reg.set(d(iso), Session::AM, *Code::fromString(am));
      reg.set(d(iso), Session::PM, *Code::fromString(pm));
    }
  }
  static nlohmann::json action(const Event& e) { return nlohmann::json::parse(e.action); }
};

RecordedEvent recordOf(const Event& e) {
  return RecordedEvent{e.id,          e.rule, e.type, e.pupil.upn, EventState::Active,
                       e.occurred_on, e.from, e.to,   e.id,        0};
}

std::vector<RecordedEvent> recordsOf(const std::vector<Event>& events) {
  std::vector<RecordedEvent> all;
  for (const auto& e : events) all.push_back(recordOf(e));
  return all;
}

}  // namespace

TEST_F(MissingEducation, APupilMissedByThreeListingsIsAConcernForTheDslAndAnLaNotificationAtOnce) {
  pupil.on_roll = {OnRollPeriod{d("2023-09-04"), {}, "", ""}};
  pupil.missed_roll_listings = {d("2024-11-11"), d("2024-11-12")};
  EXPECT_TRUE(found().empty());  // two syncs: not yet
  pupil.missed_roll_listings.push_back(d("2024-11-13"));
  auto events = found();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "concern");
  EXPECT_EQ(events[0].rule, "missing_education.vanished_dsl");
  EXPECT_EQ(action(events[0])["alert"], nlohmann::json({"DSL"}));
  EXPECT_EQ(action(events[0])["categories"], nlohmann::json({"Safeguarding - missing education"}));
  EXPECT_EQ(events[1].type, "missing_education");
  EXPECT_EQ(events[1].occurred_on, d("2024-11-13"));  // the third sync's day
  EXPECT_EQ(events[1].from, d("2024-11-11"));
  EXPECT_EQ(action(events[1])["reason"], "vanished");
  EXPECT_EQ(events[1].summary.find("Ann"), std::string::npos);  // no names in the summary
  // The setting decides N.
  settings.vanished_after_syncs = 2;
  EXPECT_EQ(found()[1].occurred_on, d("2024-11-12"));
  // A pupil whose leaving date closes the roll left; they did not vanish.
  settings.leavers = false;
  pupil.on_roll[0].left = d("2024-11-08");
  EXPECT_TRUE(found().empty());
}

TEST_F(MissingEducation, AVanishedPupilNamedAgainWithdrawsBothAndAnotherVanishingIsANewEpisode) {
  std::vector<SinkRoute> routes = {{"la", {"missing_education"}}, {"cpoms", {"concern"}}};
  pupil.missed_roll_listings = {d("2024-11-11"), d("2024-11-12"), d("2024-11-13")};
  auto vanished = found();
  ASSERT_EQ(vanished.size(), 2u);
  auto recorded = recordsOf(vanished);
  // A fourth sync misses them too: the same episode, nothing new.
  pupil.missed_roll_listings.push_back(d("2024-11-14"));
  auto still = found();
  auto same = planEvaluation({kUpn}, still, recorded, routes);
  EXPECT_EQ(same.outcome.new_events + same.outcome.withdrawn_events, 0);
  EXPECT_TRUE(same.queue.empty());
  // Named again: withdrawn at the LA and in CPOMS, once each.
  pupil.missed_roll_listings.clear();
  auto back = found();
  auto undo = planEvaluation({kUpn}, back, recorded, routes);
  EXPECT_EQ(undo.outcome.withdrawn_events, 2);
  ASSERT_EQ(undo.queue.size(), 2u);
  for (const auto& item : undo.queue) EXPECT_EQ(item.kind, OutboxKind::Withdraw);
  // Vanishing again later is a new case.
  pupil.missed_roll_listings = {d("2025-01-13"), d("2025-01-14"), d("2025-01-15")};
  auto again = found();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_NE(again[1].id, vanished[1].id);
}

TEST_F(MissingEducation, ALeaverWithAnOpenUnauthorisedRunIsRaisedEvenWithADestination) {
  pupil.on_roll = {OnRollPeriod{d("2023-09-04"), d("2024-11-15"), "Transferred", "123456"}};
  days({"2024-11-11"}, "/", "\\");
  days({"2024-11-12", "2024-11-13", "2024-11-14"}, "O", "O");  // 15 Nov: register not taken
  auto events = found();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, "missing_education");
  EXPECT_EQ(events[1].occurred_on, d("2024-11-15"));
  EXPECT_EQ(events[1].from, d("2024-11-12"));  // the run's first day
  auto details = action(events[1]);
  EXPECT_EQ(details["reason"], "leaver");
  EXPECT_EQ(details["unauthorised_run_days"], 3);
  EXPECT_EQ(details["destination"], "123456");
  EXPECT_NE(events[1].summary.find("3 school day(s) of unauthorised absence"), std::string::npos);
  // The 14th corrected to illness: the run is closed; a known destination: nothing owed.
  std::vector<SinkRoute> routes = {{"la", {"missing_education"}}};
  auto recorded = recordsOf(events);
  days({"2024-11-14"}, "I", "I");
  auto corrected = found();
  EXPECT_TRUE(corrected.empty());
  auto undo = planEvaluation({kUpn}, corrected, recorded, routes);
  EXPECT_EQ(undo.outcome.withdrawn_events, 2);
}

TEST_F(MissingEducation, ALeaverWithNoKnownDestinationIsRaisedAndOneWithADestinationIsNot) {
  pupil.on_roll = {OnRollPeriod{d("2023-09-04"), d("2024-11-15"), "Moved away", ""}};
  days({"2024-11-14", "2024-11-15"}, "/", "/");
  ASSERT_EQ(found().size(), 2u);
  EXPECT_NE(found()[1].summary.find("no known destination"), std::string::npos);
  pupil.on_roll[0].destination = "Unknown";
  EXPECT_EQ(found().size(), 2u);
  pupil.on_roll[0].destination = "Elective home education, 1 High St";
  EXPECT_TRUE(found().empty());
  // Not before the leaving date comes.
  pupil.on_roll[0].destination = "";
  EXPECT_TRUE(found("2024-11-14").empty());
  settings.leavers = false;
  EXPECT_TRUE(found().empty());
}

TEST(MissingEducationRun, TheOpenRunSkipsRegistersNotTakenAndStopsAtAttendanceOrAdmission) {
  auto cal = test::autumnCalendar();
  PupilRegister reg(cal);
  auto set = [&](const char* day, const char* am, const char* pm) {
    reg.set(d(day), Session::AM, *Code::fromString(am));
    reg.set(d(day), Session::PM, *Code::fromString(pm));
  };
  set("2024-11-08", "/", "/");
  set("2024-11-11", "G", "N");
  set("2024-11-13", "U", "U");  // the 12th not taken
  Date from;
  EXPECT_EQ(openUnauthorisedRun(reg, {}, d("2024-11-14"), &from), 2);
  EXPECT_EQ(from, d("2024-11-11"));
  set("2024-11-13", "U", "/");  // attended in the afternoon: no open run
  EXPECT_EQ(openUnauthorisedRun(reg, {}, d("2024-11-14")), 0);
  // Admitted on the 11th: the run counts only days on roll.
  set("2024-11-13", "U", "U");
  std::vector<OnRollPeriod> roll = {OnRollPeriod{d("2024-11-13"), {}, "", ""}};
  EXPECT_EQ(openUnauthorisedRun(reg, roll, d("2024-11-14")), 1);
}

TEST(MissingEducationEnquiry, TwentySchoolDaysOfGNOrORaiseTheJointEnquiryTaskAndAUBreaksTheRun) {
  auto cal = test::autumnCalendar();
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto rules =
      RuleSet::fromJson(nlohmann::json{{"policies", {"statutory"}}}, "$.rules", ".", context);
  ASSERT_TRUE(problems.empty());
  Pupil pupil{kUpn, "1", "Ann", "Smith", d("2014-03-01"), "5", "5B", {}};
  auto enquiries = [&](const PupilRegister& reg) {
    std::vector<Event> tasks;
    for (auto& e : rules.evaluate(pupil, reg, d("2024-12-19")).events)
      if (e.rule == "statutory.missing_education_enquiry") tasks.push_back(e);
    return tasks;
  };
  // From 4 November: 20 school days is 4 Nov to 29 Nov.
  std::vector<Date> schoolDays;
  for (Date day = d("2024-11-04"); schoolDays.size() < 25; day = day + 1)
    if (cal.isSchoolDay(day)) schoolDays.push_back(day);
  PupilRegister reg(cal);
  const char* codes[] = {"G", "N", "O"};
  for (std::size_t i = 0; i < 19; ++i) {
    reg.set(schoolDays[i], Session::AM, *Code::fromString(codes[i % 3]));
    reg.set(schoolDays[i], Session::PM, *Code::fromString(codes[(i + 1) % 3]));
  }
  EXPECT_TRUE(enquiries(reg).empty());  // 19 days
  reg.set(schoolDays[19], Session::AM, *Code::fromString("O"));
  reg.set(schoolDays[19], Session::PM, *Code::fromString("O"));
  auto tasks = enquiries(reg);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].type, "task");
  EXPECT_EQ(tasks[0].occurred_on, schoolDays[19]);
  EXPECT_EQ(tasks[0].from, d("2024-11-04"));
  auto action = nlohmann::json::parse(tasks[0].action);
  EXPECT_EQ(action["assignee_role"], "attendance_officer");
  EXPECT_NE(action["text"].get<std::string>().find("reg. 9(1)(i)"), std::string::npos);
  // U is unauthorised but not a ground I code: a U day in the middle breaks the run.
  reg.set(schoolDays[10], Session::AM, *Code::fromString("U"));
  reg.set(schoolDays[10], Session::PM, *Code::fromString("U"));
  EXPECT_TRUE(enquiries(reg).empty());
}

TEST(MissingEducationSettingsConfig, SettingsComeFromTheRulesSectionAndABadOneIsNamed) {
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto rules = RuleSet::fromJson(
      nlohmann::json{
          {"missing_education",
           {{"vanished_after_syncs", 5}, {"roll_sources", {"sims"}}, {"leavers", false}}}},
      "$.rules", ".", context);
  ASSERT_TRUE(problems.empty()) << problems.front().str();
  EXPECT_EQ(rules.missingEducation().vanished_after_syncs, 5);
  EXPECT_EQ(rules.missingEducation().roll_sources, std::vector<std::string>{"sims"});
  EXPECT_FALSE(rules.missingEducation().leavers);
  RuleSet::fromJson(nlohmann::json{{"missing_education", {{"vanished_after_syncs", 0}}}}, "$.rules",
                    ".", context);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.rules.missing_education.vanished_after_syncs");
}

TEST(MissingEducationPayload, TheLaPortalGetsTheTypeAndWhyButNoMoreThanItNeeds) {
  auto cal = test::autumnCalendar();
  PupilRegister reg(cal);
  Pupil pupil{kUpn, "1", "Ann", "Smith", d("2014-03-01"), "5", "5B", {}};
  pupil.missed_roll_listings = {d("2024-11-11"), d("2024-11-12"), d("2024-11-13")};
  auto events = missingEducation(pupil, reg, {}, cal.first(), cal.last());
  ASSERT_EQ(events.size(), 2u);
  OutboxItem item;
  item.kind = OutboxKind::Notify;
  item.payload = events[1].toJson();
  School school{"140000", "801", "4000", "Demo Academy"};
  auto body = nlohmann::json::parse(
      laPortalNotificationBody(item, SinkEvent::fromJson(item.payload), "", school, {}));
  EXPECT_EQ(body["type"], "missing_education");
  EXPECT_EQ(body["pupil"]["upn"], kUpn);
  EXPECT_EQ(body["missing_education"]["reason"], "vanished");
  EXPECT_EQ(body["missing_education"]["syncs_missed"], 3);
  EXPECT_EQ(body["period"]["from"], "2024-11-11");
}
