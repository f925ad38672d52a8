// What the LA is told the school did and why (issue 14 item 5): a pupil climbs a small test
// ladder (a letter, then a meeting) before the statutory 10-day notification, and the
// notification, recorded once in the store, lists those stages with their dates; evaluating
// again neither revises it nor changes what it says. And `cause_if_known`: the period's absences
// by code with their meanings, plus the school's configured note. A real SQLite store.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "connectors/outbound/la_portal/la_portal_payload.h"
#include "core/app/evaluation.h"
#include "core/rules/sink_event.h"
#include "core/store/store.h"
#include "tests/support/morning_sync.h"

using namespace markbridge;
using test::d;

namespace {

// A letter home after 3 school days of unauthorised absence in a row, a meeting after 6.
const char* kLadderPolicy = R"({"name": "ours", "ladders": [{"id": "response", "stages": [
  {"id": "letter_1",
   "when": {"measure": "consecutive_days", "codes": "unauthorised", "at_least": 3},
   "action": {"task": {"assignee_role": "attendance_officer", "due_in_school_days": 1,
                       "text": "Letter 1 home: absent without authorisation since {from}"}},
   "summary": "absent without authorisation 3 school days in a row from {from}"},
  {"id": "meeting",
   "when": {"measure": "consecutive_days", "codes": "unauthorised", "at_least": 6},
   "action": {"concern": {"categories": ["Attendance"], "alert": ["DSL"]}},
   "summary": "absent without authorisation 6 school days in a row from {from}: attendance meeting"}
]}]})";

struct LaActionsTaken : ::testing::Test, test::PolicyRegister {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "register.db").string());
  RuleSet rules;
  const std::vector<SinkRoute> routes{
      {"la", {"unauthorised_10_day", "sickness_15_day", "penalty_threshold"}},
      {"cpoms", {"task", "concern", "note"}}};
  int64_t now = 1'000;

  LaActionsTaken() : test::PolicyRegister(test::autumnCalendar()) {
    dir.write("ours.json", kLadderPolicy);
    usePolicies({"statutory", (dir / "ours.json").string()});
    set(schoolDays("2024-09-16", 10), "O", "O");  // 16 to 27 Sep: the LA is told on the 27th
  }
  void usePolicies(const std::vector<std::string>& files) { rules = test::shippedPolicies(files); }
  // The register as the office has it after `last`'s registers closed.
  void importThrough(Date last) {
    store->importBatch(exportAt(now, [&](const Mark& m) { return m.date <= last; }), now);
  }
  EvaluationOutcome syncAt(Date today, bool resume = true) {
    now += 1'000;
    return evaluateRegisters(*store, cal, rules, routes, today, now, resume).outcome;
  }
  // The pupil's event of `type` as the store holds it, with its outbox items.
  EventHistory recorded(const std::string& type) {
    for (auto& h : store->eventHistory(pupil.upn))
      if (h.event.type == type) return h;
    ADD_FAILURE() << "no " << type << " event recorded";
    return {};
  }
  // The LA portal's body for the notification of `type`, as the sink would send it.
  nlohmann::json laBody(const std::string& type) {
    auto h = recorded(type);
    if (h.deliveries.empty()) return nullptr;
    const auto& item = h.deliveries.front();
    EXPECT_EQ(item.sink, "la");
    EXPECT_EQ(item.kind, OutboxKind::Notify);
    School school{"140000", "801", "4000", "Test School"};
    return nlohmann::json::parse(laPortalNotificationBody(item, SinkEvent::fromJson(item.payload),
                                                          "", school, LaPortalConfig{}));
  }
};

const nlohmann::json kLetter = {
    {"on", "2024-09-18"},
    {"action",
     "task for attendance_officer: Letter 1 home: absent without authorisation since 2024-09-16"},
    {"stage", "response.letter_1"}};
const nlohmann::json kMeeting = {
    {"on", "2024-09-23"},
    {"action",
     "concern: absent without authorisation 6 school days in a row from 2024-09-16: attendance "
     "meeting"},
    {"stage", "response.meeting"}};

}  // namespace

TEST_F(LaActionsTaken, TheNotificationListsTheLadderStagesTheSchoolTookWithTheirDates) {
  importThrough(d("2024-09-20"));  // Friday: the letter went on Wednesday
  auto friday = syncAt(d("2024-09-20"));
  EXPECT_EQ(friday.new_events, 2);  // the letter, and the penalty threshold (10 sessions)
  importThrough(d("2024-09-27"));
  auto next = syncAt(d("2024-09-27"));
  EXPECT_EQ(next.new_events, 2);  // the meeting, and the 10-day notification

  // The letter is read back from the store's history, the meeting from this evaluation.
  auto body = laBody("unauthorised_10_day");
  EXPECT_EQ(body["actions_taken"], nlohmann::json::array({kLetter, kMeeting})) << body.dump(2);
  EXPECT_EQ(body["cause_if_known"],
            "Absent 20 sessions from 2024-09-16 to 2024-09-27: O 20 (unauthorised: absent in "
            "other or unknown circumstances)");
  // The penalty threshold was reached on Friday 20th: only the letter came before it, and an
  // LA notification is never an action the school took.
  EXPECT_EQ(laBody("penalty_threshold")["actions_taken"], nlohmann::json::array({kLetter}));
  for (const char* name : {"Ann", "Smith"}) {  // the pupil's names are in `pupil` alone
    EXPECT_EQ(body["actions_taken"].dump().find(name), std::string::npos);
    EXPECT_EQ(body["cause_if_known"].dump().find(name), std::string::npos);
  }
}

