// What makes the service say it is degraded, and what `check` warns of about the calendar: pure
// functions of the schedule, the calendar, the figures and each sink's attempts. Also the log's
// escaping, so one line is always one record.

#include "core/app/service_health.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/app/sink_health.h"
#include "core/domain/logging.h"
#include "schedules/london_time.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

// Noon (London) on `day`.
int64_t noon(Date day) {
  return london::toUtc(day, 12 * 60);
}

SchoolCalendar calendarFrom(Date start, Date end) {
  nlohmann::json json = {{"name", "this year"},
                         {"terms", {{{"name", "t"}, {"start", start.iso()}, {"end", end.iso()}}}},
                         {"england_bank_holidays", false}};
  return SchoolCalendar::fromJson(json, "calendar.json");
}

}  // namespace

TEST(ServiceHealth, AnEndedCalendarIsAConcernWithWhatToDo) {
  auto calendar = test::autumnCalendar();  // ends 4 April 2025
  auto concern = scheduleConcern(ScheduleConfig{}, calendar, noon(d("2025-06-10")));
  ASSERT_TRUE(concern.has_value());
  EXPECT_NE(concern->problem.find("no sync is due in the next school week"), std::string::npos);
  EXPECT_NE(concern->problem.find("ends on 2025-04-04"), std::string::npos) << concern->problem;
  EXPECT_NE(concern->action.find("calendar"), std::string::npos);
  // Its last day is a Friday: on the Wednesday before, syncs are still due.
  EXPECT_FALSE(scheduleConcern(ScheduleConfig{}, calendar, noon(d("2025-04-02"))).has_value());
}

TEST(ServiceHealth, AHolidayWithTermAfterItIsNotAConcern) {
  auto calendar = test::autumnCalendar();
  // Christmas: no sync in the next seven days, but school starts again on 6 January.
  EXPECT_FALSE(scheduleConcern(ScheduleConfig{}, calendar, noon(d("2024-12-23"))).has_value());
  // Half term Friday: syncs are due on Monday.
  EXPECT_FALSE(scheduleConcern(ScheduleConfig{}, calendar, noon(d("2024-11-01"))).has_value());
}

TEST(ServiceHealth, FailedSyncsAndRefusedCredentialsDegradeAnOutageDoesNot) {
  HealthInputs in;
  EXPECT_TRUE(healthConcerns(in).empty());
  in.syncs_failed_in_a_row = 2;
  in.last_sync = "2024-10-01 morning register: failed";
  auto concerns = healthConcerns(in);
  ASSERT_EQ(concerns.size(), 1u);
  EXPECT_NE(concerns[0].problem.find("the last 2 sync(s) failed"), std::string::npos);
  in.syncs_failed_in_a_row = 0;
  in.sinks["la"] = SinkHealth{SinkState::PausedOutage, "HTTP 503", 6, 1, 0, ""};
  EXPECT_TRUE(healthConcerns(in).empty());  // items wait and go when it is back
  in.sinks["cpoms"] = SinkHealth{SinkState::PausedCredentials, "HTTP 401: bad key", 0, 1, 0, ""};
  concerns = healthConcerns(in);
  ASSERT_EQ(concerns.size(), 1u);
  EXPECT_NE(concerns[0].problem.find("sink cpoms is paused"), std::string::npos);
  EXPECT_NE(concerns[0].problem.find("HTTP 401: bad key"), std::string::npos);
  EXPECT_NE(concerns[0].action.find("systemctl reload markbridge"), std::string::npos);
}

