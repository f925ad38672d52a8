// The console's Backtest page over real HTTPS against the built `markbridge run`: its figures
// are those `markbridge backtest --format csv` gives for the same store, policies and dates (two
// policies side by side); the technician is refused; a bad date and a policy the configuration
// does not offer (a path, a script) are refused with a clear, escaped message; every run is an
// audit line; a large register's backtest runs in the background and is kept until the next
// sync.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "core/domain/upn.h"
#include "tests/integration/console_client.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

constexpr const char* kPeriod = "from=2024-09-02&to=2024-12-20";

struct ConsoleBacktest : ::testing::Test, test::ConsoleClient {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  pid_t pid = -1;

  ~ConsoleBacktest() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  // 12 pupils over the first 50 school days of the autumn calendar, absent for 2 to 46 of their
  // 100 sessions at the end (N or illness): persistent and severe absence, runs of unauthorised
  // absence and illness, and pupils who are fine.
  void start(const std::map<std::string, std::string>& env = {}) {
    auto cal = test::autumnCalendar();
    auto days = cal.schoolDays(test::d("2024-09-03"), cal.last());
    days.resize(50);
    std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\n";
    for (int p = 0; p < 12; ++p) {
      std::string upn = "A8012000052" + std::to_string(10 + p);
      upn[0] = upnCheckLetter(upn);
      int absent = 2 + 4 * p;
      const char* code = p % 3 == 1 ? "I" : "N";
      for (int s = 0; s < 100; ++s)
        csv += upn + ",3" + upn.substr(10) + ",Surname" + std::to_string(p) + ",Forename," +
               (p % 2 ? "7A" : "8B") + "," + (p % 2 ? "7" : "8") + "," +
               days[static_cast<std::size_t>(s / 2)].iso() + "," + (s % 2 ? "PM" : "AM") + "," +
               (s < 100 - absent ? (s % 2 ? "\\" : "/") : code) + "\n";
    }
    dir.write("register.csv", csv);
    dir.write("calendar.json", test::autumnCalendarJson());
    dir.write("otw.json", read(test::sourceDir() + "/docs/policies/otw-attendance-bands.json"));
    pid = startService(dir, test::laSink(server->baseUrl()),
                       {{"tech", ConsoleRole::Technician, "tech-password-1"},
                        {"officer", ConsoleRole::AttendanceOfficer, "officer-password-1"},
                        {"lead", ConsoleRole::Dsl, "lead-password-12"},
                        {"viewer", ConsoleRole::ReadOnly, "viewer-password-1"}},
                       {{"rules", {{"policies", {"statutory", "otw.json"}}}}}, env);
    ASSERT_GT(port, 0) << read(dir / "service.out");
    auto sync = send("POST", "/sync", "", "", "Bearer admin-secret");
    ASSERT_EQ(sync.status, 200) << sync.body;
  }

  static std::string read(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  static int number(const std::string& cell) {
    std::smatch m;
    static const std::regex digits("([0-9]+)");
    return std::regex_search(cell, m, digits) ? std::stoi(m[1]) : -1;
  }
  // The cells of each row of the first table after `from` (its <tbody>), by the row's header.
  static std::map<std::string, std::vector<std::string>> rows(const std::string& page,
                                                              std::size_t from) {
    std::map<std::string, std::vector<std::string>> out;
    auto body = page.find("<tbody>", from);
    auto end = page.find("</tbody>", body);
    std::string table = page.substr(body, end - body);
    static const std::regex row("<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>");
    static const std::regex cell("<td[^>]*>(.*?)</td>");
    for (std::sregex_iterator r(table.begin(), table.end(), row), e; r != e; ++r) {
      std::string cells = (*r)[2];
      auto& list = out[(*r)[1]];
      for (std::sregex_iterator c(cells.begin(), cells.end(), cell); c != e; ++c)
        list.push_back(std::regex_replace((*c)[1].str(), std::regex("<[^>]*>"), ""));
    }
    return out;
  }
  // The table's column headers (<thead>) of the first table after `from`.
  static std::vector<std::string> columns(const std::string& page, std::size_t from) {
    auto head = page.find("<thead>", from);
    std::string h = page.substr(head, page.find("</thead>", head) - head);
    std::vector<std::string> out;
    static const std::regex col("<th scope=\"col\"[^>]*>(.*?)</th>");
    for (std::sregex_iterator c(h.begin(), h.end(), col), e; c != e; ++c) out.push_back((*c)[1]);
    return out;
  }
};

// Whether a line of the audit log has every field of `want`.
bool audited(const std::string& log, const nlohmann::json& want) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    bool all = entry.is_object();
    for (const auto& [key, value] : want.items()) all = all && entry.value(key, "") == value;
    if (all) return true;
  }
  return false;
}

