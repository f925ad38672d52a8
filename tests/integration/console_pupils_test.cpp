// The console's pupil pages over real HTTPS against the built `markbridge run` (the sandbox LA
// portal as its sink): the pupils-at-risk list's figures for a register whose figures are worked
// out by hand below, its filters, sorting and pages; a hostile name escaped; the pupil page's
// heatmap cells and a day's explanation; a technician refused; the audit line. And, without a
// server, the list's paging bounds and the store's every-pupil event history.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/app/console/console_users.h"
#include "core/app/console/password_hash.h"
#include "core/app/console/pupil_figures.h"
#include "core/domain/upn.h"
#include "core/store/console_reads.h"
#include "core/store/store.h"
#include "tests/integration/console_client.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

using test::validUpn;

// 100 possible sessions each over the first 50 school days of the autumn calendar (3 September
// on; 2 September is an INSET day). Absence is (authorised + unauthorised) / possible:
//   Persistent  89 present, then 11 N          89.0%, absence 11%: PA; a run of 11 sessions
//   Severe      49 present, then 51 N          49.0%, absence 51%: SA; its run of 25.5 school
//                                              days is an unauthorised_10_day notification
//   Hostile     95 present, 5 I (illness)      95.0%: no band; 5 illness sessions
//   Boundary    90 present, 10 I               90.0%, absence exactly 10%: PA
struct Fixture {
  std::string upn, surname, forename, reg, year, flag;
  int present;
  const char* absent;
};
const Fixture kPupils[] = {
    {validUpn("A801200005101"), "Persistent", "Pat", "7A", "7", "SEN", 89, "N"},
    {validUpn("A801200005102"), "Severe", "Sam", "7B", "7", "CP", 49, "N"},
    {validUpn("A801200005103"), "Hostile", "<script>alert(1)</script>", "8A", "8", "CLA", 95, "I"},
    {validUpn("A801200005104"), "Boundary", "Bo", "8A", "8", "FSM", 90, "I"},
};

struct ConsolePupils : ::testing::Test, test::ConsoleClient {
  test::TempDir dir;
  std::unique_ptr<sandbox::SandboxServer> server = test::startSandbox();
  pid_t pid = -1;
  std::vector<Date> days;  // the fixture's 50 school days

  ~ConsolePupils() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  void SetUp() override {
    auto cal = test::autumnCalendar();
    days = cal.schoolDays(test::d("2024-09-03"), cal.last());
    days.resize(50);
    std::string csv =
        "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,SEN,CP,CLA,FSM,"
        "Date,Session,Mark\n";
    for (const auto& p : kPupils)
      for (int s = 0; s < 100; ++s) {
        // A name with a comma or quote is quoted as CSV quotes it.
        csv += p.upn + ",2" + p.upn.substr(10) + "," + p.surname + ",\"" + p.forename + "\"," +
               p.reg + "," + p.year + "," + (p.flag == "SEN" ? "Y" : "N") + "," +
               (p.flag == "CP" ? "Y" : "N") + "," + (p.flag == "CLA" ? "Y" : "N") + "," +
               (p.flag == "FSM" ? "Y" : "N") + "," + days[static_cast<std::size_t>(s / 2)].iso() +
               "," + (s % 2 ? "PM" : "AM") + "," +
               (s < p.present ? (s % 2 ? "\\" : "/") : p.absent) + "\n";
      }
    dir.write("register.csv", csv);
    dir.write("calendar.json", test::autumnCalendarJson());
    pid = startService(dir, test::laSink(server->baseUrl()),
                       {{"tech", ConsoleRole::Technician, "tech-password-1"},
                        {"officer", ConsoleRole::AttendanceOfficer, "officer-password-1"},
                        {"lead", ConsoleRole::Dsl, "lead-password-12"},
                        {"viewer", ConsoleRole::ReadOnly, "viewer-password-1"}});
    ASSERT_GT(port, 0) << read(dir / "service.out");
    auto sync = send("POST", "/sync", "", "", "Bearer admin-secret");
    ASSERT_EQ(sync.status, 200) << sync.body;
  }

