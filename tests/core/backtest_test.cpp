// `markbridge backtest`: a policy replayed over a real SQLite store of crafted registers, and
// the command through the binary (no sink token needed; text, CSV and HTML; two policies side
// by side).

#include "core/app/backtest.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/store/store.h"
#include "tests/support/morning_sync.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

namespace {

// Three pupils from 3 September: A off sick her first three days then present (persistently
// absent for a while, not by the end); B truant for ten days in October (the LA is told) and
// present otherwise; C present throughout.
struct BacktestSchool : ::testing::Test {
  test::TempDir dir;
  SchoolCalendar cal = test::autumnCalendar();
  std::unique_ptr<Store> store = openSqliteStore((dir / "register.db").string());
  const std::string a = "A801200005001", b = "B801200005001", c = "C801200005001";
  std::vector<Event> bEvents;  // what a real sync of B found

  BacktestSchool() {
    ImportBatch batch;
    batch.source = "sims";
    batch.origin = "export.csv";
    batch.fingerprint = "f1";
    for (const auto& upn : {a, b, c}) {
      batch.pupils.push_back(Pupil{upn, upn.substr(0, 1), "Ann", "Smith", {}, "8", "8B", {}});
      std::vector<Mark> marks;
      test::addDays(marks, upn, cal.schoolDays(d("2024-09-03"), d("2025-04-04")), "/", "\\");
      for (auto& m : marks) {
        if (upn == a && m.date <= d("2024-09-05")) m.code = *Code::fromString("I");
        if (upn == b && m.date >= d("2024-10-07") && m.date <= d("2024-10-18"))
          m.code = *Code::fromString("O");
        m.source = "sims";
      }
      batch.marks.insert(batch.marks.end(), marks.begin(), marks.end());
    }
    batch.rows = static_cast<int>(batch.marks.size());
    store->importBatch(batch, 1);
  }

