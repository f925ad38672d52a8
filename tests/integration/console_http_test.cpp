// The web console over real HTTPS on 127.0.0.1 (the built `markbridge run`, the development
// certificates, the sandbox LA portal as its sink): logging in, session cookies, CSRF, login
// throttling, roles (no pupil name served to the technician), retry from the console, the audit
// log and the users CLI.

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "connectors/common/https_client.h"
#include "core/app/console/console_users.h"
#include "core/app/console/password_hash.h"
#include "core/domain/upn.h"
#include "core/store/store.h"
#include "tests/integration/console_client.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// The fixture's pupils: names no page text could hold by chance.
using test::validUpn;
const std::string kUpns[] = {"B801200005001", validUpn("A801400030001")};
const char* kForenames[] = {"Zebedee", "Xanthippe"};
const char* kSurnames[] = {"Quillfeather", "Marchbanks-Oyelaran"};

using Answer = test::ConsoleAnswer;

struct ConsoleHttp : ::testing::Test, test::ConsoleClient {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  pid_t pid = -1;

  ~ConsoleHttp() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  void SetUp() override {
    std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Date,Session,Mark\n";
    auto cal = test::autumnCalendar();
    for (int p = 0; p < 2; ++p)
      for (Date day : cal.schoolDays(test::d("2024-09-16"), test::d("2024-09-27")))
        for (const char* s : {"AM", "PM"})
          csv += kUpns[p] + "," + std::to_string(1000 + p) + "," + kSurnames[p] + "," +
                 kForenames[p] + "," + day.iso() + "," + s + ",N\n";
    dir.write("register.csv", csv);
    dir.write("calendar.json", test::autumnCalendarJson());
    // A held delivery attempt lasts until the test releases it (beyond the test client's 30 s).
    auto la = test::laSink(server->baseUrl());
    la["timeout_ms"] = 120000;
    pid = startService(dir, la,
                       {{"tech", ConsoleRole::Technician, "tech-password-1"},
                        {"officer", ConsoleRole::AttendanceOfficer, "officer-password-1"},
                        {"viewer", ConsoleRole::ReadOnly, "viewer-password-1"}});
    ASSERT_GT(port, 0) << read(dir / "service.out");
    // One dead letter: the sandbox refuses the first notification, quoting its pupil.
    sandbox::Faults refuse;
    refuse.fail = 1;
    refuse.status = 422;
    refuse.echo = true;
    server->setFaults(refuse);
    auto sync = send("POST", "/sync", "", "", "Bearer admin-secret");
    ASSERT_EQ(sync.status, 200) << sync.body;
    ASSERT_EQ(nlohmann::json::parse(sync.body)["dead_lettered"], 1) << sync.body;
  }

  static std::string read(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // The first dead letter's number (0: none), as the admin API lists them.
  int64_t deadSeq() {
    auto dead = send("GET", "/outbox?state=dead", "", "", "Bearer admin-secret");
    auto items = nlohmann::json::parse(dead.body, nullptr, false);
    if (!items.is_object() || items["items"].empty()) return 0;
    return items["items"][0]["seq"].get<int64_t>();
  }
};

}  // namespace