  static std::string read(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // The list's row of the pupil whose surname is `surname` ("" when not listed).
  static std::string rowOf(const std::string& page, const std::string& surname) {
    auto at = page.find(">" + surname + ", ");
    if (at == std::string::npos) return "";
    auto start = page.rfind("<tr>", at);
    return page.substr(start, page.find("</tr>", at) - start);
  }
  // The surnames listed, in the page's order.
  static std::vector<std::string> listed(const std::string& page) {
    std::vector<std::string> names;
    for (auto at = page.find("<th scope=\"row\"><a href=\"/console/pupils/");
         at != std::string::npos;
         at = page.find("<th scope=\"row\"><a href=\"/console/pupils/", at + 1)) {
      auto from = page.find('>', page.find("<a ", at)) + 1;
      names.push_back(page.substr(from, page.find(',', from) - from));
    }
    return names;
  }
  // The heatmap's group for `day` on a pupil page.
  static std::string cellOf(const std::string& page, Date day) {
    auto at = page.find("data-day=\"" + day.iso() + "\"");
    if (at == std::string::npos) return "";
    return page.substr(at, page.find("</a>", at) - at);
  }
};

}  // namespace

TEST_F(ConsolePupils, TheListHasTheFiguresWorkedOutByHandAndTheBands) {
  auto [session, csrf] = login("officer", "officer-password-1");
  auto page = send("GET", "/console/pupils?sort=name", "", session);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("4 pupils match"), std::string::npos);
  auto persistent = rowOf(page.body, "Persistent");
  EXPECT_NE(persistent.find(">89.0%<"), std::string::npos) << persistent;
  EXPECT_NE(persistent.find("89 of 100"), std::string::npos) << persistent;
  EXPECT_NE(persistent.find(">PA<"), std::string::npos) << persistent;
  // The current run: the last 11 sessions, from the afternoon of the 45th day.
  EXPECT_NE(persistent.find("11 since " + days[44].iso()), std::string::npos) << persistent;
  EXPECT_NE(persistent.find("?day=" + days[44].iso() + "#day"), std::string::npos);
  auto severe = rowOf(page.body, "Severe");
  EXPECT_NE(severe.find(">49.0%<"), std::string::npos) << severe;
  EXPECT_NE(severe.find(">SA<"), std::string::npos) << severe;
  EXPECT_NE(severe.find("51 since " + days[24].iso()), std::string::npos) << severe;
  // Its 10-day notification (the latest episode sent anywhere), delivered to the sandbox LA
  // portal by the sync.
  EXPECT_NE(severe.find("unauthorised_10_day"), std::string::npos) << severe;
  EXPECT_NE(severe.find(">delivered<"), std::string::npos) << severe;
  auto boundary = rowOf(page.body, "Boundary");
  EXPECT_NE(boundary.find(">90.0%<"), std::string::npos) << boundary;
  EXPECT_NE(boundary.find(">PA<"), std::string::npos) << boundary;            // exactly 10% absent
  EXPECT_NE(boundary.find("#year\">10</a>"), std::string::npos) << boundary;  // illness
  auto hostile = rowOf(page.body, "Hostile");
  EXPECT_NE(hostile.find(">95.0%<"), std::string::npos) << hostile;
  EXPECT_EQ(hostile.find(">PA<"), std::string::npos) << hostile;
  EXPECT_EQ(hostile.find(">SA<"), std::string::npos) << hostile;
  EXPECT_NE(hostile.find("#year\">5</a>"), std::string::npos) << hostile;
  // The hostile name is text, never markup.
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.body.find("Hostile, &lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  auto own = send("GET", "/console/pupils/" + kPupils[2].upn, "", session);
  ASSERT_EQ(own.status, 200);
  EXPECT_EQ(own.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(own.body.find("<h1>&lt;script&gt;alert(1)&lt;/script&gt; Hostile</h1>"),
            std::string::npos);
  // Hostile filter values come back as text too.
  auto echoed = send("GET", "/console/pupils?year=%3Cscript%3Ex&reg=%22%3E%3Cb%3E", "", session);
  EXPECT_EQ(echoed.status, 200);
  EXPECT_EQ(echoed.body.find("<script>x"), std::string::npos);
  EXPECT_EQ(echoed.body.find("\"><b>"), std::string::npos);
  // Every figure links to the pupil's page.
  EXPECT_NE(severe.find("href=\"/console/pupils/" + kPupils[1].upn + "#year\""), std::string::npos);
}

TEST_F(ConsolePupils, FiltersAndSortingChooseAndOrderThePupils) {
  auto [session, csrf] = login("viewer", "viewer-password-1");  // read-only sees pupils
  auto names = [&](const std::string& query) {
    auto page = send("GET", "/console/pupils" + query, "", session);
    EXPECT_EQ(page.status, 200) << query;
    return listed(page.body);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("?sort=name"), (V{"Boundary", "Hostile", "Persistent", "Severe"}));
  EXPECT_EQ(names(""), (V{"Severe", "Persistent", "Boundary", "Hostile"}));  // worst first
  EXPECT_EQ(names("?sort=percent&dir=desc"), (V{"Hostile", "Boundary", "Persistent", "Severe"}));
  EXPECT_EQ(names("?sort=illness&dir=desc"), (V{"Boundary", "Hostile", "Persistent", "Severe"}));
  EXPECT_EQ(names("?sort=run&dir=desc"), (V{"Severe", "Persistent", "Boundary", "Hostile"}));
  EXPECT_EQ(names("?band=pa&sort=name"), (V{"Boundary", "Persistent", "Severe"}));
  EXPECT_EQ(names("?band=sa"), (V{"Severe"}));
  EXPECT_EQ(names("?band=none"), (V{"Hostile"}));
  EXPECT_EQ(names("?year=8&sort=name"), (V{"Boundary", "Hostile"}));
  EXPECT_EQ(names("?reg=7B"), (V{"Severe"}));
  EXPECT_EQ(names("?sen=1"), (V{"Persistent"}));
  EXPECT_EQ(names("?cp=1"), (V{"Severe"}));
  EXPECT_EQ(names("?cla=1"), (V{"Hostile"}));
  EXPECT_EQ(names("?fsm=1"), (V{"Boundary"}));
  EXPECT_EQ(names("?year=7&band=sa&cp=1"), (V{"Severe"}));
  EXPECT_EQ(names("?year=7&fsm=1"), V{});
  // Out-of-range pages and unknown values fall back; nothing breaks.
  auto late = send("GET", "/console/pupils?page=999&sort=bogus&band=%3Cx%3E", "", session);
  EXPECT_EQ(late.status, 200);
  EXPECT_NE(late.body.find("page 1 of 1"), std::string::npos);
  EXPECT_EQ(listed(late.body).size(), 4u);
  EXPECT_EQ(send("GET", "/console/pupils?page=-3", "", session).status, 200);
  // The sorted column says so to a screen reader, and its link reverses it.
  auto sorted = send("GET", "/console/pupils?sort=name", "", session).body;
  EXPECT_NE(sorted.find("aria-sort=\"ascending\""), std::string::npos);
  EXPECT_NE(sorted.find("sort=name&amp;dir=desc"), std::string::npos);
}

TEST_F(ConsolePupils, ThePupilPageShowsTheMarksAsAHeatmapAndExplainsADay) {
  auto [session, csrf] = login("lead", "lead-password-12");
  const auto& severe = kPupils[1];
  auto page = send("GET", "/console/pupils/" + severe.upn, "", session);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("<h1>Sam Severe</h1>"), std::string::npos);
  // Day 1: present both sessions; day 25 (index 24): present AM (the 49th session), N PM.
  auto first = cellOf(page.body, days[0]);
  EXPECT_NE(first.find("AM / present"), std::string::npos) << first;
  EXPECT_NE(first.find("class=\"c-present\""), std::string::npos) << first;
  auto turn = cellOf(page.body, days[24]);
  EXPECT_NE(turn.find("AM / present"), std::string::npos) << turn;
  EXPECT_NE(turn.find("PM N "), std::string::npos) << turn;
  EXPECT_NE(turn.find("class=\"c-unauthorised\""), std::string::npos) << turn;
  EXPECT_NE(turn.find(">N</text>"), std::string::npos) << turn;  // the code, not colour alone
  // A day after the register stops: no mark, shown as such (never an absence).
  EXPECT_NE(cellOf(page.body, test::d("2024-12-02")).find("no mark"), std::string::npos);
  // INSET day and half term: not school days, no link.
  EXPECT_EQ(cellOf(page.body, test::d("2024-09-02")), "");
  EXPECT_NE(page.body.find("Not a school day"), std::string::npos);  // the legend
  EXPECT_NE(page.body.find("Attendance this year, cumulative"), std::string::npos);
  EXPECT_NE(page.body.find("<polyline"), std::string::npos);
  // Its notification, with the portal's reference and delivery time.
  EXPECT_NE(page.body.find("la: notification delivered"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("reference "), std::string::npos);
  // A day explained: the day's marks and the rule whose episode counts it.
  Date inRun = days[34];  // 21 October: the tenth whole school day of the run (8 October on)
  auto explained =
      send("GET", "/console/pupils/" + severe.upn + "?day=" + inRun.iso(), "", session).body;
  auto at = explained.find("<section class=\"day\"");
  ASSERT_NE(at, std::string::npos) << explained;
  auto section = explained.substr(at, explained.find("</section>", at) - at);
  EXPECT_NE(section.find(
                "<td>N</td><td>reason for absence not yet established</td><td>unauthorised</td>"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("statutory.unauthorised_10_day</strong>: holds"), std::string::npos)
      << section;
  EXPECT_NE(section.find("this day is counted in its episode of"), std::string::npos) << section;
  // By masked UPN too; a nonsense day is ignored, an unknown pupil is 404.
  EXPECT_EQ(
      send("GET", "/console/pupils/" + maskUpn(severe.upn) + "?day=nonsense", "", session).status,
      200);
  EXPECT_EQ(send("GET", "/console/pupils/" + validUpn("A801200009999"), "", session).status, 404);
}

TEST_F(ConsolePupils, ATechnicianIsRefusedAndEveryPupilOpenedIsAnAuditLine) {
  auto [tech, techCsrf] = login("tech", "tech-password-1");
  auto refused = send("GET", "/console/pupils/" + kPupils[0].upn, "", tech);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("does not see pupils"), std::string::npos);
  EXPECT_EQ(refused.body.find("Persistent"), std::string::npos);
  EXPECT_EQ(send("GET", "/console/pupils", "", tech).status, 403);
  auto [officer, csrf] = login("officer", "officer-password-1");
  EXPECT_EQ(send("GET", "/console/pupils/" + kPupils[0].upn + "?day=" + days[3].iso(), "", officer)
                .status,
            200);
  std::ifstream in(dir / "console-audit.jsonl");
  std::string line, all;
  bool opened = false, refusedLine = false;
  while (std::getline(in, line)) {
    all += line + "\n";
    auto l = nlohmann::json::parse(line);
    if (l["user"] == "officer" && l["action"] == "open" &&
        l["target"] == "pupil " + kPupils[0].upn && l["outcome"] == "ok" && l.contains("time"))
      opened = true;
    if (l["user"] == "tech" && l["action"] == "refused") refusedLine = true;
  }
  EXPECT_TRUE(opened) << all;
  EXPECT_TRUE(refusedLine) << all;
  for (const auto& p : kPupils) {  // by UPN, never a name
    EXPECT_EQ(all.find(p.surname), std::string::npos) << all;
    EXPECT_EQ(all.find(p.forename), std::string::npos) << all;
  }
}

// Nobody sees a pupil unless who opened them is written down; the list's line keeps its filters.
TEST_F(ConsolePupils, PupilsAreShownOnlyWhileTheAuditLogCanBeWritten) {
  auto [officer, csrf] = login("officer", "officer-password-1");
  ASSERT_EQ(send("GET", "/console/pupils?cp=1&reg=7B", "", officer).status, 200);
  {
    std::ifstream in(dir / "console-audit.jsonl");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(all.find("/console/pupils?reg=7B&cp=1&sort=percent"), std::string::npos) << all;
  }
  // The audit log cannot be written (here: a folder where the file was).
  std::filesystem::rename(dir / "console-audit.jsonl", dir / "audit.kept");
  std::filesystem::create_directory(dir / "console-audit.jsonl");
  for (const std::string& path : {"/console/pupils/" + kPupils[1].upn,
                                  std::string("/console/pupils"), std::string("/console/report")}) {
    auto closed = send("GET", path, "", officer);
    EXPECT_EQ(closed.status, 503) << path;
    EXPECT_NE(closed.body.find("audit log cannot be written"), std::string::npos) << closed.body;
    EXPECT_EQ(closed.body.find(kPupils[1].surname), std::string::npos) << path;
  }
  std::filesystem::remove(dir / "console-audit.jsonl");
  EXPECT_EQ(send("GET", "/console/pupils/" + kPupils[1].upn, "", officer).status, 200);
  // The path is decoded once: an escaped escape is not a pupil's UPN.
  char hex[3];
  std::snprintf(hex, sizeof hex, "%02X", static_cast<unsigned>(kPupils[1].upn[0]));
  auto escaped = std::string("/console/pupils/%25") + hex + kPupils[1].upn.substr(1);
  EXPECT_EQ(send("GET", escaped, "", officer).status, 404);
  EXPECT_EQ(send("GET", "/console/pupils/" + kPupils[1].upn + "%25", "", officer).status, 404);
}

TEST_F(ConsolePupils, TheListCatchesUpWithTheRegisterAfterASync) {
  auto [session, csrf] = login("officer", "officer-password-1");
  auto before = send("GET", "/console/pupils?sort=name", "", session).body;
  ASSERT_NE(rowOf(before, "Persistent").find(">89.0%<"), std::string::npos);
  // The office explains Pat Persistent's absences as illness: the next export says I, not N.
  auto csv = read(dir / "register.csv");
  std::string unexplained = kPupils[0].upn.substr(10) + ",Persistent,";
  std::string amended;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(unexplained) != std::string::npos && line.ends_with(",N")) line.back() = 'I';
    amended += line + "\n";
  }
  dir.write("register.csv", amended);
  ASSERT_EQ(send("POST", "/sync", "", "", "Bearer admin-secret").status, 200);
  // Worked out again in the background: the page says so meanwhile, then shows the new figures.
  ASSERT_TRUE(test::waitUntil([&] {
    auto row = rowOf(send("GET", "/console/pupils?sort=name", "", session).body, "Persistent");
    return row.find("#year\">11</a>") != std::string::npos;  // 11 illness sessions now
  }));
  auto after = rowOf(send("GET", "/console/pupils?sort=name", "", session).body, "Persistent");
  EXPECT_NE(after.find(">89.0%<"), std::string::npos) << after;  // still absent: authorised
  EXPECT_NE(after.find(">PA<"), std::string::npos) << after;
  EXPECT_NE(after.find("<td class=\"n\">0</td>"), std::string::npos) << after;  // no run now
}

