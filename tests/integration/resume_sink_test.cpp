// Fixing a sink's credentials takes effect at once (issue 17 item 5): `markbridge outbox retry
// --sink NAME` lifts the pause a refused token left and makes the sink's pending items due now,
// so the next sync delivers them instead of waiting out the cool-down.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/store/store.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

struct ResumeSink : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();

  void SetUp() override {
    // One pupil away (N) ten school days from 16 September 2024: one LA notification.
    std::string csv = "UPN,Adno,Date,Session,Mark\n";
    for (Date day : test::autumnCalendar().schoolDays(test::d("2024-09-16"), test::d("2024-09-27")))
      for (const char* s : {"AM", "PM"})
        csv += "B801200005001,3001," + day.iso() + "," + s + ",N\n";
    dir.write("register.csv", csv);
    dir.write("calendar.json", test::autumnCalendarJson());
    dir.write(
        "markbridge.json",
        test::schoolConfig(
            {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
             {"sinks", nlohmann::json::array({test::laSink(server->baseUrl())})}})
            .dump(2));
  }
  test::RunResult run(std::vector<std::string> args, const std::string& token) {
    args.insert(args.begin() + 1, {"--config", "markbridge.json"});
    return test::runMarkbridge(args, {{"MB_LA_TOKEN", token}}, dir.path());
  }
};

}  // namespace

TEST_F(ResumeSink, RetryingASinkAfterItsTokenIsFixedDeliversAtTheNextSyncNotAfterThePause) {
  auto refused = run({"sync"}, "a-wrong-token");
  ASSERT_EQ(refused.exit_code, 5) << refused.out << refused.err;  // paused: credentials
  // The token is fixed, but the item waits out the pause (a minute, doubling): nothing yet,
  // and the sink is still paused.
  auto early = run({"sync"}, "la-sandbox-token");
  EXPECT_EQ(early.exit_code, 5) << early.out << early.err;
  EXPECT_EQ(server->received().size(), 0u) << early.out;

  auto resumed = run({"outbox", "retry", "--sink", "la"}, "la-sandbox-token");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("sink la resumed: 1 pending item(s) are due now"), std::string::npos)
      << resumed.out;
  auto sync = run({"sync"}, "la-sandbox-token");
  EXPECT_EQ(sync.exit_code, 0) << sync.out << sync.err;
  ASSERT_EQ(server->received().size(), 1u) << sync.out << sync.err;
  EXPECT_EQ(nlohmann::json::parse(server->received()[0].body)["type"], "unauthorised_10_day");

  auto unknown = run({"outbox", "retry", "--sink", "cpoms"}, "la-sandbox-token");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no sink named 'cpoms'"), std::string::npos) << unknown.err;
}