TEST_F(ConsoleHttp, LoggingInGivesAnHttpOnlySecureStrictCookieAndTheOverview) {
  EXPECT_EQ(send("GET", "/console/").location, "/console/login");  // not logged in
  // The admin API's bearer token is no way into the console.
  EXPECT_EQ(send("GET", "/console/", "", "", "Bearer admin-secret").status, 303);
  auto answer = postLogin("tech", "tech-password-1");
  ASSERT_EQ(answer.status, 303) << answer.body;
  EXPECT_EQ(answer.location, "/console/");
  EXPECT_NE(answer.cookie.find("HttpOnly"), std::string::npos) << answer.cookie;
  EXPECT_NE(answer.cookie.find("Secure"), std::string::npos);
  EXPECT_NE(answer.cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(answer.cookie.find("Path=/console"), std::string::npos);
  EXPECT_EQ(cookieValue(answer.cookie).size(), 64u);  // 256 random bits
  auto overview = send("GET", "/console/", "", "mb_session=" + cookieValue(answer.cookie));
  ASSERT_EQ(overview.status, 200);
  EXPECT_NE(overview.body.find("<h1>Overview</h1>"), std::string::npos);
  EXPECT_NE(overview.body.find("Test School"), std::string::npos);
  EXPECT_NE(overview.body.find(">sims<"), std::string::npos);  // the source
  EXPECT_NE(overview.body.find(">la<"), std::string::npos);    // the sink
  // A forged session id is nobody.
  EXPECT_EQ(send("GET", "/console/", "", "mb_session=" + std::string(64, 'a')).status, 303);
}

TEST_F(ConsoleHttp, APostWithoutTheCsrfTokenIsRefusedAndARetryWithItIsDelivered) {
  auto [session, csrf] = login("tech", "tech-password-1");
  ASSERT_EQ(csrf.size(), 64u);
  int64_t seq = deadSeq();
  ASSERT_GT(seq, 0);
  std::string retry = "/console/outbox/" + std::to_string(seq) + "/retry";
  EXPECT_EQ(send("POST", retry, "", session).status, 403);
  EXPECT_EQ(send("POST", retry, "csrf=" + std::string(64, '0'), session).status, 403);
  EXPECT_EQ(send("POST", retry, "csrf=" + csrf).status, 403);  // the token without the session
  EXPECT_EQ(deadSeq(), seq);                                   // still dead
  auto done = send("POST", retry, "csrf=" + csrf, session);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.location, "/console/outbox?done=retry&item=" + std::to_string(seq));
  // The service sends it at once, not at the next register.
  EXPECT_TRUE(test::waitUntil([&] { return server->received().size() == 2; }))
      << server->received().size() << read(dir / "service.out");
  EXPECT_EQ(deadSeq(), 0);
  auto page = send("GET", done.location, "", session);
  EXPECT_NE(page.body.find("is back to pending"), std::string::npos);
}

TEST_F(ConsoleHttp, PagesAnswerWhileADeliveryIsInFlight) {
  auto [session, csrf] = login("officer", "officer-password-1");
  sandbox::Faults hold;
  hold.hold = 1;  // the retried notification waits at the sandbox until released
  server->setFaults(hold);
  auto seq = std::to_string(deadSeq());
  EXPECT_EQ(send("POST", "/console/outbox/" + seq + "/retry", "csrf=" + csrf, session).status, 303);
  ASSERT_TRUE(test::waitUntil([&] { return server->holding() == 1; }));
  // The service is delivering (it holds the gateway): the console still answers.
  for (const char* path : {"/console/", "/console/outbox", "/console/login"})
    EXPECT_EQ(send("GET", path, "", session).status, 200) << path;
  server->release();
  EXPECT_TRUE(test::waitUntil([&] { return server->received().size() == 2; }));
}

TEST_F(ConsoleHttp, FailedLoginsAreThrottledAlikeForKnownAndUnknownNames) {
  std::vector<std::string> problems;  // what the 429 says, for each name
  for (const std::string name : {"tech", "nobody-here"}) {
    for (int i = 0; i < 5; ++i) {
      auto answer = postLogin(name, "wrong-password");
      EXPECT_EQ(answer.status, 401) << name;
      EXPECT_NE(answer.body.find("were not recognised"), std::string::npos);
    }
    // The sixth is refused before the password is looked at, even the right one.
    auto refused = postLogin(name, name == "tech" ? "tech-password-1" : "x");
    EXPECT_EQ(refused.status, 429) << name << refused.body;
    auto at = refused.body.find("<div class=\"problem\"");
    ASSERT_NE(at, std::string::npos);
    problems.push_back(refused.body.substr(at, refused.body.find("</div>", at) - at));
    EXPECT_NE(problems.back().find("Too many failed logins"), std::string::npos);
  }
  EXPECT_EQ(problems[0], problems[1]);  // nothing says whether the user exists
  EXPECT_EQ(postLogin("TECH", "tech-password-1").status, 429);  // a name's case is no way round
  EXPECT_EQ(postLogin("officer", "officer-password-1").status, 303);  // others are not held up
}

