// The web console of a trust's service (`schools: [...]`), over real HTTPS against the built
// `markbridge run`: each school's pages show its own pupils only (the pupil list, a pupil's page,
// the weekly report, the outbox), every link and form keeps the school, the switcher is on every
// page, an unknown URN is a 404 naming the schools, a retry or discard acts on its own school's
// item, the login leads back to the school asked for, the audit log names the school, the trust
// view has a row per school, a technician sees no pupil's name at any school; and a single
// school's console shows no switcher.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/app/console/console_users.h"
#include "core/app/console/password_hash.h"
#include "core/domain/upn.h"
#include "tests/integration/console_client.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

using test::validUpn;

// Each school's one pupil: names no page could hold by chance. The second school's name needs
// escaping.
struct TrustSchool {
  std::string urn, name, upn, forename, surname;
};
const TrustSchool kSchools[] = {
    {"140001", "Abbey Primary", validUpn("A801400010001"), "Zebedee", "Quillfeather"},
    {"140002", "Brook \"Academy\" <b>&</b>", validUpn("A801400020001"), "Xanthippe",
     "Marchbanks-Oyelaran"},
};
const std::string kBrookEscaped = "Brook &quot;Academy&quot; &lt;b&gt;&amp;&lt;/b&gt;";

using Answer = test::ConsoleAnswer;

struct ConsoleTrust : ::testing::Test, test::ConsoleClient {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> la[2] = {test::startSandbox(), test::startSandbox()};
  pid_t pid = -1;