TEST(ServiceHealth, CalendarWarningsOutsideItAndWithinFourWeeksOfItsEnd) {
  auto calendar = calendarFrom(d("2024-09-02"), d("2024-12-20"));
  auto outside = calendarWarnings(calendar, d("2025-01-10"));
  ASSERT_EQ(outside.size(), 1u);
  EXPECT_NE(outside[0].find("today (2025-01-10) is outside the calendar"), std::string::npos);
  EXPECT_EQ(calendarWarnings(calendar, d("2024-08-20")).size(), 1u);  // before it starts
  auto ending = calendarWarnings(calendar, d("2024-11-22"));          // 28 days before its end
  ASSERT_EQ(ending.size(), 1u);
  EXPECT_NE(ending[0].find("ends on 2024-12-20, within 4 weeks"), std::string::npos);
  EXPECT_TRUE(calendarWarnings(calendar, d("2024-11-21")).empty());  // 29 days: fine
}

TEST(SinkHealth, APausedSinkIsOneWhoseBreakerIsOpenNotOneWithFailuresInARow) {
  SinkHealthTracker tracker({});
  auto refused = DeliveryResult::retry("sink la: HTTP 401: invalid bearer token");
  refused.sink_unavailable = true;
  std::map<std::string, CircuitBreaker> circuits;
  circuits["la"].failed(1000, CircuitBreaker::Failure::SinkUnavailable);
  tracker.attempted("la", refused, 1000);
  // cpoms failed 12 times in a row but its breaker stayed closed (answers kept coming, the rate
  // stayed under the threshold): retrying, not paused.
  circuits["cpoms"];
  for (int i = 0; i < 12; ++i) tracker.attempted("cpoms", DeliveryResult::retry("HTTP 503"), 1000);
  // webhook's breaker opened on the failure rate after three attempts.
  CircuitPolicy quick;
  quick.min_requests = 3;
  circuits.emplace("webhook", CircuitBreaker(quick));
  for (int i = 0; i < 3; ++i) {
    circuits.at("webhook").failed(1000, CircuitBreaker::Failure::Answer);
    tracker.attempted("webhook", DeliveryResult::retry("HTTP 503"), 1000);
  }
  auto health = tracker.finish({"la", "cpoms", "webhook", "idle"},
                               {{"la", 2}, {"cpoms", 1}, {"webhook", 4}}, circuits, 2000);
  EXPECT_EQ(health["la"].state, SinkState::PausedCredentials);
  EXPECT_EQ(health["la"].reason, "sink la: HTTP 401: invalid bearer token");
  EXPECT_EQ(health["la"].paused_until, circuits.at("la").openUntil());
  EXPECT_EQ(health["cpoms"].state, SinkState::Retrying);
  EXPECT_EQ(health["cpoms"].paused_until, 0);
  EXPECT_EQ(health["webhook"].state, SinkState::PausedOutage);
  EXPECT_EQ(health["webhook"].paused_until, 1000 + quick.cooldown_ms);
  EXPECT_EQ(health["webhook"].paused_because, "failure rate over the window");
  EXPECT_EQ(health["idle"].state, SinkState::Ok);
  EXPECT_EQ(toString(SinkState::PausedCredentials), "paused: credentials");
  EXPECT_EQ(toString(SinkState::PausedOutage), "paused: outage");

  // The next run: la is not tried (its breaker is still open) and keeps its state; webhook's
  // trials pass and its breaker closes; cpoms answers.
  SinkHealthTracker next(health);
  int64_t later = 1000 + quick.cooldown_ms;
  for (int i = 0; i < quick.trials; ++i) {
    circuits.at("webhook").started(later);
    circuits.at("webhook").succeeded(later);
    next.attempted("webhook", DeliveryResult::delivered("ref-w"), later);
  }
  next.attempted("cpoms", DeliveryResult::delivered("ref-1"), later);
  auto after = next.finish({"la", "cpoms", "webhook"}, {{"la", 2}}, circuits, later);
  EXPECT_EQ(after["la"].state, SinkState::PausedCredentials);
  EXPECT_EQ(after["la"].since, 1000);
  EXPECT_EQ(after["cpoms"].state, SinkState::Ok);
  EXPECT_EQ(after["webhook"].state, SinkState::Ok);
  EXPECT_EQ(after["webhook"].paused_until, 0);
  EXPECT_EQ(after["webhook"].failures_in_a_row, 0);

  // A fresh process (no breakers yet) that did not send to a paused sink with items waiting
  // keeps the last verdict; one whose breaker exists and is closed is not paused.
  SinkHealthTracker fresh(after);
  auto kept = fresh.finish({"la"}, {{"la", 2}}, {}, later + 1);
  EXPECT_EQ(kept["la"].state, SinkState::PausedCredentials);
  EXPECT_EQ(kept["la"].paused_until, after["la"].paused_until);
  std::map<std::string, CircuitBreaker> resumed{{"la", CircuitBreaker{}}};
  SinkHealthTracker byHand(after);
  EXPECT_EQ(byHand.finish({"la"}, {{"la", 2}}, resumed, later + 1)["la"].state, SinkState::Ok);
}