TEST_F(ConsolePupils, TheWeeklyReportCountsEachGroupAndComesAsCsv) {
  auto [session, csrf] = login("lead", "lead-password-12");
  auto page = send("GET", "/console/report", "", session);
  ASSERT_EQ(page.status, 200) << page.body;
  for (const auto& p : kPupils) EXPECT_EQ(page.body.find(p.surname), std::string::npos);
  // The calendar ended on 4 April 2025: its last week, from 31 March, had no mark.
  auto csv = send("GET", "/console/report.csv", "", session);
  ASSERT_EQ(csv.status, 200);
  std::vector<std::string> lines;
  std::istringstream in(csv.body);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 7u) << csv.body;  // header, school, years 7 and 8, SEN, FSM, CP/CLA
  EXPECT_EQ(lines[0].rfind("week_from,week_to,group,pupils", 0), 0u);
  // 89 + 49 + 95 + 90 of 400 sessions; PA: Persistent, Severe, Boundary; SA: Severe.
  EXPECT_EQ(lines[1], "2025-03-31,2025-04-04,Whole school,4,400,323,80.8,3,3,1,0,0\r");
  EXPECT_EQ(lines[2], "2025-03-31,2025-04-04,Year 7,2,200,138,69.0,2,2,1,0,0\r");
  EXPECT_EQ(lines[3], "2025-03-31,2025-04-04,Year 8,2,200,185,92.5,1,1,0,0,0\r");
  EXPECT_EQ(lines[4], "2025-03-31,2025-04-04,SEN or EHCP,1,100,89,89.0,1,1,0,0,0\r");
  EXPECT_EQ(lines[5], "2025-03-31,2025-04-04,FSM,1,100,90,90.0,1,1,0,0,0\r");
  EXPECT_EQ(lines[6], "2025-03-31,2025-04-04,CP or CLA,2,200,144,72.0,1,1,1,0,0\r");
  EXPECT_NE(page.body.find("80.8%"), std::string::npos);
  auto [tech, techCsrf] = login("tech", "tech-password-1");
  EXPECT_EQ(send("GET", "/console/report.csv", "", tech).status, 403);
}