  ~ConsoleTrust() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  // Both schools, each away (N) every session of two weeks; the second school's LA refuses its
  // first notification (a dead letter at that school only).
  void SetUp() override {
    dir.write("calendar.json", test::autumnCalendarJson());
    auto cal = test::autumnCalendar();
    nlohmann::json schools = nlohmann::json::array();
    for (int s = 0; s < 2; ++s) {
      const auto& school = kSchools[s];
      std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Date,Session,Mark\n";
      for (Date day : cal.schoolDays(test::d("2024-09-16"), test::d("2024-09-27")))
        for (const char* session : {"AM", "PM"})
          csv += school.upn + ",100" + std::to_string(s) + "," + school.surname + "," +
                 school.forename + "," + day.iso() + "," + session + ",N\n";
      dir.write(school.urn + ".csv", csv);
      schools.push_back(
          {{"school",
            {{"urn", school.urn},
             {"la", "801"},
             {"estab", "400" + school.urn.substr(5)},
             {"name", school.name}}},
           {"calendar", "calendar.json"},
           {"sources",
            {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {school.urn + ".csv"}}}}},
           {"sinks", {test::laSink(la[s]->baseUrl())}}});
    }
    nlohmann::json config = {{"schools", schools}, {"service", test::consoleService()}};
    dir.write("trust.json", config.dump(2));
    ScryptCost cheap{1024, 8, 1};
    writeConsoleUsers(
        dir / "users",
        {{"tech", ConsoleRole::Technician, hashPassword("tech-password-1", cheap)},
         {"officer", ConsoleRole::AttendanceOfficer, hashPassword("officer-password-1", cheap)}});
    pid = test::spawnMarkbridge(
        {"run", "--config", "trust.json"},
        {{"MB_LA_TOKEN", "la-sandbox-token"}, {"MB_ADMIN_TOKEN", "admin-secret"}}, dir.path(),
        dir / "service.out", dir / "service.out");
    ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(dir / "admin.port"); }))
        << read(dir / "service.out");
    std::ifstream(dir / "admin.port") >> port;
    sandbox::Faults refuse;
    refuse.fail = 1;
    refuse.status = 422;
    la[1]->setFaults(refuse);
    for (const auto& school : kSchools) {
      Answer sync;
      ASSERT_TRUE(test::waitUntil([&] {
        sync = send("POST", "/sync?school=" + school.urn, "", "", "Bearer admin-secret");
        return sync.status != 409;
      }));
      ASSERT_EQ(sync.status, 200) << sync.body;
    }
  }

  static std::string read(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  nlohmann::json adminOutbox(const std::string& urn, const std::string& state) {
    auto answer =
        send("GET", "/outbox?school=" + urn + "&state=" + state, "", "", "Bearer admin-secret");
    return nlohmann::json::parse(answer.body, nullptr, false);
  }
  // Every console page of a school that a pupil role opens (HTML ones), by path.
  static std::vector<std::string> pagesOf(const TrustSchool& s) {
    std::string q = "school=" + s.urn;
    return {"/console/?" + q,
            "/console/outbox?" + q,
            "/console/outbox?state=dead&" + q,
            "/console/pupils?" + q,
            "/console/pupils?band=pa&sort=name&" + q,
            "/console/pupils/" + s.upn + "?" + q,
            "/console/pupils/" + s.upn + "?day=2024-09-16&" + q,
            "/console/report?" + q,
            "/console/backtest?" + q,
            "/console/backtest?policy=configured&from=2024-09-02&to=2024-09-27&" + q};
  }
  static bool holdsPupil(const std::string& body, const TrustSchool& s) {
    return body.find(s.forename) != std::string::npos ||
           body.find(s.surname) != std::string::npos || body.find(s.upn) != std::string::npos;
  }
  // Every console link and GET form of `page` keeps `school=URN`; the switcher is there with
  // the school chosen.
  static void expectSchoolKept(const std::string& page, const std::string& urn,
                               const std::string& path) {
    static const std::regex link("(href|action)=\"(/console/[^\"]*)\"");
    int links = 0;
    for (std::sregex_iterator at(page.begin(), page.end(), link), end; at != end; ++at) {
      std::string url = (*at)[2];
      if (url == "/console/style.css") continue;
      if (url == "/console/" || url == "/console/outbox" || url == "/console/pupils" ||
          url == "/console/report" || url == "/console/backtest") {
        // Only the switcher's own form goes to a bare section (its select names the school).
        EXPECT_NE(page.substr(at->position() - 40, 40).find("class=\"switcher\""),
                  std::string::npos)
            << path << ": " << url;
        continue;
      }
      ++links;
      EXPECT_NE(url.find("school=" + urn), std::string::npos) << path << ": " << url;
    }
    EXPECT_GT(links, 3) << path;
    static const std::regex getForm("<form([^>]*)method=\"get\"([^>]*)>(.{0,60})");
    for (std::sregex_iterator at(page.begin(), page.end(), getForm), end; at != end; ++at) {
      if (std::string((*at)[1]).find("switcher") != std::string::npos) continue;
      EXPECT_EQ(std::string((*at)[3]).rfind(
                    "<input type=\"hidden\" name=\"school\" value=\"" + urn + "\">", 0),
                0u)
          << path << ": " << (*at)[0];
    }
    EXPECT_NE(page.find("<label for=\"school-switcher\">School</label><select "
                        "id=\"school-switcher\" name=\"school\">"),
              std::string::npos)
        << path;
    EXPECT_NE(page.find("<option value=\"" + urn + "\" selected>"), std::string::npos) << path;
    EXPECT_NE(page.find(kBrookEscaped + " (140002)</option>"), std::string::npos) << path;
    EXPECT_NE(page.find("href=\"/console/schools?school=" + urn + "\""), std::string::npos) << path;
  }
};

}  // namespace

