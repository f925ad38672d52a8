// Black-box tests of a store that cannot be written or opened: the binary exits 6 (storage
// failure), not 2 (configuration), names the store and the cause, and keeps nothing half-done.
// Disk full is a file size limit (RLIMIT_FSIZE, inherited by the child) at the store's current
// size: SQLite's writes then fail as they do on a full disk.

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <nlohmann/json.hpp>

#include "core/domain/upn.h"
#include "tests/support/file_size_limit.h"
#include "tests/support/test_support.h"

using namespace markbridge;
namespace fs = std::filesystem;

namespace {

constexpr int kExitStorage = 6;

struct StorageFixture : ::testing::Test {
  test::TempDir dir;

  void SetUp() override {
    dir.write("calendar.json", test::autumnCalendarJson());
    configure("register.db");
  }
  void configure(const std::string& store) {
    nlohmann::json config = test::schoolConfig(
        {{"store", {{"sqlite", store}}},
         {"service", {{"admin_port", -1}}},
         {"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"sims.csv"}}}}}});
    dir.write("markbridge.json", config.dump(2));
  }
  test::RunResult run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--config", "markbridge.json"});
    return test::runMarkbridge(args, {}, dir.path());
  }
  std::string marksLine() {
    auto status = run({"status"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    auto at = status.out.find("pupils ");
    return at == std::string::npos ? status.out
                                   : status.out.substr(at, status.out.find('\n', at) - at);
  }
};

// Two thousand pupils, a week of marks each: 20,000 marks, more than the store file's size.
std::string week() {
  std::string csv = "UPN,Date,Session,Mark\n";
  for (int p = 0; p < 2000; ++p) {
    char body[16];
    std::snprintf(body, sizeof body, "A8012000%05d", p);
    std::string upn = body;
    upn[0] = upnCheckLetter(upn);
    for (const char* day : {"09/09/2024", "10/09/2024", "11/09/2024", "12/09/2024", "13/09/2024"})
      csv += upn + "," + day + ",AM,/\n" + upn + "," + day + ",PM,N\n";
  }
  return csv;
}

}  // namespace

TEST_F(StorageFixture, ADiskFullDuringAnImportIsAStorageFailureAndKeepsNothingOfTheFile) {
  dir.write("first.csv", "UPN,Date,Session,Mark\nB801200005001,03/09/2024,AM,/\n");
  ASSERT_EQ(run({"import", "first.csv"}).exit_code, 0);
  dir.write("week.csv", week());
  test::RunResult full;
  {
    test::FileSizeLimit diskFull(fs::file_size(dir / "register.db"));
    full = run({"import", "week.csv"});
  }
  EXPECT_EQ(full.exit_code, kExitStorage) << full.out << full.err;
  EXPECT_NE(full.err.find("storage failure in the store " + (dir / "register.db").string()),
            std::string::npos)
      << full.err;
  EXPECT_NE(marksLine().find("marks 1,"), std::string::npos) << marksLine();
  // With room again the same file imports whole.
  ASSERT_EQ(run({"import", "week.csv"}).exit_code, 0);
  EXPECT_NE(marksLine().find("marks 20001,"), std::string::npos) << marksLine();
}

TEST_F(StorageFixture, AStoreWhoseFolderIsMissingIsAStorageFailureNotAConfigurationProblem) {
  dir.write("not-a-folder", "a file where the store's folder should be");
  configure("not-a-folder/register.db");
  for (auto args : {std::vector<std::string>{"import", "first.csv"},
                    std::vector<std::string>{"status"}, std::vector<std::string>{"run"}}) {
    auto result = run(args);
    EXPECT_EQ(result.exit_code, kExitStorage) << args[0] << ": " << result.out << result.err;
    EXPECT_NE(result.err.find("storage failure"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("not-a-folder/register.db"), std::string::npos) << result.err;
  }
}

TEST_F(StorageFixture, AConfigurationProblemIsStillTwo) {
  dir.write("markbridge.json", R"({"school": {"urn": "140000"}, "store": 7})");
  EXPECT_EQ(run({"status"}).exit_code, 2);
}