TEST_F(ConsolePupils, TheConsolesReadsGiveWhatThePupilByPupilAndWholeRegisterReadsGive) {
  auto store = openSqliteStore((dir / "register.db").string());
  auto all = everyEventHistory(*store);
  std::size_t events = 0;
  for (const auto& p : kPupils) {
    auto one = store->eventHistory(p.upn);
    auto it = all.find(p.upn);
    ASSERT_EQ(it == all.end() ? 0u : it->second.size(), one.size()) << p.surname;
    for (std::size_t i = 0; i < one.size(); ++i) {
      const auto& a = it->second[i];
      EXPECT_EQ(a.event.id, one[i].event.id);
      EXPECT_EQ(a.event.state, one[i].event.state);
      EXPECT_EQ(a.event.upn, p.upn);
      EXPECT_EQ(a.payload, one[i].payload);
      EXPECT_EQ(a.created_at, one[i].created_at);
      ASSERT_EQ(a.deliveries.size(), one[i].deliveries.size());
      for (std::size_t d = 0; d < a.deliveries.size(); ++d)
        EXPECT_EQ(a.deliveries[d].seq, one[i].deliveries[d].seq);
    }
    events += one.size();
  }
  EXPECT_GT(events, 0u);  // Severe's notification at least
  // And one pupil's register read alone is theirs as the pass over everyone gives it.
  auto cal = test::autumnCalendar();
  std::map<std::string, std::vector<std::string>> codes;
  auto codesOf = [&](const PupilRegister& reg) {
    std::vector<std::string> all;
    for (Date day = cal.first(); day <= cal.last(); day = day + 1)
      for (Session s : {Session::AM, Session::PM}) all.emplace_back(reg.at(day, s).str());
    return all;
  };
  store->forEachPupilRegister(
      cal, [&](const Pupil& p, const PupilRegister& reg) { codes[p.upn] = codesOf(reg); });
  for (const auto& p : kPupils) {
    bool visited =
        visitPupilRegister(*store, cal, p.upn, [&](const Pupil& q, const PupilRegister& reg) {
          EXPECT_EQ(q.surname, p.surname);
          EXPECT_EQ(codesOf(reg), codes[p.upn]) << p.surname;
        });
    EXPECT_TRUE(visited);
  }
  EXPECT_FALSE(
      visitPupilRegister(*store, cal, "nobody", [](const Pupil&, const PupilRegister&) {}));
  EXPECT_EQ(all.size(), static_cast<std::size_t>(std::count_if(
                            std::begin(kPupils), std::end(kPupils), [&](const Fixture& p) {
                              return !store->eventHistory(p.upn).empty();
                            })));
}