TEST_F(ConsoleTrust, EachSchoolsPagesShowItsOwnPupilsOnlyAndKeepTheSchool) {
  auto [session, csrf] = login("officer", "officer-password-1");
  for (int s = 0; s < 2; ++s) {
    const auto& mine = kSchools[s];
    const auto& other = kSchools[1 - s];
    for (const auto& path : pagesOf(mine)) {
      auto page = send("GET", path, "", session);
      EXPECT_EQ(page.status, 200) << path << page.body;
      EXPECT_FALSE(holdsPupil(page.body, other)) << path;
      expectSchoolKept(page.body, mine.urn, path);
    }
    // Its pupil is on its list, its pupil page, its outbox and its weekly report's CSV.
    std::string name = mine.forename + " " + mine.surname;
    auto list = send("GET", "/console/pupils?school=" + mine.urn, "", session).body;
    EXPECT_NE(list.find(mine.surname + ", " + mine.forename), std::string::npos) << list;
    EXPECT_NE(send("GET", "/console/pupils/" + mine.upn + "?school=" + mine.urn, "", session)
                  .body.find(name),
              std::string::npos);
    EXPECT_NE(send("GET", "/console/outbox?school=" + mine.urn, "", session).body.find(name),
              std::string::npos);
    auto csv = send("GET", "/console/report.csv?school=" + mine.urn, "", session);
    EXPECT_EQ(csv.status, 200);
    // The other school's pupil is not found under this school.
    auto elsewhere =
        send("GET", "/console/pupils/" + other.upn + "?school=" + mine.urn, "", session);
    EXPECT_EQ(elsewhere.status, 404);
    EXPECT_FALSE(holdsPupil(elsewhere.body, other));
  }
  // The banner names the school shown (escaped), with its URN.
  auto brook = send("GET", "/console/?school=140002", "", session).body;
  EXPECT_NE(brook.find("Markbridge &middot; " + kBrookEscaped + " (140002)"), std::string::npos)
      << brook;
  EXPECT_EQ(brook.find("<b>&</b>"), std::string::npos);
  // No school named: the first.
  auto first = send("GET", "/console/pupils", "", session).body;
  EXPECT_NE(first.find(kSchools[0].surname), std::string::npos);
  EXPECT_NE(first.find("<option value=\"140001\" selected>"), std::string::npos);
}

TEST_F(ConsoleTrust, AnUnknownSchoolIsA404NamingTheSchoolsServed) {
  auto [session, csrf] = login("officer", "officer-password-1");
  for (const std::string path : {"/console/?school=999999", "/console/pupils?school=140003",
                                 "/console/outbox?school=%3Cscript%3Ex", "/console/?school=%zz",
                                 "/console/schools?school=1"}) {
    auto page = send("GET", path, "", session);
    EXPECT_EQ(page.status, 404) << path;
    EXPECT_NE(page.body.find("href=\"/console/?school=140001\">Abbey Primary (140001)</a>"),
              std::string::npos)
        << page.body;
    EXPECT_NE(page.body.find(kBrookEscaped + " (140002)"), std::string::npos) << page.body;
    EXPECT_EQ(page.body.find("<script>"), std::string::npos) << page.body;
    for (const auto& school : kSchools) EXPECT_FALSE(holdsPupil(page.body, school)) << path;
    EXPECT_EQ(page.body.find("Outbox"), std::string::npos) << path;  // nothing else
  }
  // A POST for a school not served changes nothing.
  auto seq = adminOutbox("140002", "dead")["items"][0]["seq"].get<int64_t>();
  EXPECT_EQ(send("POST", "/console/outbox/" + std::to_string(seq) + "/discard?school=999999",
                 "csrf=" + csrf, session)
                .status,
            404);
  EXPECT_EQ(adminOutbox("140002", "dead")["items"].size(), 1u);
  // A login page asked for an unreadable school is the first school's.
  auto login = send("GET", "/console/login?school=%zz");
  EXPECT_EQ(login.status, 200);
  EXPECT_NE(login.body.find("action=\"/console/login?school=140001\""), std::string::npos);
  // Nobody logged in is not told which schools there are.
  auto anonymous = send("GET", "/console/?school=999999");
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(anonymous.location, "/console/login");
}