  BacktestResult run(const RuleSet& rules, const std::unordered_set<std::string>& sent = {}) {
    return backtest(*store, cal, rules, d("2024-09-02"), d("2025-04-04"), sent);
  }
  static const BacktestRule& rule(const BacktestResult& r, const std::string& id) {
    for (const auto& x : r.rules)
      if (x.id == id) return x;
    throw std::runtime_error("no rule " + id);
  }
};

// Two policies of one rule set may each have a rule of the same local id (each a first-day
// call): the reports keep them apart by their whole ids, and line up the rest by local id.
TEST(BacktestReportRows, RulesOfTheSameLocalIdInTwoPoliciesKeepTheirOwnRows) {
  auto rule = [](const std::string& id, int events) {
    BacktestRule r;
    r.id = id;
    r.action = "task";
    r.total.events = events;
    return r;
  };
  BacktestResult both, one;
  both.policies = "statutory + otw";
  both.rules = {rule("statutory.first_day_call", 3), rule("otw.first_day_call", 5),
                rule("statutory.n_unresolved", 7)};
  one.policies = "statutory";
  one.rules = {rule("statutory.first_day_call", 3), rule("statutory.n_unresolved", 6)};
  EXPECT_EQ(
      backtestRuleRows(both, &one),
      (std::vector<std::string>{"statutory.first_day_call", "otw.first_day_call", "n_unresolved"}));
  EXPECT_EQ(findBacktestRule(one, "statutory.first_day_call")->total.events, 3)
      << "the other result's same rule lines up on its row";
  EXPECT_EQ(findBacktestRule(one, "otw.first_day_call"), nullptr);
  EXPECT_EQ(findBacktestRule(both, "otw.first_day_call")->total.events, 5);
  EXPECT_EQ(findBacktestRule(both, "n_unresolved")->total.events, 7);
  EXPECT_EQ(findBacktestRule(one, "n_unresolved")->total.events, 6);
  EXPECT_EQ(findBacktestRule(both, "first_day_call"), nullptr);
  std::ostringstream text;
  printBacktestText(text, both, &one);
  EXPECT_NE(text.str().find("otw.first_day_call (task)"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("statutory.first_day_call (task)"), std::string::npos);
}

}  // namespace

TEST_F(BacktestSchool, CountsEventsPupilsAndFalseAlarmsByTheirWeek) {
  auto result = run(test::shippedPolicies({"statutory"}));
  EXPECT_EQ(result.pupils_evaluated, 3);
  EXPECT_EQ(result.pupils_with_events, 2);  // C raised nothing

  // A: three sick days of her first days make her persistently absent once the measure has
  // enough sessions; by 4 April she is far under 10%, so the concern was a false alarm.
  const auto& pa = rule(result, "statutory.persistent_absence");
  EXPECT_TRUE(pa.rate_measured);
  EXPECT_EQ(pa.action, "concern");
  ASSERT_GE(pa.total.events, 1);
  EXPECT_EQ(pa.total.false_alarms, pa.total.events);
  // Measured once 60 sessions were possible: 6 of 60 on 14 October, her 30th school day.
  EXPECT_EQ(pa.weeks.begin()->first, d("2024-10-14"));

  // B: the LA is told of ten days' unauthorised absence in the week it reached ten; a run, not
  // a rate, so never a false alarm.
  const auto& ten = rule(result, "statutory.unauthorised_10_day");
  EXPECT_FALSE(ten.rate_measured);
  EXPECT_EQ(ten.total.events, 1);
  EXPECT_EQ(ten.total.pupils, 1);
  EXPECT_EQ(ten.total.false_alarms, 0);
  ASSERT_EQ(ten.weeks.size(), 1u);
  EXPECT_EQ(ten.weeks.begin()->first, d("2024-10-14"));
  EXPECT_EQ(result.load["LA"][d("2024-10-14")], 1);
  // Concerns count for the roles they alert.
  int officer = 0;
  for (const auto& [week, n] : result.load["attendance_officer"]) officer += n;
  EXPECT_GE(officer, pa.total.events);
}

// A rule on a band (at risk: 5% to under 10%) is judged by its first measure: a pupil raised in
// the band who went above it was warned early, not falsely.
TEST_F(BacktestSchool, ABandRuleIsNoFalseAlarmForAPupilWhoWentAboveIt) {
  dir.write("band.json", R"({"name": "band", "rules": [{"id": "at_risk",
      "when": {"all": [
        {"measure": "percent", "codes": "absence", "window": "academic_year", "at_least": 5},
        {"measure": "percent", "codes": "absence", "window": "academic_year", "less_than": 10}]},
      "action": {"task": {"assignee_role": "attendance_officer"}}}]})");
  std::vector<Problem> problems;
  ConfigContext context{"c.json", &problems};
  auto rules = RuleSet::fromJson(nlohmann::json{{"policies", {"band.json"}}}, "$.rules", dir.path(),
                                 context);
  ASSERT_TRUE(problems.empty()) << problems.front().str();
  // B enters the band on 8 October (4 of 52 sessions), the second day of his truancy, and is
  // at 29% on 18 October; A enters it on 15 October (6 of 62) and is at 8.8% then.
  auto october = backtest(*store, cal, rules, d("2024-09-02"), d("2024-10-18"), {});
  const auto& band = rule(october, "band.at_risk");
  EXPECT_TRUE(band.rate_measured);
  EXPECT_EQ(band.total.events, 2);
  EXPECT_EQ(band.total.false_alarms, 0);  // B above the band is no false alarm
  // By April A is back under 5% (a false alarm); B at 7% is still in the band.
  auto april = run(rules);
  EXPECT_EQ(rule(april, "band.at_risk").total.false_alarms, 1);
}

// The console's background backtest gives up when the service stops, at the next pupil.
TEST_F(BacktestSchool, ACancelledBacktestStopsAndSaysSo) {
  auto rules = test::shippedPolicies({"statutory"});
  std::atomic<bool> cancel{true};
  EXPECT_THROW(backtestStore(*store, cal, rules, d("2024-09-02"), d("2025-04-04"), &cancel),
               BacktestCancelled);
  cancel = false;
  EXPECT_EQ(
      backtestStore(*store, cal, rules, d("2024-09-02"), d("2025-04-04"), &cancel).pupils_evaluated,
      3);
}

TEST_F(BacktestSchool, ThePeriodLimitsWhichEventsCount) {
  auto rules = test::shippedPolicies({"statutory"});
  auto september = backtest(*store, cal, rules, d("2024-09-02"), d("2024-10-14"), {});
  EXPECT_EQ(rule(september, "statutory.unauthorised_10_day").total.events, 0);
  // Judged on 14 October, the day it fired, A is still persistently absent: not yet a false
  // alarm.
  const auto& pa = rule(september, "statutory.persistent_absence");
  EXPECT_GE(pa.total.events, 1);
  EXPECT_EQ(pa.total.false_alarms, 0);
}

TEST_F(BacktestSchool, SaysWhichEventsWereAlreadySent) {
  auto rules = test::shippedPolicies({"statutory"});
  auto first = run(rules);
  std::unordered_set<std::string> sent;
  store->forEachPupilRegister(cal, [&](const Pupil& pupil, const PupilRegister& reg) {
    for (const auto& e : rules.evaluate(pupil, reg, d("2025-04-04")).events)
      if (e.rule == "statutory.unauthorised_10_day") sent.insert(e.id);
  });
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(rule(first, "statutory.unauthorised_10_day").total.already_sent, 0);
  auto again = run(rules, sent);
  EXPECT_EQ(rule(again, "statutory.unauthorised_10_day").total.already_sent, 1);
  EXPECT_EQ(rule(again, "statutory.persistent_absence").total.already_sent, 0);
}

