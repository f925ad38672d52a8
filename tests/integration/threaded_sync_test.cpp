// A school large enough that a sync uses its threads: the import hands parts of the file
// (65,536 marks each) to the store's writer thread while it reads on, and the evaluation
// evaluates one batch of 500 pupils on a second thread while it reads and commits the others.
// The ThreadSanitizer pass of scripts/test.sh runs it (label `threaded`); here it proves the
// threaded path loses nothing: 1,600 pupils give exactly 1,600 times what one pupil gives.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "core/domain/upn.h"
#include "tests/support/test_support.h"

using namespace markbridge;

namespace {

// `pupils` pupils, each away (N) for the ten school days from 16 September, present otherwise,
// from 2 September to 4 October: 46 marks a pupil.
std::string school(int pupils) {
  auto cal = test::autumnCalendar();
  std::string csv = "UPN,Date,Session,Mark\n";
  for (int p = 0; p < pupils; ++p) {
    char body[32];  // room for any int, so -Wformat-truncation cannot fire
    std::snprintf(body, sizeof body, "A8014000%05d", p);
    std::string upn = body;
    upn[0] = upnCheckLetter(upn);
    for (Date day : cal.schoolDays(test::d("2024-09-02"), test::d("2024-10-04"))) {
      bool away = day >= test::d("2024-09-16") && day <= test::d("2024-09-27");
      csv += upn + "," + day.iso() + ",AM," + (away ? "N" : "/") + "\n";
      csv += upn + "," + day.iso() + ",PM," + (away ? "N" : "\\") + "\n";
    }
  }
  return csv;
}

struct Synced {
  int marks = -1, pupils = -1, events = -1;
  std::string output;
};

Synced syncSchool(int pupils) {
  test::TempDir dir;
  dir.write("calendar.json", test::autumnCalendarJson());
  dir.write("register.csv", school(pupils));
  nlohmann::json config = test::schoolConfig(
      {{"sources", {{{"name", "sims"}, {"type", "sims_csv"}, {"files", {"register.csv"}}}}},
       {"log_level", "error"}});
  dir.write("markbridge.json", config.dump(2));
  auto run = test::runMarkbridge({"sync", "--config", "markbridge.json"}, {}, dir.path());
  Synced synced;
  synced.output = run.out + run.err;
  EXPECT_EQ(run.exit_code, 0) << synced.output;
  std::smatch m;
  if (std::regex_search(run.out, m, std::regex(R"(evaluated (\d+) pupils: (\d+) new events)"))) {
    synced.pupils = std::stoi(m[1]);
    synced.events = std::stoi(m[2]);
  }
  auto status = test::runMarkbridge({"status", "--config", "markbridge.json"}, {}, dir.path());
  if (std::regex_search(status.out, m, std::regex(R"(marks (\d+),)")))
    synced.marks = std::stoi(m[1]);
  return synced;
}

}  // namespace

TEST(ThreadedSync, ALargeSchoolImportedInPartsAndEvaluatedInBatchesLosesNothing) {
  auto one = syncSchool(1);
  ASSERT_EQ(one.pupils, 1) << one.output;
  ASSERT_GT(one.events, 0) << one.output;
  constexpr int kPupils = 1600;  // 73,600 marks: two parts; four batches of 500 or fewer
  auto many = syncSchool(kPupils);
  EXPECT_GT(many.marks, 65'536) << "not enough marks for a second part: " << many.output;
  EXPECT_EQ(many.marks, kPupils * one.marks) << many.output;
  EXPECT_EQ(many.pupils, kPupils) << many.output;
  EXPECT_EQ(many.events, kPupils * one.events) << many.output;
}