TEST_F(ConsoleTrust, ADiscardActsOnItsSchoolsItemAndTheAuditLogNamesTheSchool) {
  // Both schools' outboxes number their items from 1: a discard at one leaves the other's alone.
  auto dead = adminOutbox("140002", "dead");
  ASSERT_EQ(dead["items"].size(), 1u) << dead.dump();
  auto seq = dead["items"][0]["seq"].get<int64_t>();
  auto abbeyDelivered = adminOutbox("140001", "delivered")["items"].size();
  auto brookDelivered = adminOutbox("140002", "delivered")["items"].size();
  ASSERT_GE(abbeyDelivered, 1u);

  auto [session, csrf] = login("officer", "officer-password-1");
  auto outbox = send("GET", "/console/outbox?school=140002", "", session).body;
  std::string action = "/console/outbox/" + std::to_string(seq) + "/discard?school=140002";
  ASSERT_NE(outbox.find("action=\"" + action + "\""), std::string::npos) << outbox;
  auto done = send("POST", action, "csrf=" + csrf, session);
  EXPECT_EQ(done.status, 303);
  EXPECT_EQ(done.location,
            "/console/outbox?done=discard&item=" + std::to_string(seq) + "&school=140002");
  auto shown = send("GET", done.location, "", session).body;
  EXPECT_NE(shown.find("Item " + std::to_string(seq) + " is discarded"), std::string::npos);
  EXPECT_EQ(adminOutbox("140002", "discarded")["items"].size(), 1u);
  EXPECT_EQ(adminOutbox("140001", "discarded")["items"].size(), 0u);
  EXPECT_EQ(adminOutbox("140001", "delivered")["items"].size(), abbeyDelivered);
  // A retry brings it back, at its school.
  auto retry = send("POST", "/console/outbox/" + std::to_string(seq) + "/retry?school=140002",
                    "csrf=" + csrf, session);
  EXPECT_EQ(retry.status, 303);
  EXPECT_TRUE(test::waitUntil(
      [&] { return adminOutbox("140002", "delivered")["items"].size() == brookDelivered + 1; }));
  send("GET", "/console/pupils/" + kSchools[0].upn + "?school=140001", "", session);
  send("POST", "/console/logout?school=140002", "csrf=" + csrf, session);

  std::string all;
  auto lines = test::auditLines(dir / "console-audit.jsonl", all);
  auto has = [&](const std::string& action, const std::string& target, const std::string& urn) {
    for (const auto& l : lines)
      if (l["action"] == action && l["target"] == target && l["school"] == urn) return true;
    return false;
  };
  EXPECT_TRUE(has("login", "/console/login", "140001")) << all;
  EXPECT_TRUE(has("open", "/console/outbox", "140002")) << all;
  EXPECT_TRUE(has("discard", "outbox " + std::to_string(seq), "140002")) << all;
  EXPECT_TRUE(has("retry", "outbox " + std::to_string(seq), "140002")) << all;
  EXPECT_TRUE(has("open", "pupil " + kSchools[0].upn, "140001")) << all;
  EXPECT_TRUE(has("logout", "/console/logout", "140002")) << all;
  for (const auto& l : lines) EXPECT_TRUE(l["school"] == "140001" || l["school"] == "140002") << l;
}

TEST_F(ConsoleTrust, TheLoginLeadsBackToTheSchoolAskedFor) {
  auto away = send("GET", "/console/pupils?school=140002");
  EXPECT_EQ(away.status, 303);
  EXPECT_EQ(away.location, "/console/login?school=140002");
  auto form = send("GET", away.location);
  EXPECT_NE(form.body.find("action=\"/console/login?school=140002\""), std::string::npos)
      << form.body;
  EXPECT_NE(form.body.find(kBrookEscaped), std::string::npos);
  auto in = send("POST", "/console/login?school=140002",
                 "csrf=" + csrfIn(form.body) + "&name=officer&password=officer-password-1",
                 "mb_login=" + cookieValue(form.cookie));
  EXPECT_EQ(in.status, 303);
  EXPECT_EQ(in.location, "/console/?school=140002");
  std::string session = "mb_session=" + cookieValue(in.cookie);
  auto overview = send("GET", in.location, "", session);
  EXPECT_EQ(overview.status, 200);
  auto out =
      send("POST", "/console/logout?school=140002", "csrf=" + csrfIn(overview.body), session);
  EXPECT_EQ(out.location, "/console/login?school=140002");
}