TEST_F(ConsoleHttp, ParallelWrongLoginsForOneNameHaveAtMostFivePasswordsChecked) {
  // An unknown name is checked against a dummy hash at the full cost (~0.1-0.3 s), the window in
  // which parallel guesses could all pass the throttle before the first failure was counted.
  constexpr int kGuesses = 16;
  std::vector<std::pair<std::string, std::string>> forms;  // csrf token, login cookie
  for (int i = 0; i < kGuesses; ++i) {
    auto form = send("GET", "/console/login");
    forms.emplace_back(csrfIn(form.body), cookieValue(form.cookie));
  }
  std::vector<int> statuses(kGuesses);
  std::vector<std::thread> guesses;
  for (int i = 0; i < kGuesses; ++i)
    guesses.emplace_back([&, i] {
      statuses[i] =
          send("POST", "/console/login",
               "csrf=" + forms[i].first + "&name=nobody-here&password=guess" + std::to_string(i),
               "mb_login=" + forms[i].second)
              .status;
    });
  for (auto& g : guesses) g.join();
  int checked = static_cast<int>(std::count(statuses.begin(), statuses.end(), 401));
  EXPECT_LE(checked, 5);  // the rest 429 (too many failures, or too many checks at once)
  EXPECT_GE(checked, 1);
}

TEST_F(ConsoleHttp, NoPupilNameIsServedToATechnicianOnAnyPage) {
  auto [session, csrf] = login("tech", "tech-password-1");
  std::vector<std::string> pages = {
      "/console/", "/console", "/console/outbox", "/console/outbox?state=dead",
      "/console/outbox?state=delivered", "/console/outbox?state=pending", "/console/outbox?sink=la",
      "/console/outbox?done=retry&item=1", "/console/login", "/console/no-such-page",
      "/console/style.css",
      // The pupil pages: refused to a technician (403, saying why).
      "/console/pupils", "/console/pupils?band=pa&sort=name", "/console/pupils/" + kUpns[0],
      "/console/pupils/" + kUpns[1] + "?day=2024-09-16", "/console/pupils/" + maskUpn(kUpns[0]),
      // The weekly report too (counts, but of groups as small as CP or CLA).
      "/console/report", "/console/report.csv"};
  for (const auto& path : pages) {
    auto page = send("GET", path, "", session);
    if (path.starts_with("/console/pupils") || path.starts_with("/console/report")) {
      EXPECT_EQ(page.status, 403) << path;
      EXPECT_NE(page.body.find("does not see pupils"), std::string::npos) << path;
    } else {
      EXPECT_TRUE(page.status == 200 || page.status == 404) << path << " " << page.status;
      // Nor is the way to them offered.
      EXPECT_EQ(page.body.find("/console/pupils"), std::string::npos) << path;
      EXPECT_EQ(page.body.find("/console/report"), std::string::npos) << path;
    }
    for (int p = 0; p < 2; ++p) {
      EXPECT_EQ(page.body.find(kForenames[p]), std::string::npos) << path;
      EXPECT_EQ(page.body.find(kSurnames[p]), std::string::npos) << path;
      EXPECT_EQ(page.body.find(kUpns[p]), std::string::npos) << path;
    }
  }
  auto outbox = send("GET", "/console/outbox", "", session).body;
  EXPECT_NE(outbox.find(maskUpn(kUpns[0])), std::string::npos) << outbox;
  // The attendance officer may see them: the fixture does hold the names.
  auto officer = login("officer", "officer-password-1").first;
  auto seen = send("GET", "/console/outbox", "", officer).body;
  EXPECT_NE(seen.find(std::string(kForenames[0]) + " " + kSurnames[0]), std::string::npos);
  EXPECT_NE(seen.find(std::string(kForenames[1]) + " " + kSurnames[1]), std::string::npos);
  auto list = send("GET", "/console/pupils", "", officer).body;
  EXPECT_NE(list.find(std::string(kSurnames[0]) + ", " + kForenames[0]), std::string::npos) << list;
}