// The binary: a school whose LA sink's token is not in the environment can still be
// backtested, and two policies compared in each format.
TEST_F(BacktestSchool, TheCommandComparesTwoPoliciesWithoutTheSinksSecrets) {
  dir.write("calendar.json", test::autumnCalendarJson());
  auto config = test::schoolConfig({{"sinks", {test::laSink("https://127.0.0.1:9")}}});
  dir.write("markbridge.json", config.dump());
  // A quieter persistent-absence rule: measured only from 100 possible sessions.
  auto quiet = nlohmann::json::parse(R"({"name": "quiet", "rules": [{"id": "persistent_absence",
      "when": {"measure": "percent", "codes": "absence", "window": "academic_year",
               "min_possible": 100, "at_least": 10},
      "action": {"concern": {"categories": ["Attendance"], "alert": ["attendance_officer"]}},
      "summary": "absence {value}%"}]})");
  dir.write("quiet.json", quiet.dump());
  store.reset();  // the command opens the store itself

  auto text = test::runMarkbridge({"backtest", "--config", "markbridge.json", "--policy",
                                   "statutory", "--compare", "quiet.json"},
                                  {}, dir.path());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("backtest of statutory, 2024-09-02 to 2025-04-04: 3 pupils"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("backtest of quiet"), std::string::npos);
  // Side by side: statutory raises A's and B's concerns; the quieter rule waits for 50 days,
  // when A's three sick days are 6% and B's ten truant days still 20%.
  auto line = text.out.substr(text.out.find("persistent_absence (concern)"));
  line = line.substr(0, line.find('\n'));
  std::istringstream cells(line.substr(line.find(')') + 1));
  int eventsA = -1, pupilsA = -1, falseA = -1, sentA = -1, eventsB = -1, pupilsB = -1;
  std::string share;
  cells >> eventsA >> pupilsA >> falseA >> share >> sentA >> eventsB >> pupilsB;
  EXPECT_EQ(pupilsA, 2) << line;
  EXPECT_GE(eventsA, 2) << line;
  EXPECT_EQ(falseA, eventsA) << line;  // both under 10% by April
  EXPECT_EQ(sentA, 0) << line;
  EXPECT_EQ(pupilsB, 1) << line;
  EXPECT_EQ(eventsB, 1) << line;

  auto csv = test::runMarkbridge({"backtest", "--config", "markbridge.json", "--format", "csv",
                                  "--out", "report.csv", "--compare", "quiet.json"},
                                 {}, dir.path());
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::ifstream csvFile(dir / "report.csv");
  std::string header;
  std::getline(csvFile, header);
  EXPECT_EQ(header, "policy,week,kind,name,action,events,pupils,false_alarms,already_sent");
  std::stringstream rest;
  rest << csvFile.rdbuf();
  EXPECT_NE(rest.str().find("statutory,2024-10-14,rule,statutory.unauthorised_10_day,"
                            "la_notification,1,1,,0"),
            std::string::npos)
      << rest.str();
  EXPECT_NE(rest.str().find("statutory,2024-10-14,role,LA,,1,,,"), std::string::npos);

  auto html = test::runMarkbridge({"backtest", "--config", "markbridge.json", "--format", "html",
                                   "--out", "report.html", "--compare", "quiet.json"},
                                  {}, dir.path());
  ASSERT_EQ(html.exit_code, 0) << html.err;
  std::ifstream htmlFile(dir / "report.html");
  std::stringstream page;
  page << htmlFile.rdbuf();
  EXPECT_NE(page.str().find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(page.str().find("<svg role=\"img\""), std::string::npos);
  EXPECT_NE(page.str().find("Events per week by rule (quiet)"), std::string::npos);
}

TEST_F(BacktestSchool, TheCommandRefusesABadDateOrFormatWithWhatToType) {
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("markbridge.json", test::schoolConfig(nlohmann::json::object()).dump());
  store.reset();
  auto bad = test::runMarkbridge({"backtest", "--config", "markbridge.json", "--from", "1/9/24"},
                                 {}, dir.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--from 1/9/24 is not a date yyyy-mm-dd"), std::string::npos) << bad.err;
  auto format = test::runMarkbridge({"backtest", "--config", "markbridge.json", "--format", "pdf"},
                                    {}, dir.path());
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_NE(format.err.find("--format must be text, csv or html"), std::string::npos);
}