struct CsvFigures {
  // By policy, then rule id: events, false alarms, already sent over the period.
  std::map<std::string, std::map<std::string, std::array<int, 3>>> rules;
  std::map<std::string, std::map<std::string, std::map<std::string, int>>>
      load;  // policy, role, week
};
CsvFigures parseCsv(const std::string& csv) {
  CsvFigures f;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "policy,week,kind,name,action,events,pupils,false_alarms,already_sent");
  while (std::getline(in, line)) {
    std::vector<std::string> field;
    std::stringstream s(line);
    for (std::string x; std::getline(s, x, ',');) field.push_back(x);
    field.resize(9);
    if (field[2] == "rule") {
      auto& r = f.rules[field[0]][field[3]];
      r[0] += std::stoi(field[5]);
      r[1] += field[7].empty() ? 0 : std::stoi(field[7]);
      r[2] += std::stoi(field[8]);
    } else {
      f.load[field[0]][field[3]][field[1]] += std::stoi(field[5]);
    }
  }
  return f;
}

TEST_F(ConsoleBacktest, TheFiguresAreThoseOfTheCommandLineBacktestForTwoPoliciesSideBySide) {
  start();
  auto [session, csrf] = login("officer", "officer-password-1");
  auto form = send("GET", "/console/backtest", "", session);
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("<option value=\"otw\""), std::string::npos) << form.body;
  EXPECT_NE(form.body.find("<option value=\"statutory\""), std::string::npos);
  EXPECT_NE(form.body.find("aria-current=\"page\">Backtest"), std::string::npos);

  auto page =
      send("GET", std::string("/console/backtest?policy=configured&compare=statutory&") + kPeriod,
           "", session);
  ASSERT_EQ(page.status, 200) << page.body;
  auto cli =
      test::runMarkbridge({"backtest", "--config", "markbridge.json", "--compare", "statutory",
                           "--from", "2024-09-02", "--to", "2024-12-20", "--format", "csv"},
                          {}, dir.path());
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  auto csv = parseCsv(cli.out);
  const std::string a = "statutory + otw", b = "statutory";
  ASSERT_TRUE(csv.rules.count(a) && csv.rules.count(b)) << cli.out;

  // Events by rule: A's four columns then B's, each the CLI's sum over the weeks.
  auto byRule = rows(page.body, page.body.find("Events by rule"));
  int compared = 0, nonZero = 0;
  for (const auto& [policy, offset] : {std::pair{a, 1}, std::pair{b, 5}})
    for (const auto& [id, figures] : csv.rules.at(policy)) {
      // The page's row: the local id, or the whole id where two policies share a local id.
      std::string local = id.substr(id.find('.') + 1);
      auto row = byRule.count(local) ? byRule.find(local) : byRule.find(id);
      ASSERT_NE(row, byRule.end()) << id;
      ASSERT_GE(row->second.size(), 9u) << id;
      EXPECT_EQ(number(row->second[offset]), figures[0]) << policy << " " << id;
      if (row->second[offset + 2] != "n/a") {
        EXPECT_EQ(number(row->second[offset + 2]), figures[1]) << policy << " " << id;
      }
      EXPECT_EQ(number(row->second[offset + 3]), figures[2]) << policy << " " << id;
      ++compared;
      nonZero += figures[0] > 0;
    }
  EXPECT_GT(compared, 5);
  EXPECT_GT(nonZero, 2) << "the register raises events under several rules";

  // The weekly load per role, each policy's table (the chart's figures) against the CLI's.
  for (const auto& [policy, anchor] : {std::pair{a, "load-a"}, std::pair{b, "load-b"}}) {
    auto at = page.body.find(std::string("id=\"") + anchor + "\"");
    ASSERT_NE(at, std::string::npos) << anchor;
    EXPECT_NE(page.body.find("<svg role=\"img\"", at), std::string::npos);
    auto roles = columns(page.body, at);
    auto weeks = rows(page.body, at);
    ASSERT_FALSE(csv.load[policy].empty()) << policy;
    int cells = 0;
    for (const auto& [role, byWeek] : csv.load[policy]) {
      auto column = std::find(roles.begin(), roles.end(), role);
      ASSERT_NE(column, roles.end()) << role;
      auto index = static_cast<std::size_t>(column - roles.begin() - 1);
      for (const auto& [week, n] : byWeek) {
        ASSERT_TRUE(weeks.count(week)) << week;
        EXPECT_EQ(number(weeks[week].at(index)), n) << policy << " " << role << " " << week;
        ++cells;
      }
    }
    EXPECT_GT(cells, 0);
  }
  // Totals: the CLI's events per policy in the summary.
  auto summary = rows(page.body, page.body.find("Over the period"));
  int eventsA = 0, eventsB = 0;
  for (const auto& [id, f] : csv.rules[a]) eventsA += f[0];
  for (const auto& [id, f] : csv.rules[b]) eventsB += f[0];
  EXPECT_EQ(number(summary["Events"].at(0)), eventsA);
  EXPECT_EQ(number(summary["Events"].at(1)), eventsB);
  EXPECT_GT(eventsA, eventsB) << "the school's rules add the OTW policy's letters";
}