// Every spelling of a fixture pupil's name or UPN a destination's answer could hold.
std::vector<std::string> pupilSpellings() {
  std::vector<std::string> all;
  auto add = [&](std::string text) {
    std::string upper = text, lowerText = text, escaped, escapedUpper;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (auto& c : lowerText) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (unsigned char c : text) {
      char unit[8];
      std::snprintf(unit, sizeof unit, "\\u%04x", c);
      escaped += unit;
      std::snprintf(unit, sizeof unit, "\\u%04X", c);
      escapedUpper += unit;
    }
    for (auto& t : {text, upper, lowerText, escaped, escapedUpper}) all.push_back(t);
  };
  for (int p = 0; p < 2; ++p) {
    add(kForenames[p]);
    add(kSurnames[p]);
    add(kUpns[p]);
  }
  return all;
}

TEST_F(ConsoleHttp, ATechnicianSeesNoPupilInADestinationsAnswerOrFailure) {
  auto [tech, techCsrf] = login("tech", "tech-password-1");
  auto officer = login("officer", "officer-password-1");
  std::vector<std::string> pages = {"/console/", "/console/outbox", "/console/outbox?state=dead",
                                    "/console/outbox?state=pending", "/console/outbox?sink=la"};
  auto check = [&](const std::string& when) {
    for (const auto& path : pages) {
      auto page = send("GET", path, "", tech);
      ASSERT_EQ(page.status, 200) << path;
      for (const auto& name : pupilSpellings())
        EXPECT_EQ(page.body.find(name), std::string::npos) << when << " " << path << " " << name;
    }
  };
  // The 422's answer (a dead letter) quotes the pupil, in capitals and \u-escaped.
  auto seen = send("GET", "/console/outbox?state=dead", "", officer.first).body;
  ASSERT_NE(seen.find("HTTP 422"), std::string::npos) << seen;
  ASSERT_NE(seen.find("\\u00"), std::string::npos) << seen;  // the officer reads the answer
  check("after a 422");
  auto dead = send("GET", "/console/outbox?state=dead", "", tech).body;
  EXPECT_NE(dead.find("HTTP 422 (ask the attendance officer or DSL to read the answer)"),
            std::string::npos)
      << dead;
  EXPECT_EQ(dead.find("The destination's answer"), std::string::npos);
  // A 500 (retried: the sink's last failure on the overview) quoting the pupil too.
  sandbox::Faults outage;
  outage.fail = 1000;  // every attempt while the test looks
  outage.status = 500;
  outage.echo = true;
  server->setFaults(outage);
  auto seq = std::to_string(deadSeq());
  ASSERT_EQ(
      send("POST", "/console/outbox/" + seq + "/retry", "csrf=" + officer.second, officer.first)
          .status,
      303);
  ASSERT_TRUE(test::waitUntil([&] {
    return send("GET", "/console/", "", officer.first).body.find("HTTP 500: refused") !=
           std::string::npos;
  })) << read(dir / "service.out");
  check("after a 500");
  auto overview = send("GET", "/console/", "", tech).body;
  EXPECT_NE(overview.find("HTTP 500 (ask the attendance officer or DSL to read the answer)"),
            std::string::npos)
      << overview;
}

TEST_F(ConsoleHttp, ClientsTricklingAFormAreCutAndHealthStillAnswers) {
  // More clients than the API has workers, each sending a login form's head at once and its
  // body a byte at a time: without one deadline on the whole body each would hold a worker.
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "",
                                                           "", "", Poco::Net::Context::VERIFY_NONE);
  Poco::Net::SocketAddress address("127.0.0.1", static_cast<uint16_t>(port));
  std::atomic<bool> done{false};
  std::atomic<int> cut{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 20; ++i)
    clients.emplace_back([&] {
      try {
        Poco::Net::SecureStreamSocket slow(address, context);
        std::string head =
            "POST /console/login HTTP/1.1\r\nHost: x\r\nContent-Type: "
            "application/x-www-form-urlencoded\r\nContent-Length: 8000\r\n\r\n";
        slow.sendBytes(head.data(), static_cast<int>(head.size()));
        for (int sent = 0; sent < 8000 && !done; ++sent) {
          slow.sendBytes("a", 1);
          // pacing: the slow client under test sends a byte a tenth of a second (not a wait)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      } catch (...) {
        ++cut;  // cut off by the server: what it should do
      }
    });
  // Each client's request is under way; /health answers all the same, and the clients are cut.
  auto health = send("GET", "/health");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_TRUE(test::waitUntil([&] { return cut == 20; })) << cut;
  done = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(postLogin("tech", "tech-password-1").status, 303);  // and the console still works
}

