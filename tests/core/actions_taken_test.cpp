// What an LA notification says the school did (core/rules/actions_taken.h): the pupil's own
// non-LA events up to the notification's day, oldest first, withdrawn ones left out, bounded.
// Pure: no database.

#include "core/rules/actions_taken.h"

#include <gtest/gtest.h>

#include "core/domain/utf8.h"

using namespace markbridge;

namespace {

Date day(const char* iso) {
  return *Date::parseIso(iso);
}

PriorEvent task(const std::string& id, const char* on, const std::string& stage,
                const std::string& text = "Letter 1") {
  return {id,
          "ours.response." + stage,
          "task",
          day(on),
          "absent 3 school days in a row",
          {{"assignee_role", "attendance_officer"}, {"text", text}},
          true};
}

std::vector<std::string> stages(const std::vector<ActionTaken>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) out.push_back(a.on.iso() + " " + a.stage);
  return out;
}

}  // namespace

TEST(ActionsTakenChoice, OldestFirstUpToTheNotificationsDayWithoutLaNotificationsOrWithdrawn) {
  auto withdrawn = task("ev-3", "2024-09-19", "letter_2");
  withdrawn.counts = false;  // the register was amended: the school was told it no longer held
  PriorEvent concern{"ev-2",
                     "ours.response.meeting",
                     "concern",
                     day("2024-09-23"),
                     "absent 6 school days in a row: attendance meeting",
                     {{"categories", {"Attendance"}}, {"alert", {"DSL"}}},
                     true};
  PriorEvent penalty{"ev-4",
                     "statutory.penalty_threshold",
                     "penalty_threshold",
                     day("2024-09-20"),
                     "10 unauthorised sessions",
                     nullptr,
                     true};
  auto later = task("ev-5", "2024-09-30", "letter_3");
  auto first = task("ev-1", "2024-09-18", "letter_1");
  auto actions =
      selectActionsTaken({concern, withdrawn, penalty, later, first, first}, day("2024-09-27"));
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0], (ActionTaken{day("2024-09-18"), "task for attendance_officer: Letter 1",
                                     "response.letter_1"}));
  EXPECT_EQ(actions[1], (ActionTaken{day("2024-09-23"),
                                     "concern: absent 6 school days in a row: attendance meeting",
                                     "response.meeting"}));
  EXPECT_TRUE(selectActionsTaken({}, day("2024-09-27")).empty());  // nothing done: []
  EXPECT_TRUE(selectActionsTaken({later}, day("2024-09-27")).empty());
}

TEST(ActionsTakenChoice, OnlyTheLatestActionsAreKeptSoABodyStaysSmall) {
  std::vector<PriorEvent> prior;
  Date start = day("2024-09-02");
  for (int i = 0; i < 30; ++i) {
    auto t = task("ev-" + std::to_string(i), "2024-09-02", "s" + std::to_string(i));
    t.occurred_on = start + i;
    prior.push_back(t);
  }
  auto actions = selectActionsTaken(prior, day("2024-12-01"));
  ASSERT_EQ(actions.size(), kMaxActionsTaken);
  EXPECT_EQ(stages(actions).front(), (start + 10).iso() + " response.s10");
  EXPECT_EQ(stages(actions).back(), (start + 29).iso() + " response.s29");
  EXPECT_EQ(selectActionsTaken(prior, day("2024-12-01"), 3).size(), 3u);
}

TEST(ActionsTakenChoice, EachKindOfActionReadsAsPlainShortText) {
  auto note = task("n", "2024-09-18", "x");
  note.type = "note";
  note.action = {{"text", "Letter 1 sent"}};
  EXPECT_EQ(actionText(note), "note: Letter 1 sent");
  auto unrouted = task("t", "2024-09-18", "x");
  unrouted.action = nullptr;  // no sink took it: only its summary is known
  EXPECT_EQ(actionText(unrouted), "task: absent 3 school days in a row");
  auto longText = task("l", "2024-09-18", "x", std::string(300, 'e') + "é");
  auto text = actionText(longText);
  EXPECT_EQ(text.size(), 240u);
  EXPECT_EQ(text.substr(text.size() - 3), "...");
  // 29 bytes of "task for attendance_officer: ", then the cut falls inside an é: never split.
  auto accented = task("a", "2024-09-18", "x", std::string(207, 'e') + "éééééééééééééééééééé");
  auto cut = actionText(accented);
  EXPECT_EQ(cut, "task for attendance_officer: " + std::string(207, 'e') + "...");
  EXPECT_TRUE(isValidUtf8(cut));
  EXPECT_EQ(stageOf("st_johns.percentage.ac3_below_95"), "percentage.ac3_below_95");
  EXPECT_EQ(stageOf("statutory.n_unresolved"), "n_unresolved");
  EXPECT_EQ(stageOf("odd"), "odd");
  EXPECT_TRUE(takesActionsTaken("unauthorised_10_day"));
  EXPECT_TRUE(takesActionsTaken("missing_education"));
  EXPECT_FALSE(takesActionsTaken("new_pupil"));
  EXPECT_FALSE(takesActionsTaken("deletion"));
  EXPECT_FALSE(takesActionsTaken("task"));
}
