#include "core/store/register_week.h"

#include <gtest/gtest.h>

#include "core/store/sqlite_db.h"
#include "core/store/sqlite_schema.h"
#include "core/store/store.h"
#include "tests/support/test_support.h"

using namespace markbridge;
using test::d;

TEST(RegisterWeek, KeepsEachSessionsCodeImportAndDetailsThroughItsRow) {
  RegisterWeek week;
  Date monday = d("2024-09-02");
  auto& am = week.slots[RegisterWeek::slotOf(d("2024-09-04"), Session::AM, monday)];
  am.code = static_cast<uint8_t>(Code::fromString("L")->index() + 1);
  am.import = 70000;  // more than two bytes
  am.minutes_late = 12;
  auto& pm = week.slots[RegisterWeek::slotOf(d("2024-09-06"), Session::PM, monday)];
  pm.code = static_cast<uint8_t>(Code::fromString("C")->index() + 1);
  pm.import = 3;
  pm.source_code = "H";  // the legacy code as the MIS wrote it
  auto back = RegisterWeek::decode(week.codesBlob(), week.importsBlob(), week.extrasText());
  EXPECT_EQ(codeOfSlot(back.slots[4].code).str(), "L");
  EXPECT_EQ(back.slots[4].import, 70000u);
  EXPECT_EQ(back.slots[4].minutes_late, 12);
  EXPECT_EQ(back.slots[4].source_code, "");
  EXPECT_EQ(codeOfSlot(back.slots[9].code).str(), "C");
  EXPECT_EQ(back.slots[9].source_code, "H");
  EXPECT_FALSE(back.slots[9].minutes_late);
  for (int i : {0, 1, 5, 13}) EXPECT_TRUE(back.slots[static_cast<std::size_t>(i)].empty()) << i;
}

TEST(RegisterWeek, AnOlderStoresMarksAreMovedIntoWeekRowsWithTheirSources) {
  test::TempDir dir;
  auto path = (dir / "old.db").string();
  {
    SqliteDb db(path);
    migrateSqliteSchema(db, 3);  // a store as issue 2 left it
    db.exec(
        "INSERT INTO marks(upn, date, session, code, source, source_code, recorded_at, "
        "minutes_late, priority) VALUES "
        "('B801200005001','2024-09-03',0,'/','sims','/',100,NULL,10),"
        "('B801200005001','2024-09-03',1,'C','sims','H',100,NULL,10),"
        "('B801200005001','2024-09-10',0,'-','sims','-',100,NULL,10),"
        "('B801200005001','2024-09-10',1,'L','classcharts','late',200,7,0);"
        "INSERT INTO pupils VALUES('B801200005001','1','Ann','Smith',NULL,'7','7A',0,1);");
  }
  auto store = openSqliteStore(path);
  std::vector<Mark> marks;
  store->forEachRegister([&](const Pupil&, const std::vector<Mark>& m) { marks = m; });
  ASSERT_EQ(marks.size(), 4u);
  EXPECT_EQ(marks[1].code.str(), "C");
  EXPECT_EQ(marks[1].source_code, "H");
  EXPECT_EQ(marks[3].source, "classcharts");
  EXPECT_EQ(marks[3].minutes_late, 7);
  EXPECT_EQ(marks[3].recorded_at, 200);
  auto status = store->status();
  EXPECT_EQ(status.marks, 4);
  EXPECT_EQ(status.marks_not_taken, 1);
  // The priority came across: Class Charts (0) cannot overwrite what SIMS (10) wrote.
  ImportBatch later;
  later.source = "classcharts";
  later.fingerprint = "cc-2";
  later.marks.push_back(test::mark("B801200005001", d("2024-09-03"), Session::AM, "N"));
  later.marks.back().source = "classcharts";
  auto outcome = store->importBatch(later, 300);
  EXPECT_EQ(outcome.marks_not_applied, 1);  // said so, never counted as unchanged
  EXPECT_EQ(outcome.marks_unchanged, 0);
  EXPECT_EQ(outcome.marks_amended, 0);
}

TEST(RegisterWeek, TheRulesViewOfTheRegisterIsTheMarksViewWithoutTheMarks) {
  test::TempDir dir;
  auto store = openSqliteStore((dir / "r.db").string());
  auto calendar = test::autumnCalendar();
  ImportBatch batch;
  batch.source = "sims";
  batch.fingerprint = "f";
  for (const char* upn : {"B801200005001", "K801400023001"}) {
    batch.pupils.push_back(Pupil{upn, "", "", "", {}, "8", "8B", {}});
    test::addDays(batch.marks, upn, calendar.schoolDays(d("2024-09-03"), d("2024-12-19")), "/",
                  "N");
  }
  batch.marks.push_back(test::mark("B801200005001", d("2025-08-30"), Session::AM, "I"));  // off
  store->importBatch(batch, 1);
  std::vector<std::string> viaMarks, viaCodes;
  auto describe = [&](const PupilRegister& reg, std::vector<std::string>& out) {
    for (Date day = calendar.first(); day <= calendar.last(); day = day + 1)
      for (Session s : {Session::AM, Session::PM}) out.push_back(std::string(reg.at(day, s).str()));
  };
  store->forEachRegister([&](const Pupil&, const std::vector<Mark>& marks) {
    describe(PupilRegister(calendar, marks), viaMarks);
  });
  store->forEachPupilRegister(
      calendar, [&](const Pupil&, const PupilRegister& reg) { describe(reg, viaCodes); });
  EXPECT_EQ(viaCodes, viaMarks);
  EXPECT_EQ(std::count(viaCodes.begin(), viaCodes.end(), "N"),
            2 * calendar.schoolDaysBetween(d("2024-09-03"), d("2024-12-19")));
}