TEST_F(ConsoleHttp, AReadOnlyUserSeesTheOutboxButCannotRetry) {
  auto [session, csrf] = login("viewer", "viewer-password-1");
  auto page = send("GET", "/console/outbox?state=dead", "", session);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find(">Retry</button>"), std::string::npos);
  EXPECT_NE(page.body.find("cannot retry or discard"), std::string::npos);
  int64_t seq = deadSeq();
  auto refused =
      send("POST", "/console/outbox/" + std::to_string(seq) + "/retry", "csrf=" + csrf, session);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(deadSeq(), seq);
}

TEST_F(ConsoleHttp, LogoutAndRemovalEndTheSessionAndTheAuditLogSaysWhoDidWhat) {
  auto [session, csrf] = login("tech", "tech-password-1");
  EXPECT_EQ(postLogin("officer", "not-the-password").status, 401);
  EXPECT_EQ(send("GET", "/console/outbox", "", session).status, 200);
  int64_t seq = deadSeq();
  auto discard =
      send("POST", "/console/outbox/" + std::to_string(seq) + "/discard", "csrf=" + csrf, session);
  EXPECT_EQ(discard.status, 303);
  auto out = send("POST", "/console/logout", "csrf=" + csrf, session);
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(out.cookie.find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(send("GET", "/console/", "", session).status, 303);  // the old id is nobody now
  // A user removed from the file loses the session they had.
  auto [officer, officerCsrf] = login("officer", "officer-password-1");
  EXPECT_EQ(send("GET", "/console/", "", officer).status, 200);
  auto users = readConsoleUsers(dir / "users");
  std::erase_if(users, [](const ConsoleUser& u) { return u.name == "officer"; });
  writeConsoleUsers(dir / "users", users);
  EXPECT_EQ(send("GET", "/console/", "", officer).status, 303);
  // Refusals anyone can cause (no session) are one audit line a minute per address, not one each.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(send("POST", "/console/outbox/1/retry", "csrf=x").status, 403);

  std::string all;
  auto lines = test::auditLines(dir / "console-audit.jsonl", all);
  auto has = [&](const std::string& user, const std::string& action, const std::string& target) {
    for (const auto& l : lines)
      if (l["user"] == user && l["action"] == action && l["target"] == target) return true;
    return false;
  };
  EXPECT_TRUE(has("tech", "login", "/console/login")) << all;
  EXPECT_TRUE(has("officer", "login_failed", "/console/login")) << all;
  EXPECT_TRUE(has("tech", "open", "/console/outbox")) << all;
  EXPECT_TRUE(has("tech", "discard", "outbox " + std::to_string(seq))) << all;
  EXPECT_TRUE(has("tech", "logout", "/console/logout")) << all;
  EXPECT_EQ(all.find("tech-password-1"), std::string::npos);
  EXPECT_EQ(all.find("not-the-password"), std::string::npos);
  EXPECT_EQ(all.find(cookieValue(session)), std::string::npos);
  for (const auto& l : lines) EXPECT_TRUE(l.contains("time") && l.contains("address"));
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const auto& l) { return l["outcome"] == "no session"; }),
            1)
      << all;
}