TEST(LogText, NewlinesAndControlCharactersAreEscapedSoALineIsOneRecord) {
  EXPECT_EQ(escapeLogText("plain text, 'quoted'"), "plain text, 'quoted'");
  EXPECT_EQ(escapeLogText("a.csv\n[2024-10-01 09:00:00.000] [service] [info] all fine"),
            "a.csv\\n[2024-10-01 09:00:00.000] [service] [info] all fine");
  EXPECT_EQ(escapeLogText("\r\t\x1b[31m\x7f"), "\\r\\t\\x1b[31m\\x7f");
  EXPECT_EQ(escapeLogText("C:\\n"), "C:\\\\n");  // a backslash cannot fake an escape
  EXPECT_EQ(escapeLogText("Zoë"), "Zoë");        // UTF-8 passes through
}

TEST(LogText, TheTerminalAndTheJsonFileEachGetOneLinePerRecord) {
  test::TempDir dir;
  auto file = dir / "log.jsonl";
  testing::internal::CaptureStderr();
  configureLogging("info", file.string());
  namedLogger("drop")->warn("{}: quarantined", "x.csv\n[2024-10-01] [service] [info] forged");
  spdlog::default_logger()->flush();
  std::string terminal = testing::internal::GetCapturedStderr();
  configureLogging("info");  // back to the terminal only
  EXPECT_EQ(std::count(terminal.begin(), terminal.end(), '\n'), 1) << terminal;
  EXPECT_NE(terminal.find("x.csv\\n[2024-10-01] [service] [info] forged: quarantined"),
            std::string::npos)
      << terminal;
  std::ifstream in(file);
  std::string line, all;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(nlohmann::json::parse(line)["message"],
              "x.csv\n[2024-10-01] [service] [info] forged: quarantined");
  }
  EXPECT_EQ(lines, 1);
}

// Issue 11 item 15: the JSON log file of a running service stayed empty (named loggers never
// flushed). A warning from a named logger is in the file as soon as it is logged; an info line
// gets there without anyone flushing (the once-a-second flush), while the process runs.
TEST(LogFlush, NamedLoggersReachTheJsonFileWithoutAnExplicitFlush) {
  test::TempDir dir;
  auto file = dir / "log.jsonl";
  auto fileText = [&] {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  testing::internal::CaptureStderr();
  configureLogging("info", file.string());
  namedLogger("drop")->warn("inbox.csv: quarantined with 1 problem(s)");
  std::string atOnce = fileText();  // read before anything else is logged or flushed
  namedLogger("service")->info("a sync finished");
  bool infoArrived =
      test::waitUntil([&] { return fileText().find("a sync finished") != std::string::npos; },
                      std::chrono::seconds(10));
  std::string after = fileText();
  configureLogging("info");  // back to the terminal only
  testing::internal::GetCapturedStderr();
  EXPECT_NE(atOnce.find("inbox.csv: quarantined"), std::string::npos) << atOnce;
  EXPECT_TRUE(infoArrived) << after;
}