TEST_F(ConsoleBacktest, TheTechnicianIsRefusedAndEveryRunIsAnAuditLine) {
  start();
  auto [tech, techCsrf] = login("tech", "tech-password-1");
  auto refused =
      send("GET", std::string("/console/backtest?policy=configured&") + kPeriod, "", tech);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body.find("Events by rule"), std::string::npos);
  EXPECT_EQ(send("GET", "/console/", "", tech).body.find("/console/backtest"), std::string::npos)
      << "no Backtest in the technician's navigation";

  for (const auto& [name, password] :
       {std::pair{"lead", "lead-password-12"}, std::pair{"viewer", "viewer-password-1"}}) {
    auto [session, csrf] = login(name, password);
    auto page =
        send("GET", std::string("/console/backtest?policy=otw&compare=&") + kPeriod, "", session);
    EXPECT_EQ(page.status, 200) << name;
    EXPECT_NE(page.body.find("Events by rule"), std::string::npos) << name;
  }
  auto audit = read(dir / "console-audit.jsonl");
  EXPECT_TRUE(audited(audit, {{"user", "tech"},
                              {"role", "technician"},
                              {"action", "refused"},
                              {"target", "/console/backtest"}}))
      << audit;
  EXPECT_TRUE(audited(audit, {{"user", "lead"},
                              {"role", "dsl"},
                              {"action", "backtest"},
                              {"target", "backtest otw, 2024-09-02 to 2024-12-20"},
                              {"outcome", "ok"}}))
      << audit;
  EXPECT_TRUE(audited(audit, {{"user", "viewer"},
                              {"role", "read_only"},
                              {"action", "backtest"},
                              {"target", "backtest otw, 2024-09-02 to 2024-12-20"}}))
      << audit;
}