TEST(ConsolePupilFigures, PagesNeverOverlapAndOutOfRangePagesAreClamped) {
  PupilSnapshot snap;
  for (int i = 0; i < 120; ++i) {
    PupilRow r;
    r.upn = "U" + std::to_string(1000 + i);
    r.surname = "S" + std::to_string(1000 + i);
    r.possible = 100;
    r.attended = 50 + (i * 7) % 50;  // many ties, broken by name
    r.absent = 100 - r.attended;
    r.band = absenceBand(r.absent, r.possible);
    snap.rows.push_back(r);
  }
  rankByName(snap.rows);
  // The pages, one after another, are the whole list in order: by attendance, ties by name.
  std::vector<const PupilRow*> expected;
  for (const auto& r : snap.rows) expected.push_back(&r);
  std::sort(expected.begin(), expected.end(), [](const PupilRow* a, const PupilRow* b) {
    return a->attended != b->attended ? a->attended < b->attended : a->surname < b->surname;
  });
  std::vector<const PupilRow*> paged;
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    PupilQuery q;
    q.page = page;
    auto sel = selectPupils(snap, q);
    EXPECT_EQ(sel.total, 120);
    EXPECT_EQ(sel.pages, 3);
    EXPECT_EQ(sel.rows.size(), page < 3 ? 50u : 20u);
    for (const auto* r : sel.rows) EXPECT_TRUE(seen.insert(r->upn).second) << r->upn;
    paged.insert(paged.end(), sel.rows.begin(), sel.rows.end());
  }
  EXPECT_EQ(seen.size(), 120u);
  EXPECT_EQ(paged, expected);
  PupilQuery beyond;
  beyond.page = 4;
  auto last = selectPupils(snap, beyond);
  EXPECT_EQ(last.page, 3);
  EXPECT_EQ(last.rows.size(), 20u);
  EXPECT_EQ(absenceBand(10, 100), AbsenceBand::Persistent);
  EXPECT_EQ(absenceBand(9, 100), AbsenceBand::None);
  EXPECT_EQ(absenceBand(50, 100), AbsenceBand::Severe);
  EXPECT_EQ(absenceBand(49, 100), AbsenceBand::Persistent);
  EXPECT_EQ(absenceBand(0, 0), AbsenceBand::None);
  // A pupil with no marks at all (a register never taken, a child not seen) is not the best
  // attendance: sorted by attendance, over the last four weeks or the year, they come first.
  PupilSnapshot unseen;
  for (int i = 0; i < 3; ++i) {
    PupilRow r;
    r.upn = "P" + std::to_string(i);
    r.surname = "S" + std::to_string(i);
    r.possible = r.recent_possible = i == 1 ? 0 : 40;
    r.attended = r.recent_attended = i == 1 ? 0 : 30 + i;
    unseen.rows.push_back(r);
  }
  rankByName(unseen.rows);
  for (const char* sort : {"percent", "recent"}) {
    PupilQuery q;
    q.sort = sort;
    auto sel = selectPupils(unseen, q);
    ASSERT_EQ(sel.rows.size(), 3u);
    EXPECT_EQ(sel.rows[0]->upn, "P1") << sort;
    EXPECT_EQ(sel.rows[1]->upn, "P0") << sort;
  }
}

