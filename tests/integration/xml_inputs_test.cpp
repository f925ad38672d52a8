// Black-box tests of the binary with hostile XML and with a store an older version wrote: the
// memory of `markbridge import` stays bounded whatever the file (measured from /proc, not timed),
// and a stored name that is not UTF-8 no longer stops evaluation and delivery for the school.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/domain/upn.h"
#include "tests/sandbox/sandbox_server.h"
#include "tests/support/test_support.h"
#include "tests/support/write_repeated.h"

using namespace markbridge;

namespace {

// VmHWM (peak resident memory) of a running process in kB, or -1 once it has gone.
long peakKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

struct Measured {
  int exit_code = -1;
  long polled_peak_kb = 0;  // the largest VmHWM read while it ran
  long maxrss_kb = 0;       // the kernel's figure for the child once it has exited
  std::string output;
};

// Runs `markbridge args` and measures its peak memory: VmHWM polled from /proc until it exits
// (deadline 120 s), and wait4()'s ru_maxrss, which cannot miss a peak just before exit.
Measured measure(const test::TempDir& dir, const std::vector<std::string>& args) {
  auto log = dir / "run.log";
  std::filesystem::remove(log);
  pid_t pid = test::spawnMarkbridge(args, {}, dir.path(), log, log);
  Measured m;
  int status = 0;
  struct rusage usage {};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (::wait4(pid, &status, WNOHANG, &usage) == 0) {
    m.polled_peak_kb = std::max(m.polled_peak_kb, peakKb(pid));
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &usage);
      ADD_FAILURE() << "markbridge did not finish within 120 s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the poll interval
  }
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  m.maxrss_kb = usage.ru_maxrss;
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  m.output = text.str();
  return m;
}

struct XmlInputsFixture : ::testing::Test {
  test::TempDir dir;

  void SetUp() override {
    dir.write("calendar.json", test::autumnCalendarJson());
    nlohmann::json config =
        test::schoolConfig({{"sources", {{{"name", "ctf"}, {"type", "ctf_xml"}}}}});
    dir.write("markbridge.json", config.dump(2));
  }

  int storedPupils() {
    sqlite3* db = nullptr;
    int count = -1;
    if (sqlite3_open_v2((dir / "register.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pupils", -1, &s, nullptr) == SQLITE_OK &&
          sqlite3_step(s) == SQLITE_ROW)
        count = sqlite3_column_int(s, 0);
      sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return count;
  }
};

}  // namespace

