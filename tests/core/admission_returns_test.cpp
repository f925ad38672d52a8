// The admission register's LA returns (issue 16, items 3, 4 and 6): a new pupil return for each
// admission, due by the end of the fifth day after entry, but not for the most junior class
// starting on the first day unless the LA asked; a deletion return for each leaving date, or a
// task for the office when a required field is missing; a leaving date moved or withdrawn
// revises or withdraws what was sent, through the same lifecycle as every event.

#include "core/rules/admission_returns.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/outbound/la_portal/la_portal_payload.h"
#include "core/rules/event_lifecycle.h"
#include "core/rules/rule_set.h"
#include "schedules/london_time.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

const std::string kUpn = "B801200005001";

struct AdmissionReturns : ::testing::Test {
  SchoolCalendar cal = test::autumnCalendar();
  PupilRegister reg{cal};
  Pupil pupil{kUpn, "1", "Ann", "Smith", d("2014-03-01"), "5", "5B", {}};
  AdmissionReturnSettings settings;

  std::vector<Event> returns(const char* through = "2025-04-04") {
    return admissionReturns(pupil, reg, settings, cal.first(), d(through));
  }
  static nlohmann::json action(const Event& e) { return nlohmann::json::parse(e.action); }
};

RecordedEvent recordOf(const Event& e) {
  return RecordedEvent{e.id,          e.rule, e.type, e.pupil.upn, EventState::Active,
                       e.occurred_on, e.from, e.to,   e.id,        0};
}

}  // namespace

TEST_F(AdmissionReturns, AMidTermJoinerIsReturnedDueByTheEndOfTheFifthDayAfterEntry) {
  pupil.on_roll = {OnRollPeriod{d("2024-11-11"), {}, "", ""}};
  EXPECT_TRUE(returns("2024-11-08").empty());  // not yet admitted
  auto events = returns();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "new_pupil");
  EXPECT_EQ(events[0].occurred_on, d("2024-11-11"));
  EXPECT_EQ(action(events[0])["admission_date"], "2024-11-11");
  EXPECT_EQ(action(events[0])["due_on"], "2024-11-16");
}

TEST_F(AdmissionReturns, TheFiveDaysAreCalendarDaysAndRunThroughAHalfTerm) {
  pupil.on_roll = {OnRollPeriod{d("2024-10-24"), {}, "", ""}};
  auto events = returns();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(action(events[0])["due_on"], "2024-10-29");  // in the half term, not after it
}

TEST_F(AdmissionReturns, TheMostJuniorClassOnTheFirstDayIsReturnedOnlyWhenTheLaAsked) {
  pupil.year_group = "R";
  pupil.on_roll = {OnRollPeriod{d("2024-09-03"), {}, "", ""}};  // 2 Sep is an INSET day
  EXPECT_TRUE(returns().empty());
  settings.youngest_on_first_day = true;
  EXPECT_EQ(returns().size(), 1u);
  // A Reception child starting later in the term is a new pupil like any other.
  settings.youngest_on_first_day = false;
  pupil.on_roll = {OnRollPeriod{d("2024-09-16"), {}, "", ""}};
  EXPECT_EQ(returns().size(), 1u);
  // A Year 5 pupil starting on the first day is not in the most junior class.
  pupil.year_group = "5";
  pupil.on_roll = {OnRollPeriod{d("2024-09-03"), {}, "", ""}};
  EXPECT_EQ(returns().size(), 1u);
}

TEST_F(AdmissionReturns, ALeaverWithoutTheRequiredFieldsIsATaskForTheOfficeNotAHalfReturn) {
  pupil.on_roll = {OnRollPeriod{d("2023-09-04"), d("2024-11-29"), "", ""}};
  auto events = returns();
  ASSERT_EQ(events.size(), 1u);  // admitted before the calendar: no new pupil return now
  EXPECT_EQ(events[0].type, "task");
  EXPECT_EQ(events[0].rule, "admission_register.deletion_details_missing");
  auto details = action(events[0]);
  EXPECT_EQ(details["assignee_role"], "office");
  auto text = details["text"].get<std::string>();
  EXPECT_NE(text.find("ground for deletion"), std::string::npos);
  EXPECT_NE(text.find("destination"), std::string::npos);
  EXPECT_NE(text.find("parents"), std::string::npos);
  EXPECT_EQ(text.find("Ann"), std::string::npos);  // no names in the task's text
}

TEST_F(AdmissionReturns, AFinalYearLeaverInTheSummerIsNotReturnedUnlessTheLaAsked) {
  auto year = SchoolCalendar::fromJson(nlohmann::json::parse(R"({"name": "y", "terms": [
        {"name": "Summer", "start": "2025-04-22", "end": "2025-07-22"}]})"),
                                       "test");
  PupilRegister summer(year);
  pupil.year_group = "6";
  pupil.on_roll = {OnRollPeriod{d("2018-09-04"), d("2025-07-22"), "Completed", "Hill 123456"}};
  settings.final_year = "6";
  auto none = admissionReturns(pupil, summer, settings, year.first(), year.last());
  EXPECT_TRUE(none.empty());
  settings.final_year_leavers = true;
  EXPECT_EQ(admissionReturns(pupil, summer, settings, year.first(), year.last()).size(), 1u);
  // A Year 6 pupil leaving in May did not complete the year: returned.
  settings.final_year_leavers = false;
  pupil.on_roll[0].left = d("2025-05-09");
  EXPECT_EQ(admissionReturns(pupil, summer, settings, year.first(), year.last()).size(), 1u);
}