TEST_F(ConsoleTrust, TheTrustViewHasARowPerSchoolLinkingToItsOverview) {
  auto [session, csrf] = login("officer", "officer-password-1");
  auto view = send("GET", "/console/schools", "", session);
  ASSERT_EQ(view.status, 200) << view.body;
  EXPECT_NE(view.body.find("<a href=\"/console/?school=140001\">Abbey Primary</a>"),
            std::string::npos)
      << view.body;
  EXPECT_NE(view.body.find("<a href=\"/console/?school=140002\">" + kBrookEscaped + "</a>"),
            std::string::npos);
  // Brook's LA refused its notification: a dead letter there, none at Abbey.
  EXPECT_NE(view.body.find("la: 0 pending, 0 dead"), std::string::npos) << view.body;
  EXPECT_NE(view.body.find("la: 0 pending, <a href=\"/console/outbox?state=dead&amp;sink=la&amp;"
                           "school=140002\">1 dead</a>"),
            std::string::npos)
      << view.body;
  // Health and its problems: the test calendar (2024-25) has no school day ahead of today.
  EXPECT_NE(view.body.find("degraded</span><ul><li>no sync is due in the next school week"),
            std::string::npos)
      << view.body;
  EXPECT_NE(view.body.find("sync of school 140002 asked for through the admin API"),
            std::string::npos);
  // The persistent absentees: worked out when a school's list is opened, not by this page.
  EXPECT_NE(view.body.find("not worked out yet"), std::string::npos);
  send("GET", "/console/pupils?school=140002", "", session);
  auto after = send("GET", "/console/schools?school=140002", "", session).body;
  EXPECT_NE(after.find("<a href=\"/console/pupils?band=pa&amp;school=140002\">1</a>"),
            std::string::npos)
      << after;
  for (const auto& school : kSchools) EXPECT_FALSE(holdsPupil(after, school));
  // The technician's: no persistent absentees column, no pupil.
  auto tech = login("tech", "tech-password-1").first;
  auto techView = send("GET", "/console/schools?school=140002", "", tech).body;
  EXPECT_NE(techView.find("Abbey Primary"), std::string::npos);
  EXPECT_EQ(techView.find("Persistent absentees"), std::string::npos);
  EXPECT_EQ(techView.find("/console/pupils"), std::string::npos);
}

TEST_F(ConsoleTrust, NoPupilNameIsServedToATechnicianOnAnyPageOfEitherSchool) {
  auto [session, csrf] = login("tech", "tech-password-1");
  for (const auto& school : kSchools) {
    std::string q = "school=" + school.urn;
    std::vector<std::string> pages = pagesOf(school);
    for (const auto& more : {"/console/outbox?state=delivered&", "/console/outbox?state=pending&",
                             "/console/outbox?sink=la&", "/console/outbox?done=retry&item=1&",
                             "/console/login?", "/console/no-such-page?", "/console/schools?",
                             "/console/report.csv?", "/console/pupils/B801200005001?"})
      pages.push_back(more + q);
    pages.push_back("/console/pupils/" + maskUpn(school.upn) + "?" + q);
    for (const auto& path : pages) {
      auto page = send("GET", path, "", session);
      bool pupilPage = path.starts_with("/console/pupils") || path.starts_with("/console/report") ||
                       path.starts_with("/console/backtest");
      if (pupilPage) {
        EXPECT_EQ(page.status, 403) << path;
      } else {
        EXPECT_TRUE(page.status == 200 || page.status == 404) << path << " " << page.status;
        EXPECT_EQ(page.body.find("/console/pupils"), std::string::npos) << path;
        EXPECT_EQ(page.body.find("/console/report"), std::string::npos) << path;
      }
      for (const auto& any : kSchools) EXPECT_FALSE(holdsPupil(page.body, any)) << path;
    }
    auto outbox = send("GET", "/console/outbox?" + q, "", session).body;
    EXPECT_NE(outbox.find(maskUpn(school.upn)), std::string::npos) << outbox;
  }
}