TEST_F(LaActionsTaken, EvaluatingAgainNeitherRevisesTheNotificationNorChangesWhatItSays) {
  importThrough(d("2024-09-20"));
  syncAt(d("2024-09-20"));
  importThrough(d("2024-09-27"));
  syncAt(d("2024-09-27"));
  auto before = recorded("unauthorised_10_day");
  ASSERT_EQ(before.deliveries.size(), 1u);
  // The run goes on into the next week and a new letter is due; then every pupil's whole year
  // is walked again (no checkpoints).
  set(schoolDays("2024-09-30", 3), "O", "O");
  importThrough(d("2024-10-02"));
  auto resumed = syncAt(d("2024-10-02"));
  EXPECT_EQ(resumed.revised_events, 0);
  EXPECT_EQ(resumed.withdrawn_events, 0);
  auto whole = syncAt(d("2024-10-02"), false);
  EXPECT_EQ(whole.new_events, 0);
  EXPECT_EQ(whole.revised_events, 0);
  EXPECT_EQ(whole.withdrawn_events, 0);
  EXPECT_EQ(whole.outbox_items, 0);
  auto after = recorded("unauthorised_10_day");
  EXPECT_EQ(after.event.state, EventState::Active);
  ASSERT_EQ(after.deliveries.size(), 1u);  // one notification: no revision, no second record
  EXPECT_EQ(after.deliveries[0].payload, before.deliveries[0].payload);  // byte for byte
  EXPECT_EQ(after.event.revision, before.event.revision);
}

TEST_F(LaActionsTaken, APupilTheSchoolTookNoActionForGetsAnEmptyList) {
  usePolicies({"statutory"});  // no ladder: the statutory rules raise nothing else for O
  importThrough(d("2024-09-27"));
  syncAt(d("2024-09-27"));
  auto body = laBody("unauthorised_10_day");
  ASSERT_TRUE(body.contains("actions_taken"));
  EXPECT_EQ(body["actions_taken"], nlohmann::json::array());
  auto stored = nlohmann::json::parse(recorded("unauthorised_10_day").deliveries[0].payload);
  EXPECT_EQ(stored["actions_taken"], nlohmann::json::array());  // chosen: nothing was done
}

TEST_F(LaActionsTaken, AWithdrawnLetterIsNotListed) {
  // The first three days are amended to illness after the letter went: the letter's grounds
  // go, the run of unauthorised absence starts again on the 19th and the LA is told on 2 Oct.
  importThrough(d("2024-09-20"));
  syncAt(d("2024-09-20"));
  set(schoolDays("2024-09-16", 3), "I", "I");
  set(schoolDays("2024-09-30", 3), "O", "O");
  importThrough(d("2024-10-02"));
  auto outcome = syncAt(d("2024-10-02"));
  EXPECT_GE(outcome.withdrawn_events + outcome.revised_events, 1);
  auto body = laBody("unauthorised_10_day");
  ASSERT_TRUE(body.is_object());
  std::vector<std::string> listed;
  for (const auto& a : body["actions_taken"])
    listed.push_back(a["on"].get<std::string>() + " " + a["stage"].get<std::string>());
  // The letter of the 18th is gone; the run from the 19th raised its own letter and meeting.
  EXPECT_EQ(listed, (std::vector<std::string>{"2024-09-23 response.letter_1",
                                              "2024-09-26 response.meeting"}))
      << body["actions_taken"].dump(2);
}

TEST(LaCauseIfKnown, AnIllnessRunNamesItsSessionsByCodeAndTheSchoolsNote) {
  SinkEvent event;
  event.type = "sickness_15_day";
  event.from = d("2024-09-02");
  event.to = d("2024-11-08");
  event.sessions_by_code = {{"/", 40}, {"\\", 41}, {"I", 30}, {"M", 2}, {"O", 1}, {"X", 2}};
  LaPortalConfig config;
  const std::string registerText =
      "Absent 33 sessions from 2024-09-02 to 2024-11-08: I 30 (authorised: illness (not "
      "medical or dental appointment)), M 2 (authorised: medical or dental appointment), O 1 "
      "(unauthorised: absent in other or unknown circumstances)";
  EXPECT_EQ(laPortalCause(event, config), registerText);

  std::vector<Problem> problems;
  ConfigContext context{"markbridge.json", &problems};
  config = LaPortalConfig::fromJson(
      {{"name", "la"},
       {"type", "la_portal"},
       {"base_url", "https://la.example"},
       {"ca_file", "ca.pem"},
       {"cause_notes",
        {{"sickness_15_day", "medical evidence requested from the family on 2024-11-04"}}}},
      "$.sinks[0]", test::certsDir(), context);
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  EXPECT_EQ(laPortalCause(event, config),
            registerText +
                ". School's note: medical evidence requested from the family on "
                "2024-11-04");
  event.type = "unauthorised_10_day";  // the note is for sickness notifications only
  EXPECT_EQ(laPortalCause(event, config), registerText);
  event.sessions_by_code = {{"/", 10}};  // nothing absent, no note: nothing to say
  EXPECT_EQ(laPortalCause(event, config), "");

  // A note for a type that is not a notification is refused, naming where it is.
  LaPortalConfig::fromJson({{"name", "la"},
                            {"type", "la_portal"},
                            {"base_url", "https://la.example"},
                            {"ca_file", "ca.pem"},
                            {"cause_notes", {{"sickness", "x"}, {"sickness_15_day", 3}}}},
                           "$.sinks[0]", test::certsDir(), context);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].location, "$.sinks[0].cause_notes.sickness");
  EXPECT_EQ(problems[1].location, "$.sinks[0].cause_notes.sickness_15_day");
}
