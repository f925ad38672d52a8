// Black-box tests of the binary against hostile inbound files and store files: links in a drop
// folder, files cut short, a 300 MB field, marks on days that are not school days, and an empty
// or damaged store.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/store/sqlite_db.h"
#include "schedules/london_time.h"
#include "tests/support/test_support.h"

using namespace markbridge;
namespace fs = std::filesystem;

namespace {

constexpr const char* kRow = "B801200005001,03/09/2024,AM,/\n";

struct InputsFixture : ::testing::Test {
  test::TempDir dir;

  void SetUp() override {
    dir.write("calendar.json", test::autumnCalendarJson());
    nlohmann::json config = test::schoolConfig({{"service", {{"admin_port", -1}}},
                                                {"sources",
                                                 {{{"name", "sims"},
                                                   {"type", "sims_csv"},
                                                   {"drop_folder", "inbox"},
                                                   {"settle_seconds", 0}}}}});
    dir.write("markbridge.json", config.dump(2));
    fs::create_directories(dir / "inbox");
    fs::create_directories(dir / "outside");
  }

  test::RunResult run(std::vector<std::string> args, int hangAfterMs = 0) {
    args.insert(args.begin() + 1, {"--config", "markbridge.json"});
    return test::runMarkbridge(args, {}, dir.path(), hangAfterMs);
  }