TEST_F(AdmissionReturns, AMovedLeavingDateRevisesTheReturnAndAWithdrawnOneWithdrawsIt) {
  std::vector<SinkRoute> routes = {{"office", {"task", "new_pupil", "deletion"}}};
  pupil.on_roll = {OnRollPeriod{d("2024-09-03"), d("2024-11-29"), "", ""}};
  auto first = returns();
  // Admitted on the first day (Year 5): a new pupil return and the deletion task.
  ASSERT_EQ(first.size(), 2u);
  const Event& leaving = first[1];
  std::vector<RecordedEvent> recorded = {recordOf(first[0]), recordOf(leaving)};

  pupil.on_roll[0].left = d("2024-12-06");  // the MIS moved the leaving date a week on
  auto moved = returns();
  auto plan = planEvaluation({kUpn}, moved, recorded, routes);
  EXPECT_EQ(plan.outcome.revised_events, 1);
  EXPECT_EQ(plan.outcome.new_events, 0);
  EXPECT_EQ(plan.outcome.withdrawn_events, 0);
  ASSERT_EQ(plan.queue.size(), 1u);
  EXPECT_EQ(plan.queue[0].kind, OutboxKind::Revise);

  pupil.on_roll[0].left.reset();  // the leaving date was entered in error
  auto withdrawn = returns();
  auto undo = planEvaluation({kUpn}, withdrawn, recorded, routes);
  EXPECT_EQ(undo.outcome.withdrawn_events, 1);
  ASSERT_EQ(undo.queue.size(), 1u);
  EXPECT_EQ(undo.queue[0].kind, OutboxKind::Withdraw);
  EXPECT_EQ(undo.queue[0].event_id, leaving.id);
}

TEST_F(AdmissionReturns, ThePoliciesEvaluationCarriesTheReturnsAndTheSettingsComeFromConfig) {
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto rules = RuleSet::fromJson(
      nlohmann::json{{"policies", {"statutory"}},
                     {"admission_register", {{"new_pupil", false}, {"final_year", "6"}}}},
      "$.rules", ".", context);
  ASSERT_TRUE(problems.empty()) << problems.front().str();
  EXPECT_FALSE(rules.admissionReturns().new_pupil);
  pupil.on_roll = {OnRollPeriod{d("2024-11-11"), {}, "", ""}};
  EXPECT_TRUE(rules.evaluate(pupil, reg, d("2024-12-19")).events.empty());
  auto all =
      RuleSet::fromJson(nlohmann::json{{"policies", {"statutory"}}}, "$.rules", ".", context);
  auto found = all.evaluate(pupil, reg, d("2024-12-19")).events;
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].type, "new_pupil");

  RuleSet::fromJson(nlohmann::json{{"admission_register", {{"youngest_years", {7}}}}}, "$.rules",
                    ".", context);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.rules.admission_register.youngest_years[0]");
}

TEST(AdmissionReturnPayload, ANewPupilReturnCarriesTheAdmissionAndIsFlaggedWhenLate) {
  auto cal = test::autumnCalendar();
  PupilRegister reg(cal);
  Pupil pupil{kUpn, "1", "Ann", "Smith", d("2014-03-01"), "5", "5B", {}};
  pupil.flags.cp = true;
  pupil.on_roll = {OnRollPeriod{d("2024-11-11"), {}, "", ""}};
  auto events = admissionReturns(pupil, reg, {}, cal.first(), cal.last());
  ASSERT_EQ(events.size(), 1u);
  OutboxItem item;
  item.kind = OutboxKind::Notify;
  item.payload = events[0].toJson();
  item.created_at = london::toUtc(d("2024-11-16"), 23 * 60) * 1000;  // the last evening: on time
  School school{"140000", "801", "4000", "Demo Academy"};
  auto body = nlohmann::json::parse(
      laPortalNotificationBody(item, SinkEvent::of(events[0]), "", school, {}));
  EXPECT_EQ(body["type"], "new_pupil");
  EXPECT_EQ(body["admission_date"], "2024-11-11");
  EXPECT_EQ(body["late"], false);
  EXPECT_EQ(body["pupil"]["surname"], "Smith");
  EXPECT_FALSE(body["pupil"].contains("cp"));  // not part of the admission register
  EXPECT_FALSE(body.contains("sessions_by_code"));
  item.created_at = london::toUtc(d("2024-11-17"), 9 * 60) * 1000;
  body = nlohmann::json::parse(
      laPortalNotificationBody(item, SinkEvent::of(events[0]), "", school, {}));
  EXPECT_EQ(body["late"], true);
}