TEST_F(ConsoleBacktest, BadDatesAndPoliciesTheConfigurationDoesNotOfferAreRefused) {
  start();
  auto [session, csrf] = login("officer", "officer-password-1");
  auto badDate =
      send("GET", "/console/backtest?policy=configured&from=2024-13-40&to=2024-12-20", "", session);
  EXPECT_EQ(badDate.status, 400);
  EXPECT_NE(badDate.body.find("From: &quot;2024-13-40&quot; is not a date"), std::string::npos)
      << badDate.body;
  EXPECT_EQ(badDate.body.find("Events by rule"), std::string::npos);

  auto backwards =
      send("GET", "/console/backtest?policy=configured&from=2024-12-01&to=2024-10-01", "", session);
  EXPECT_EQ(backwards.status, 400);
  EXPECT_NE(backwards.body.find("From (2024-12-01) is after To (2024-10-01)"), std::string::npos);

  auto outside =
      send("GET", "/console/backtest?policy=configured&from=2030-01-01&to=2030-02-01", "", session);
  EXPECT_EQ(outside.status, 400);
  EXPECT_NE(outside.body.find("outside the school&#39;s calendar"), std::string::npos)
      << outside.body;

  // A path (the policy file itself, or anything else) is never loaded: only the offered names.
  for (const std::string hostile : {"otw.json", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd"}) {
    auto page = send("GET", "/console/backtest?policy=" + hostile + "&" + kPeriod, "", session);
    EXPECT_EQ(page.status, 400) << hostile;
    EXPECT_NE(page.body.find("there is no policy"), std::string::npos) << hostile;
  }
  auto script = send("GET",
                     std::string("/console/backtest?policy=configured&compare=%3Cscript%3Ealert(1)"
                                 "%3C%2Fscript%3E&") +
                         kPeriod,
                     "", session);
  EXPECT_EQ(script.status, 400);
  EXPECT_EQ(script.body.find("<script>"), std::string::npos);
  EXPECT_NE(script.body.find("&lt;script&gt;alert(1)"), std::string::npos) << script.body;
  auto audit = read(dir / "console-audit.jsonl");
  EXPECT_NE(audit.find("\"outcome\":\"refused: From: \\\"2024-13-40\\\" is not a date"),
            std::string::npos)
      << audit;
}

TEST_F(ConsoleBacktest, ALargeRegistersBacktestRunsInTheBackgroundAndIsKeptUntilTheNextSync) {
  // Every register counts as large here: the page must not hold the request.
  start({{"MARKBRIDGE_CONSOLE_BACKTEST_INLINE_PUPILS", "0"}});
  auto [session, csrf] = login("lead", "lead-password-12");
  std::string path =
      std::string("/console/backtest?policy=configured&compare=statutory&") + kPeriod;
  auto first = send("GET", path, "", session);
  ASSERT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("running, started at"), std::string::npos) << first.body;
  EXPECT_NE(first.body.find(">Refresh</a>"), std::string::npos);
  EXPECT_EQ(first.body.find("Events by rule"), std::string::npos);
  std::string done;
  ASSERT_TRUE(test::waitUntil([&] {
    done = send("GET", path, "", session).body;
    return done.find("Events by rule") != std::string::npos;
  }));
  EXPECT_NE(done.find("kept until the next sync"), std::string::npos);
  auto audit = read(dir / "console-audit.jsonl");
  EXPECT_NE(audit.find("\"outcome\":\"started in the background\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("\"outcome\":\"ok (kept from "), std::string::npos) << audit;

  // A sync may change the register: the next request works it out again.
  ASSERT_EQ(send("POST", "/sync", "", "", "Bearer admin-secret").status, 200);
  auto after = send("GET", path, "", session);
  EXPECT_TRUE(after.body.find("running, started at") != std::string::npos ||
              after.body.find("Events by rule") != std::string::npos);
  auto later = read(dir / "console-audit.jsonl");
  EXPECT_EQ(std::count(later.begin(), later.end(), '\n'),
            std::count(audit.begin(), audit.end(), '\n') + 1)
      << "the request after the sync is one new audit line";
}

}  // namespace