TEST(ConsolePupilFigures, TheWindowsRunToTheLastSchoolDayAndLastWeekIsKeptForTheReport) {
  auto cal = test::autumnCalendar();
  // Wednesday 16 October 2024: its school week began on Monday the 14th; the last four school
  // weeks on 23 September. Until Friday the 11th (29 school days from 3 September), 5 sessions
  // N of 58 (8.6%: no band); this week 6 sessions N (11 of 64, 17.2%: PA).
  Date today = test::d("2024-10-16");
  auto before = cal.schoolDays(test::d("2024-09-03"), test::d("2024-10-11"));
  ASSERT_EQ(before.size(), 29u);
  std::vector<Mark> marks;
  test::addDays(marks, "U", before, "/", "\\");
  for (int i = 0; i < 5; ++i) marks[static_cast<std::size_t>(i)].code = *Code::fromString("N");
  test::addDays(marks, "U", cal.schoolDays(test::d("2024-10-14"), today), "N", "N");
  PupilRegister reg(cal, marks);
  Pupil pupil;
  pupil.upn = "U";
  auto w = figureWindows(cal, today);
  EXPECT_EQ(w.week_from, test::d("2024-10-14"));
  EXPECT_EQ(w.recent_from, test::d("2024-09-23"));
  EXPECT_EQ(w.year_from, test::d("2024-09-03"));
  auto row = pupilFigures(pupil, reg, w);
  EXPECT_EQ(row.possible, 64);
  EXPECT_EQ(row.absent, 11);
  EXPECT_EQ(row.band, AbsenceBand::Persistent);
  EXPECT_EQ(row.before_possible, 58);
  EXPECT_EQ(row.before_absent, 5);
  EXPECT_EQ(absenceBand(row.before_absent, row.before_possible), AbsenceBand::None);
  EXPECT_EQ(row.unauthorised_run, 6);
  EXPECT_EQ(row.run_from, test::d("2024-10-14"));
  EXPECT_EQ(row.recent_possible, 2 * 18);  // 23 Sep to 16 Oct: 18 school days
  EXPECT_EQ(row.recent_attended, 2 * 18 - 6);
}