TEST_F(XmlInputsFixture, HostileXmlIsRefusedWithItsLimitAndPeakMemoryStaysUnder300MB) {
  struct Case {
    const char* name;
    std::function<void(const std::filesystem::path&)> write;
    const char* says;
  };
  const Case cases[] = {
      {"nested-60mb.xml",  // the 60 MB of nesting that peaked at 1.38 GB
       [](const auto& p) { test::writeRepeated(p, "<CTfile>", "<a>", 20'000'000, ""); },
       "bigger than the limit of 33554432 bytes"},
      {"nested-30mb.xml",
       [](const auto& p) { test::writeRepeated(p, "<CTfile>", "<a>", 10'000'000, ""); },
       "nest deeper than the limit of 32"},
      {"flat-30mb.xml",
       [](const auto& p) { test::writeRepeated(p, "<CTfile>", "<a/>", 7'500'000, "</CTfile>"); },
       "more elements, attributes and pieces of text than the limit of 1500000"},
      {"attributes-30mb.xml",
       [](const auto& p) {
         test::writeRepeated(p, "<CTfile>", "<a b='' c='' d='' e='' f=''/>", 1'000'000,
                             "</CTfile>");
       },
       "more elements, attributes and pieces of text than the limit of 1500000"},
      {"biggest-dom-30mb.xml",  // just within every limit: pugixml builds it, the reader refuses
       [](const auto& p) {
         test::writeRepeated(p, "<CTfile>", "<a>" + std::string(36, 'x') + "</a>", 740'000,
                             "</CTfile>");
       },
       "the file has no CTFpupilData/Pupil elements"},
      {"one-text-30mb.xml",
       [](const auto& p) {
         test::writeRepeated(p, "<CTfile><CTFpupilData><Pupil><Surname>", "x", 30'000'000,
                             "</Surname></Pupil></CTFpupilData></CTfile>");
       },
       "text longer than the limit of 65536 bytes"},
      {"lines-30mb.xml",
       [](const auto& p) {
         test::writeRepeated(p, "", "\n", 30'000'000, "<CTfile><a>&xxe;</a></CTfile>");
       },
       ":30000001:12: not well-formed: undeclared entity &xxe;"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    c.write(dir / c.name);
    auto m = measure(dir, {"import", "--config", "markbridge.json", "--source", "ctf", c.name});
    std::filesystem::remove(dir / c.name);
    EXPECT_EQ(m.exit_code, 1) << m.output;  // a file was refused whole
    EXPECT_NE(m.output.find(c.says), std::string::npos) << m.output;
    EXPECT_GT(m.polled_peak_kb, 0);
    EXPECT_TRUE(test::withinPeakMemory(m.polled_peak_kb)) << m.polled_peak_kb << " kB";
    EXPECT_TRUE(test::withinPeakMemory(m.maxrss_kb)) << m.maxrss_kb << " kB";
    std::printf("[ figures  ] %s: exit %d, VmHWM polled %ld kB, ru_maxrss %ld kB\n", c.name,
                m.exit_code, m.polled_peak_kb, m.maxrss_kb);
    EXPECT_EQ(storedPupils(), 0);  // nothing of a refused file is stored
  }
  // The next good file still imports.
  auto good = test::runMarkbridge({"import", "--config", "markbridge.json", "--source", "ctf",
                                   test::sourceDir() + "/tests/fixtures/ctf/characters.xml"},
                                  {}, dir.path());
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(storedPupils(), 1);
}

TEST_F(XmlInputsFixture, ALargeCtfWithinTheLimitsIsImportedWholeUnder300MB) {
  // 20,000 pupils (a whole LA's transfer, about 20 MB): each a year of marks from 9 Sep 2024, two
  // weeks of them taken, the rest '#'.
  std::string marks;
  for (int day = 0; day < 357; ++day) marks += day < 14 && day % 7 < 5 ? "/\\" : "##";
  {
    std::ofstream out(dir / "large.xml", std::ios::binary);
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile>\n<CTFpupilData>\n";
    for (int n = 0; n < 20000; ++n) {
      char digits[16];
      std::snprintf(digits, sizeof digits, "8012000%02d%03d", 5 + n / 1000, n % 1000);
      std::string upn = std::string("A") + digits;
      upn[0] = upnCheckLetter(upn);
      out << "<Pupil><UPN>" << upn << "</UPN><Surname>Surname</Surname><Forename>Forename"
          << "</Forename>\n<Attendance><YearData><AttendSessions><AttendanceStartDate>2024-09-09"
          << "</AttendanceStartDate><AttendanceMarks>" << marks
          << "</AttendanceMarks></AttendSessions></YearData></Attendance></Pupil>\n";
    }
    out << "</CTFpupilData>\n</CTfile>\n";
  }
  auto m = measure(dir, {"import", "--config", "markbridge.json", "--source", "ctf", "large.xml"});
  EXPECT_EQ(m.exit_code, 0) << m.output;
  EXPECT_NE(m.output.find("400000 marks added"), std::string::npos) << m.output;
  EXPECT_TRUE(test::withinPeakMemory(m.polled_peak_kb)) << m.polled_peak_kb << " kB";
  EXPECT_TRUE(test::withinPeakMemory(m.maxrss_kb)) << m.maxrss_kb << " kB";
  std::printf(
      "[ figures  ] large.xml (%ju bytes): exit %d, VmHWM polled %ld kB, ru_maxrss %ld kB\n",
      static_cast<std::uintmax_t>(std::filesystem::file_size(dir / "large.xml")), m.exit_code,
      m.polled_peak_kb, m.maxrss_kb);
  EXPECT_EQ(storedPupils(), 20000);
}

namespace {

// Two pupils: B801200005001 absent without reason for 11 school days from 16 Sep 2024 (an
// unauthorised_10_day notification), K801400023001 present.
std::string registerCsv() {
  std::string csv = "UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark\r\n";
  for (Date day : test::autumnCalendar().schoolDays(test::d("2024-09-03"), test::d("2024-10-04"))) {
    auto iso = day.iso();
    std::string uk = iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
    bool absent = day >= test::d("2024-09-16");
    csv += "B801200005001,1001,OBrien,Zoe,8B,8," + uk + ",AM," + (absent ? "N" : "/") + "\r\n";
    csv += "B801200005001,1001,OBrien,Zoe,8B,8," + uk + ",PM," + (absent ? "N" : "\\") + "\r\n";
    csv += "K801400023001,1002,Smith,Ann,8B,8," + uk + ",AM,/\r\n";
    csv += "K801400023001,1002,Smith,Ann,8B,8," + uk + ",PM,\\\r\n";
  }
  return csv;
}

}  // namespace

TEST(StoredText, ANameAnOlderVersionStoredAsBadUtf8NoLongerStopsEvaluationOrDelivery) {
  test::TempDir dir;
  auto server = test::startSandbox();
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("register.csv", registerCsv());
  nlohmann::json config = test::schoolConfig(
      {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
       {"sinks", nlohmann::json::array({test::laSink(server->baseUrl())})},
       {"delivery",
        {{"base_backoff_ms", 20}, {"max_backoff_ms", 200}, {"run_budget_seconds", 5}}}});
  dir.write("markbridge.json", config.dump(2));
  std::map<std::string, std::string> env = {{"MB_LA_TOKEN", "la-sandbox-token"}};
  auto imported = test::runMarkbridge(
      {"import", "--config", "markbridge.json", "--source", "sims", "register.csv"}, env,
      dir.path());
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  // What an older version stored from a CTF holding a Windows-1252 byte: "O'Bri\xE9n".
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "register.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE pupils SET surname=CAST(X'4F27427269E96E' AS TEXT), "
                         "forename=CAST(X'5A6FEB' AS TEXT) WHERE upn='B801200005001'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);

  auto sync = test::runMarkbridge({"sync", "--config", "markbridge.json"}, env, dir.path());
  EXPECT_EQ(sync.exit_code, 0) << sync.out << sync.err;  // was 2: json type_error.316
  EXPECT_NE(sync.out.find("1 delivered"), std::string::npos) << sync.out;
  ASSERT_EQ(server->received().size(), 1u);
  auto body = nlohmann::json::parse(server->received()[0].body);
  EXPECT_EQ(body["pupil"]["upn"], "B801200005001");
  EXPECT_EQ(body["pupil"]["surname"], "O'Bri\uFFFDn");
  EXPECT_EQ(body["pupil"]["forename"], "Zo\uFFFD");
  // The warning names the pupil by masked UPN and the fields, never the text.
  EXPECT_NE(sync.err.find("pupil B...5001: forename, surname in the store is not valid UTF-8"),
            std::string::npos)
      << sync.err;
  EXPECT_EQ(sync.err.find("O'Bri"), std::string::npos);
}