TEST_F(ConsoleHttp, TheUserCommandTakesThePasswordFromStandardInputOnly) {
  auto run = [&](const std::string& input, const std::string& args) {
    std::string command = "cd '" + dir.path().string() + "' && printf '" + input + "' | '" +
                          MB_BINARY + "' user --config markbridge.json " + args + " 2>&1";
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    char buffer[512];
    while (pipe && std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
    int status = pipe ? ::pclose(pipe) : -1;
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, output);
  };
  auto added = run("a-long-password-9\\n", "add pat --role dsl");
  EXPECT_EQ(added.first, 0) << added.second;
  EXPECT_EQ(run("", "add pat --role dsl a-long-password-9").first, 2);  // never an argument
  EXPECT_EQ(run("short\\n", "add kim --role dsl").first, 2);
  EXPECT_EQ(run("a-long-password-9\\n", "add kim --role head").first, 2);
  auto twin = run("a-long-password-9\\n", "add PAT --role dsl");
  EXPECT_EQ(twin.first, 2);
  EXPECT_NE(twin.second.find("only in capitals"), std::string::npos) << twin.second;
  auto list = run("", "list");
  EXPECT_NE(list.second.find("pat  dsl"), std::string::npos) << list.second;
  EXPECT_NE(list.second.find("tech  technician"), std::string::npos);
  EXPECT_EQ(read(dir / "users").find("a-long-password-9"), std::string::npos);
  auto pat = login("pat", "a-long-password-9");
  EXPECT_EQ(pat.second.size(), 64u);
  // A password reset (the same name and role, a new password) ends the session the old one gave.
  EXPECT_EQ(send("GET", "/console/", "", pat.first).status, 200);
  EXPECT_EQ(run("another-password-7\\n", "add pat --role dsl").first, 0);
  EXPECT_EQ(send("GET", "/console/", "", pat.first).status, 303);
  EXPECT_EQ(postLogin("pat", "a-long-password-9").status, 401);
  EXPECT_EQ(login("pat", "another-password-7").second.size(), 64u);
  EXPECT_EQ(run("", "remove pat").first, 0);
  EXPECT_EQ(postLogin("pat", "a-long-password-9").status, 401);
}

TEST(ConsoleCheck, CheckRefusesAUsersFileOthersCanReadAndWarnsWhenItIsEmpty) {
  test::TempDir dir;
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write(
      "markbridge.json",
      test::schoolConfig(
          {{"service", {{"admin_token_env", "MB_ADMIN_TOKEN"}, {"console_users_file", "users"}}}})
          .dump());
  std::map<std::string, std::string> env = {{"MB_ADMIN_TOKEN", "a-long-admin-token-123456"}};
  auto none = test::runMarkbridge({"check", "--config", "markbridge.json"}, env, dir.path());
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("no console users yet"), std::string::npos) << none.out;
  writeConsoleUsers(dir / "users",
                    {{"sam", ConsoleRole::Technician, hashPassword("pw", ScryptCost{1024, 8, 1})}});
  ::chmod((dir / "users").c_str(), 0644);
  auto open = test::runMarkbridge({"check", "--config", "markbridge.json"}, env, dir.path());
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_NE(open.err.find("$.service.console_users_file"), std::string::npos) << open.err;
  EXPECT_NE(open.err.find("chmod 600"), std::string::npos) << open.err;
}

TEST(ConsoleTls, WithoutTlsTheConsoleServesNothingBeyondThisMachine) {
  test::TempDir dir;
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("markbridge.json", test::schoolConfig({{"service",
                                                    {{"admin_port", 0},
                                                     {"admin_bind", "0.0.0.0"},
                                                     {"port_file", "admin.port"},
                                                     {"admin_token_env", "MB_ADMIN_TOKEN"},
                                                     {"console_users_file", "users"}}}})
                                   .dump());
  writeConsoleUsers(dir / "users",
                    {{"sam", ConsoleRole::Technician, hashPassword("pw", ScryptCost{1024, 8, 1})}});
  pid_t pid = test::spawnMarkbridge({"run", "--config", "markbridge.json"},
                                    {{"MB_ADMIN_TOKEN", "a-long-admin-token-123456"}}, dir.path(),
                                    dir / "service.out", dir / "service.out");
  ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(dir / "admin.port"); }));
  int port = 0;
  std::ifstream(dir / "admin.port") >> port;
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(port));
  Poco::Net::HTTPRequest request("GET", "/console/login", Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_FORBIDDEN);
  EXPECT_NE(body.find("The console needs TLS"), std::string::npos) << body;
  EXPECT_EQ(body.find("<form"), std::string::npos);  // no login form to type a password into
}