// A single school's console: no switcher, no `school=` on its links, no trust view.
struct ConsoleSingleSchool : ::testing::Test, test::ConsoleClient {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  pid_t pid = -1;
  ~ConsoleSingleSchool() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

TEST_F(ConsoleSingleSchool, ShowsNoSwitcherAndKeepsItsLinksAsTheyWere) {
  dir.write("register.csv", "UPN,Adno,Legal Surname,Legal Forename,Date,Session,Mark\n" +
                                kSchools[0].upn + ",1000," + kSchools[0].surname + "," +
                                kSchools[0].forename + ",2024-09-16,AM,N\n");
  dir.write("calendar.json", test::autumnCalendarJson());
  pid = startService(dir, test::laSink(server->baseUrl()),
                     {{"officer", ConsoleRole::AttendanceOfficer, "officer-password-1"}});
  ASSERT_GT(port, 0);
  ASSERT_EQ(send("POST", "/sync", "", "", "Bearer admin-secret").status, 200);
  auto [session, csrf] = login("officer", "officer-password-1");
  std::ifstream log(dir / "service.out");
  std::string said((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_EQ(said.find("serves school"), std::string::npos);
  for (const auto& path : std::vector<std::string>{
           "/console/", "/console/outbox", "/console/pupils", "/console/pupils/" + kSchools[0].upn,
           "/console/report", "/console/backtest", "/console/login"}) {
    auto page = send("GET", path, "", session);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body.find("school-switcher"), std::string::npos) << path;
    EXPECT_EQ(page.body.find("school="), std::string::npos) << path;
    EXPECT_EQ(page.body.find("/console/schools"), std::string::npos) << path;
  }
  EXPECT_EQ(send("GET", "/console/schools", "", session).status, 404);
  // Its own URN is the first school; another is not served.
  EXPECT_EQ(send("GET", "/console/?school=140000", "", session).status, 200);
  EXPECT_EQ(send("GET", "/console/?school=140001", "", session).status, 404);
}

TEST_F(ConsoleTrust, ASchoolRemovedByAReloadIsNoLongerServed) {
  auto [session, csrf] = login("officer", "officer-password-1");
  for (const auto& school : kSchools)
    ASSERT_EQ(send("GET", "/console/pupils?school=" + school.urn, "", session).status, 200);
  auto config = nlohmann::json::parse(read(dir / "trust.json"));
  config["schools"].erase(1);
  dir.write("trust.json", config.dump(2));
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(test::waitUntil([&] {
    return read(dir / "service.out").find("schools removed: 140002") != std::string::npos;
  })) << read(dir / "service.out");
  EXPECT_EQ(send("GET", "/console/pupils?school=140002", "", session).status, 404);
  auto abbey = send("GET", "/console/pupils?school=140001", "", session);
  EXPECT_EQ(abbey.status, 200);
  EXPECT_NE(abbey.body.find(kSchools[0].surname), std::string::npos);
  EXPECT_EQ(abbey.body.find("140002"), std::string::npos);  // not in the switcher either
  auto view = send("GET", "/console/schools", "", session).body;
  EXPECT_NE(view.find("Abbey Primary"), std::string::npos);
  EXPECT_EQ(view.find("140002"), std::string::npos) << view;
}
