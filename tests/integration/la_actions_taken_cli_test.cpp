// Black box: what the LA portal receives about what the school did and why. The built binary
// syncs a register twice (the school's own ladder sends a letter, then a meeting), and the
// sandbox LA over TLS receives the 10-day notification with those stages in `actions_taken` and
// the period's absences and the school's configured note in `cause_if_known`.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/sandbox/sandbox_server.h"
#include "tests/support/ladder_school.h"
#include "tests/support/test_support.h"

using namespace markbridge;

TEST(LaActionsTakenSandbox, TheLaReceivesTheStagesTheSchoolTookAndTheCause) {
  auto server = test::startSandbox();
  test::TempDir dir;
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("ours.json", test::letterThenMeetingPolicy("DSL"));
  auto la = test::laSink(server->baseUrl());
  la["cause_notes"] = {{"unauthorised_10_day", "the family has not answered calls or letters"}};
  dir.write(
      "markbridge.json",
      test::schoolConfig(
          {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
           {"rules", {{"policies", {"statutory", "ours.json"}}}},
           {"sinks", nlohmann::json::array({la})}})
          .dump(2));
  auto sync = [&] {
    return test::runMarkbridge({"sync", "--config", "markbridge.json"},
                               {{"MB_LA_TOKEN", "la-sandbox-token"}}, dir.path());
  };
  dir.write("register.csv",
            test::absentFromThe16thCsv("2024-09-20"));  // the letter went on the 18th
  auto first = sync();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_TRUE(server->received().empty());  // nothing for the LA yet
  dir.write("register.csv",
            test::absentFromThe16thCsv("2024-09-27"));  // the meeting, then 10 days on the 27th
  auto second = sync();
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  auto third = sync();  // nothing new: no second notification, no revision
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;

  ASSERT_EQ(server->received().size(), 1u);
  auto body = nlohmann::json::parse(server->received()[0].body);
  EXPECT_EQ(body["type"], "unauthorised_10_day");
  // No sink took the tasks and concerns here, so each is told by its summary.
  EXPECT_EQ(body["actions_taken"], nlohmann::json::parse(R"([
              {"on": "2024-09-18", "stage": "response.letter_1",
               "action": "task: absent without authorisation 3 school days in a row from 2024-09-16"},
              {"on": "2024-09-23", "stage": "response.meeting",
               "action": "concern: 6 school days in a row from 2024-09-16: attendance meeting"}])"))
      << body.dump(2);
  EXPECT_EQ(body["cause_if_known"],
            "Absent 20 sessions from 2024-09-16 to 2024-09-27: O 20 (unauthorised: absent in "
            "other or unknown circumstances). School's note: the family has not answered calls "
            "or letters");
  for (const char* name : {"Zed", "Brown"}) {
    EXPECT_EQ(body["actions_taken"].dump().find(name), std::string::npos);
    EXPECT_EQ(body["cause_if_known"].get<std::string>().find(name), std::string::npos);
  }
}