  std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string marksLine() {
    auto status = run({"status"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    auto at = status.out.find("pupils ");
    return at == std::string::npos ? status.out
                                   : status.out.substr(at, status.out.find('\n', at) - at);
  }
};

}  // namespace

TEST_F(InputsFixture, ADropFolderNeverFollowsALinkToAFileOutsideIt) {
  // If it were read, the bad code would be copied into the quarantine note.
  dir.write("outside/secret.csv", "UPN,Date,Session,Mark\nB801200005001,03/09/2024,AM,TOPSECRET\n");
  fs::create_symlink(dir / "outside/secret.csv", dir / "inbox/link.csv");
  dir.write("inbox/real.csv", std::string("UPN,Date,Session,Mark\n") + kRow);
  auto sync = run({"sync"});
  EXPECT_EQ(sync.exit_code, 1) << sync.out << sync.err;
  EXPECT_NE(sync.err.find("link.csv"), std::string::npos) << sync.err;
  EXPECT_NE(sync.err.find("is a symbolic link"), std::string::npos) << sync.err;
  EXPECT_TRUE(fs::is_symlink(dir / "inbox/quarantine/link.csv"));  // moved aside as a link
  auto note = read(dir / "inbox/quarantine/link.csv.error.txt");
  EXPECT_NE(note.find("symbolic link"), std::string::npos) << note;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "inbox")) {
    if (!entry.is_symlink() && entry.is_regular_file()) {
      EXPECT_EQ(read(entry.path()).find("TOPSECRET"), std::string::npos) << entry.path();
    }
  }
  EXPECT_NE(read(dir / "outside/secret.csv").find("TOPSECRET"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "inbox/archive/real.csv"));  // the real file is still read
  EXPECT_NE(marksLine().find("marks 1,"), std::string::npos) << marksLine();
  auto status = run({"status"});
  EXPECT_NE(status.out.find("source sims: last refused "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("link.csv: is a symbolic link"), std::string::npos) << status.out;
}

TEST_F(InputsFixture, ADropFolderNeverReadsAHardLinkToAFileOutsideIt) {
  dir.write("outside/secret.csv", "UPN,Date,Session,Mark\nB801200005001,03/09/2024,AM,TOPSECRET\n");
  fs::create_hard_link(dir / "outside/secret.csv", dir / "inbox/hard.csv");
  auto sync = run({"sync"});
  EXPECT_EQ(sync.exit_code, 1) << sync.out << sync.err;
  EXPECT_NE(sync.err.find("has 2 names (a hard link)"), std::string::npos) << sync.err;
  EXPECT_EQ(read(dir / "inbox/quarantine/hard.csv.error.txt").find("TOPSECRET"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "outside/secret.csv"));
}

TEST_F(InputsFixture, ALinkedArchiveOrQuarantineIsNeverWrittenThrough) {
  for (const char* folder : {"archive", "quarantine"}) {
    SCOPED_TRACE(folder);
    fs::remove_all(dir / "inbox");
    fs::remove_all(dir / "outside");
    fs::create_directories(dir / "inbox");
    fs::create_directories(dir / "outside");
    fs::create_directory_symlink(dir / "outside", dir / "inbox" / folder);
    dir.write("inbox/good.csv", std::string("UPN,Date,Session,Mark\n") + kRow);
    dir.write("inbox/bad.csv", "UPN,Date,Session,Mark\nB801200005001,03/09/2024,AM,QQ\n");
    auto sync = run({"sync"});
    EXPECT_EQ(sync.exit_code, 1) << sync.out << sync.err;
    EXPECT_NE(sync.err.find(std::string(folder) + "/ is a symbolic link"), std::string::npos)
        << sync.err;
    EXPECT_TRUE(fs::is_empty(dir / "outside"));
    EXPECT_TRUE(fs::exists(dir / "inbox/good.csv"));  // left where it was, unread
    EXPECT_TRUE(fs::exists(dir / "inbox/bad.csv"));
  }
  EXPECT_NE(marksLine().find("marks 0,"), std::string::npos) << marksLine();
}

TEST_F(InputsFixture, AFileCutShortInTheDropFolderIsNeverUsedInPart) {
  std::string whole = "UPN,Date,Session,Mark\n";
  for (const char* day : {"03/09/2024", "04/09/2024", "05/09/2024"})
    for (const char* s : {"AM", "PM"})
      whole += std::string("B801200005001,") + day + "," + s + ",N\n";
  auto cut = whole.substr(0, whole.size() - 1);  // the copy stopped before the last line break
  dir.write("inbox/export.csv", cut);
  fs::last_write_time(dir / "inbox/export.csv",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));  // an old mtime
  auto sync = run({"sync"});
  EXPECT_EQ(sync.exit_code, 1) << sync.out << sync.err;
  EXPECT_NE(sync.err.find("ends in the middle of a record"), std::string::npos) << sync.err;
  EXPECT_TRUE(fs::exists(dir / "inbox/quarantine/export.csv"));
  EXPECT_NE(marksLine().find("marks 0,"), std::string::npos) << marksLine();
  // The whole export, dropped again, is imported.
  dir.write("inbox/export.csv", whole);
  fs::last_write_time(dir / "inbox/export.csv",
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  auto again = run({"sync"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(marksLine().find("marks 6,"), std::string::npos) << marksLine();
}

TEST_F(InputsFixture, AHugeFieldIsRefusedWithoutTheMemoryToHoldIt) {
  constexpr std::size_t kFieldBytes = std::size_t{300} << 20;
  {
    std::ofstream out(dir / "huge.csv", std::ios::binary);
    out << "UPN,Date,Session,Mark,Comment\nB801200005001,03/09/2024,AM,/,";
    std::string block(std::size_t{1} << 20, 'x');
    for (std::size_t done = 0; done < kFieldBytes; done += block.size()) out << block;
    out << "\n" << kRow;
  }
  pid_t pid = test::spawnMarkbridge({"import", "--config", "markbridge.json", "huge.csv"}, {},
                                    dir.path(), dir / ".out", dir / ".err");
  ASSERT_GT(pid, 0);
  // VmHWM from /proc while it runs; the kernel's final figure (the same counter) from wait4.
  long procPeakKb = 0;
  int status = 0;
  rusage usage{};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    std::ifstream proc("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(proc, line);)
      if (line.rfind("VmHWM:", 0) == 0)
        procPeakKb = std::max(procPeakKb, std::stol(line.substr(6)));
    pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "markbridge import did not finish";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the poll interval (sampling)
  }
  fs::remove(dir / "huge.csv");
  long peakKb = std::max(procPeakKb, usage.ru_maxrss);
  std::cout << "peak memory importing a 300 MB field: " << peakKb / 1024 << " MB (VmHWM)\n";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  auto err = read(dir / ".err");
  EXPECT_NE(err.find("huge.csv:2"), std::string::npos) << err;
  EXPECT_NE(err.find("longer than 65536 bytes"), std::string::npos) << err;
  EXPECT_TRUE(test::withinPeakMemory(peakKb)) << peakKb << " kB";
  EXPECT_NE(marksLine().find("marks 0,"), std::string::npos) << marksLine();
}

TEST_F(InputsFixture, StatusShowsMarksOnDaysThatAreNotSchoolDays) {
  dir.write("half-term.csv",
            "UPN,Date,Session,Mark\nB801200005001,29/10/2024,AM,/\n"
            "B801200005001,30/10/2024,AM,N\n" +
                std::string(kRow));
  auto imported = run({"import", "half-term.csv"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto status = run({"status"});
  EXPECT_NE(status.out.find("source sims: 2 mark(s) of its last import fall on days the calendar "
                            "says are not school days (first 2024-10-29)"),
            std::string::npos)
      << status.out;
  dir.write("clean.csv",
            std::string("UPN,Date,Session,Mark\n") + "B801200005001,03/09/2024,PM,/\n");
  ASSERT_EQ(run({"import", "clean.csv"}).exit_code, 0);
  EXPECT_EQ(run({"status"}).out.find("not school days"), std::string::npos);
}

TEST_F(InputsFixture, AMarkPreEnteredAheadIsStoredWithAWarningAndOneAfterTheCalendarIsRefused) {
  // A calendar around today: a planned absence the office entered ahead in the MIS is kept (a
  // whole export refused for it would stop the school's sync until that day), one dated after
  // the calendar's last day is a wrong year and refuses the file.
  Date today = london::localDate(std::time(nullptr));
  Date ahead = today + 14;
  while (ahead.isWeekend()) ahead = ahead + 1;
  nlohmann::json calendar = {
      {"name", "this year"},
      {"terms", {{{"name", "Now"}, {"start", (today - 30).iso()}, {"end", (today + 60).iso()}}}}};
  dir.write("calendar.json", calendar.dump());
  dir.write("ahead.csv", "UPN,Date,Session,Mark\nB801200005001," + ahead.iso() + ",AM,M\n");
  auto imported = run({"import", "ahead.csv"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.err.find("1 marks are pre-entered for sessions after today (first " +
                              ahead.iso() + ")"),
            std::string::npos)
      << imported.err;
  EXPECT_NE(run({"status"}).out.find("1 mark(s) are pre-entered for sessions after today"),
            std::string::npos);
  Date wrongYear = today + 61;
  while (wrongYear.isWeekend()) wrongYear = wrongYear + 1;
  dir.write("wrong-year.csv",
            "UPN,Date,Session,Mark\nB801200005001," + wrongYear.iso() + ",AM,M\n");
  auto refused = run({"import", "wrong-year.csv"});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("wrong-year.csv:2:"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("after the calendar's last day (" + (today + 60).iso() + ")"),
            std::string::npos)
      << refused.err;
}

TEST_F(InputsFixture, AnEmptyStoreFileIsRefusedNotReplacedByANewStore) {
  dir.write("register.db", "");
  for (auto args : {std::vector<std::string>{"status"}, std::vector<std::string>{"run"}}) {
    auto result = run(args, 20'000);
    EXPECT_EQ(result.exit_code, 6) << args[0] << ": " << result.out << result.err;  // storage
    EXPECT_NE(result.err.find("register.db is empty (0 bytes)"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("restore the store from its latest backup"), std::string::npos);
  }
  EXPECT_EQ(fs::file_size(dir / "register.db"), 0u);
}

TEST_F(InputsFixture, AStoreDamagedInTheMiddleIsNoticedByStatusAndTheServiceStart) {
  dir.write("sims.csv", std::string("UPN,Date,Session,Mark\n") + kRow);
  ASSERT_EQ(run({"import", "sims.csv"}).exit_code, 0);
  int page = 0, pageSize = 0;
  {
    SqliteDb db((dir / "register.db").string());
    SqliteStatement root(db.handle(),
                         "SELECT rootpage FROM sqlite_master WHERE name='attendance_totals'");
    ASSERT_TRUE(root.step());
    page = static_cast<int>(root.integer(0));
    SqliteStatement size(db.handle(), "PRAGMA page_size");
    ASSERT_TRUE(size.step());
    pageSize = static_cast<int>(size.integer(0));
  }
  {
    // A table `status` never reads: only a check of the whole file finds the damage.
    std::fstream file(dir / "register.db", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(page - 1) * pageSize);
    std::string garbage(static_cast<std::size_t>(pageSize), '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  for (auto args : {std::vector<std::string>{"status"}, std::vector<std::string>{"run"}}) {
    auto result = run(args, 20'000);
    EXPECT_EQ(result.exit_code, 6) << args[0] << ": " << result.out << result.err;  // storage
    EXPECT_NE(result.err.find("register.db is damaged"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("docs/operations.md"), std::string::npos) << result.err;
  }
}
