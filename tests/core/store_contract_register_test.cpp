// The register store's contract: what every backend of RegisterStore does, written against the
// interface and run once per backend in tests/core/store_backends.h.

#include <gtest/gtest.h>

#include <map>

#include "core/store/store_error.h"
#include "tests/core/store_backends.h"

using namespace markbridge;
using markbridge::test::d;

namespace {

ImportBatch batchOf(std::vector<Mark> marks, std::string fingerprint) {
  ImportBatch batch;
  batch.source = marks.empty() ? "sims" : marks.front().source;  // the connector's name
  batch.origin = "export.csv";
  batch.fingerprint = std::move(fingerprint);
  for (auto& m : marks) {
    bool known = false;
    for (const auto& p : batch.pupils) known = known || p.upn == m.upn;
    if (!known) batch.pupils.push_back(Pupil{m.upn, "1", "Ann", "Smith", {}, "7", "7A", {}});
  }
  batch.marks = std::move(marks);
  batch.rows = static_cast<int>(batch.marks.size());
  return batch;
}

const std::string kUpn = "B801200005001";

std::string codeOf(RegisterStore& store, Date day, Session s) {
  std::string code = "(none)";
  store.forEachRegister([&](const Pupil&, const std::vector<Mark>& marks) {
    for (const auto& m : marks)
      if (m.date == day && m.session == s) code = std::string(m.code.str());
  });
  return code;
}

}  // namespace

template <typename Backend>
class RegisterStoreContract : public test::StoreContract<Backend> {
 protected:
  RegisterStore& registers() { return *this->store; }
};
TYPED_TEST_SUITE_P(RegisterStoreContract);

TYPED_TEST_P(RegisterStoreContract, KeepsTheRegisterAcrossReopening) {
  auto outcome =
      this->registers().importBatch(batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "/"),
                                             test::mark(kUpn, d("2024-09-03"), Session::PM, "N")},
                                            "f1"),
                                    100);
  EXPECT_EQ(outcome.marks_added, 2);
  EXPECT_EQ(outcome.pupils_added, 1);
  this->reopen();
  EXPECT_EQ(this->store->status().marks, 2);
  EXPECT_EQ(codeOf(this->registers(), d("2024-09-03"), Session::PM), "N");
  EXPECT_EQ(this->registers().pupil(kUpn)->reg_group, "7A");
}

TYPED_TEST_P(RegisterStoreContract, ReimportingTheSameFileChangesNothing) {
  auto& store = this->registers();
  auto batch = batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "N")}, "same-bytes");
  store.importBatch(batch, 100);
  EXPECT_TRUE(store.alreadyImported(batch.source, "same-bytes"));
  auto again = store.importBatch(batch, 200);
  EXPECT_TRUE(again.already_imported);
  EXPECT_EQ(again.marks_added + again.marks_amended, 0);
  auto status = this->store->status();
  EXPECT_EQ(status.imports, 1);
  EXPECT_EQ(status.marks, 1);
  // The same marks in different bytes: imported, but every mark is unchanged.
  auto sameMarks = store.importBatch(batchOf(batch.marks, "other-bytes"), 300);
  EXPECT_FALSE(sameMarks.already_imported);
  EXPECT_EQ(sameMarks.marks_unchanged, 1);
  EXPECT_EQ(this->store->status().amendments, 0);
}

TYPED_TEST_P(RegisterStoreContract, AChangedMarkIsAnAmendmentThatKeepsTheOriginal) {
  auto& store = this->registers();
  store.importBatch(batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "N")}, "monday"), 100);
  auto later = test::mark(kUpn, d("2024-09-03"), Session::AM, "I");
  later.source = "arbor";
  auto outcome = store.importBatch(batchOf({later}, "tuesday"), 200);
  EXPECT_EQ(outcome.marks_amended, 1);
  EXPECT_EQ(codeOf(store, d("2024-09-03"), Session::AM), "I");
  auto amendments = store.amendments(kUpn);
  ASSERT_EQ(amendments.size(), 1u);
  EXPECT_EQ(amendments[0].old_code, "N");
  EXPECT_EQ(amendments[0].new_code, "I");
  EXPECT_EQ(amendments[0].old_source, "test");
  EXPECT_EQ(amendments[0].new_source, "arbor");
  EXPECT_EQ(amendments[0].amended_at, 200);
}

TYPED_TEST_P(RegisterStoreContract, ABlankInALaterExportNeverErasesATakenMark) {
  auto& store = this->registers();
  store.importBatch(batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "/")}, "a"), 1);
  auto blank = test::mark(kUpn, d("2024-09-03"), Session::AM, "/");
  blank.code = Code::notTaken();
  store.importBatch(batchOf({blank}, "b"), 2);
  EXPECT_EQ(codeOf(store, d("2024-09-03"), Session::AM), "/");
}

TYPED_TEST_P(RegisterStoreContract, ACorrectionFromALowerPrioritySourceIsNotAppliedAndSaysSo) {
  auto& store = this->registers();
  auto held = batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "N"),
                       test::mark(kUpn, d("2024-09-03"), Session::PM, "/")},
                      "sims");
  held.source = "sims";
  held.priority = 10;
  store.importBatch(held, 100);
  // Class Charts (priority 0) says present for the AM SIMS holds as N, agrees on the PM, and
  // adds a mark for a session SIMS has not said.
  std::vector<Mark> marks{test::mark(kUpn, d("2024-09-03"), Session::AM, "/"),
                          test::mark(kUpn, d("2024-09-03"), Session::PM, "/"),
                          test::mark(kUpn, d("2024-09-04"), Session::AM, "/")};
  for (auto& m : marks) m.source = "classcharts";
  auto outcome = store.importBatch(batchOf(marks, "cc"), 200);
  EXPECT_EQ(outcome.marks_added, 1);
  EXPECT_EQ(outcome.marks_amended, 0);
  EXPECT_EQ(outcome.marks_unchanged, 1);  // the PM: the register already said so
  EXPECT_EQ(outcome.marks_not_applied, 1);
  ASSERT_EQ(outcome.not_applied.size(), 1u);
  const auto& n = outcome.not_applied[0];
  EXPECT_EQ(n.upn, kUpn);
  EXPECT_EQ(n.date, d("2024-09-03"));
  EXPECT_EQ(n.session, Session::AM);
  EXPECT_EQ(n.code, "/");
  EXPECT_EQ(n.held_code, "N");
  EXPECT_EQ(n.held_by, "sims");
  EXPECT_EQ(codeOf(store, d("2024-09-03"), Session::AM), "N");
  EXPECT_TRUE(store.amendments(kUpn).empty());
}

TYPED_TEST_P(RegisterStoreContract, RefusesABatchWithProblemsAndStoresNothing) {
  auto batch = batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "/")}, "bad");
  batch.problems.push_back(Problem{"bad.csv", 3, 9, "", "ZZ", "unknown attendance code"});
  EXPECT_THROW(this->registers().importBatch(batch, 1), StoreError);
  auto status = this->store->status();
  EXPECT_EQ(status.marks, 0);
  EXPECT_EQ(status.pupils, 0);
  EXPECT_EQ(status.imports, 0);
}

TYPED_TEST_P(RegisterStoreContract, AnImportNotCommittedLeavesNothingBehind) {
  auto& store = this->registers();
  {
    ImportOutcome outcome;
    auto writer = store.beginImport(1);
    writer->add(batchOf({test::mark(kUpn, d("2024-09-03"), Session::AM, "N")}, "x"), outcome);
  }
  EXPECT_FALSE(store.pupil(kUpn).has_value());
  EXPECT_TRUE(store.pupilIds().empty());
  EXPECT_FALSE(store.alreadyImported("test", "x"));
}

TYPED_TEST_P(RegisterStoreContract, RemembersWhatASourceKeptAcrossReopening) {
  auto& store = this->registers();
  EXPECT_FALSE(store.sourceState("mis", "since").has_value());
  store.setSourceState("mis", "since", "2024-09-03T16:00:00Z", 1);
  store.setSourceState("mis", "since", "2024-09-04T16:00:00Z", 2);
  this->reopen();
  EXPECT_EQ(this->registers().sourceState("mis", "since"), "2024-09-04T16:00:00Z");
  EXPECT_FALSE(this->registers().sourceState("other", "since").has_value());
}

TYPED_TEST_P(RegisterStoreContract, ListsPupilsAndTheirRegistersLaidOverTheCalendar) {
  auto& store = this->registers();
  std::vector<Mark> marks;
  test::addDays(marks, kUpn, {d("2024-09-09"), d("2024-09-10")}, "N", "/");
  marks.push_back(test::mark("A801200005002", d("2024-09-09"), Session::AM, "I"));
  store.importBatch(batchOf(marks, "two"), 1);
  auto ids = store.pupilIds();
  ASSERT_EQ(ids.size(), 2u);
  std::vector<std::string> seen;
  std::string codes;
  store.forEachPupilRegister(test::autumnCalendar(), [&](const Pupil& p, const PupilRegister& r) {
    seen.push_back(p.upn);
    codes += p.upn + ":" + std::string(r.at(d("2024-09-09"), Session::AM).str()) +
             std::string(r.at(d("2024-09-10"), Session::PM).str()) + " ";
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"A801200005002", kUpn}));  // in UPN order
  EXPECT_EQ(codes, "A801200005002:I" + std::string(Code::notTaken().str()) + " " + kUpn + ":N/ ");
}

// Read after every import of a term (each day's marks, amendments to earlier weeks, a pupil
// joining with a history, weeks later on), each pupil's register is what the imports wrote: the
// PostgreSQL store's kept year (core/store/postgres_register_read.h) never shows a week as it was.
TYPED_TEST_P(RegisterStoreContract, EachReadOfTheRegistersShowsEveryImportSoFar) {
  auto& store = this->registers();
  const auto calendar = test::autumnCalendar();
  std::map<std::string, std::vector<Mark>> written;  // upn -> every mark, the latest last
  int imports = 0;
  auto import = [&](std::vector<Mark> marks) {
    for (auto& m : marks) m.source = "sims";
    for (const auto& m : marks) written[m.upn].push_back(m);
    ++imports;
    store.importBatch(batchOf(marks, "f" + std::to_string(imports)), 100 + imports);
  };
  auto readAgrees = [&](const std::string& when) {
    std::size_t pupils = 0;
    store.forEachPupilRegister(calendar, [&](const Pupil& p, const PupilRegister& reg) {
      ++pupils;
      std::vector<Mark> latest;  // a later mark of a session replaces the earlier
      for (const auto& m : written[p.upn]) {
        std::erase_if(latest,
                      [&](const Mark& l) { return l.date == m.date && l.session == m.session; });
        latest.push_back(m);
      }
      PupilRegister expected(calendar, latest);
      for (Date day = calendar.first(); day <= calendar.last(); day = day + 1)
        for (auto s : {Session::AM, Session::PM})
          ASSERT_EQ(reg.at(day, s).str(), expected.at(day, s).str())
              << when << ": " << p.upn << " " << day.iso() << (s == Session::AM ? " AM" : " PM");
    });
    EXPECT_EQ(pupils, written.size()) << when;
  };
  const char* codes[] = {"/", "\\", "N", "I", "L", "O", "M", "G"};
  const std::vector<std::string> upns = {"A801200005002", "B801200005001", "C801200005003"};
  auto day = [&](Date date, const std::string& upn, int n) {
    std::vector<Mark> marks;
    test::addDays(marks, upn, {date}, codes[n % 8], codes[(n + 3) % 8]);
    return marks;
  };
  // Six weeks at once (a school going live), then day by day with a read after each.
  std::vector<Mark> history;
  int n = 0;
  for (Date date : calendar.schoolDays(d("2024-09-03"), d("2024-10-11")))
    for (const auto& upn : upns) {
      auto marks = day(date, upn, ++n);
      history.insert(history.end(), marks.begin(), marks.end());
    }
  import(history);
  readAgrees("after six weeks");
  for (Date date : calendar.schoolDays(d("2024-10-14"), d("2024-10-25"))) {
    for (const auto& upn : upns) import(day(date, upn, ++n));
    readAgrees("after " + date.iso());
  }
  import(day(d("2024-09-10"), upns[0], 5));  // an amendment to the second week
  readAgrees("after amending 10 September");
  readAgrees("read again after the amendment");
  std::vector<Mark> joiner;  // a pupil joining with a history from September
  for (Date date : calendar.schoolDays(d("2024-09-16"), d("2024-10-25")))
    for (const auto& m : day(date, "D801200005004", ++n)) joiner.push_back(m);
  import(joiner);
  readAgrees("after a pupil joined with a history");
  for (Date date : calendar.schoolDays(d("2024-11-04"), d("2024-11-29")))
    for (const auto& upn : upns) import(day(date, upn, ++n));
  readAgrees("four weeks on");
  import(day(d("2024-10-01"), "D801200005004", 2));  // the joiner's history amended
  import(day(d("2024-11-28"), upns[1], 7));
  readAgrees("after amending the joiner's October");
}

// Who each sync's imports named (issue 16): a pupil the roll's listings stop naming counts each
// listing since the last that named them; a second file of the same sync, a source that is not
// a roll source, and being named again are exact. (The PostgreSQL store writes a pupil's
// sighting only when it changes: a pupil named again, missed again, named by two sources.)
TYPED_TEST_P(RegisterStoreContract, ASyncThatListsThePupilsWithoutOneCountsAgainstThatOneOnly) {
  auto& store = this->registers();
  int files = 0;
  auto naming = [&](const std::vector<std::string>& upns, const std::string& source, int64_t at) {
    ImportBatch batch;
    batch.source = source;
    batch.origin = "export.csv";
    batch.fingerprint = "roll" + std::to_string(++files);
    for (const auto& upn : upns)
      batch.pupils.push_back(Pupil{upn, "1", "A", "B", {}, "8", "8A", {}});
    store.importBatch(batch, at);
  };
  const std::string a = "B801200005001", b = "K801400023001", c = "C801200005003";
  naming({a, b}, "sims", 100);
  EXPECT_TRUE(store.rollListingsMissed({"sims"}).empty());
  naming({a}, "sims", 200);
  naming({a}, "sims", 200);  // a second file in the same sync
  naming({a}, "sims", 300);
  auto missed = store.rollListingsMissed({"sims"});
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[b], (std::vector<int64_t>{200, 300}));
  // A source that is not a roll source does not count; one that names the pupil resets them.
  naming({a}, "ctf", 400);
  EXPECT_EQ(store.rollListingsMissed({"sims", "ctf"})[b].size(), 3u);
  EXPECT_EQ(store.rollListingsMissed({"sims"})[b].size(), 2u);
  naming({b}, "census", 500);
  EXPECT_FALSE(store.rollListingsMissed({"sims", "census"}).count(b));
  EXPECT_TRUE(store.rollListingsMissed({}).empty());
  // Named again by sims, then missed from 800 on: counted from the listing that missed them.
  naming({a, b, c}, "sims", 600);
  naming({a, b, c}, "sims", 700);
  EXPECT_TRUE(store.rollListingsMissed({"sims"}).empty());
  naming({a, c}, "sims", 800);
  naming({a, b}, "sims", 800);  // the same sync's second file names b: nobody but c missed
  EXPECT_TRUE(store.rollListingsMissed({"sims"}).empty());
  naming({a}, "sims", 900);
  naming({a}, "sims", 1000);
  missed = store.rollListingsMissed({"sims"});
  EXPECT_EQ(missed[b], (std::vector<int64_t>{900, 1000}));
  EXPECT_EQ(missed[c], (std::vector<int64_t>{900, 1000}));
  EXPECT_FALSE(missed.count(a));
  // Named by another roll source since: only that source's later listings count.
  naming({c}, "arbor", 1100);
  missed = store.rollListingsMissed({"sims", "arbor"});
  EXPECT_EQ(missed[b], (std::vector<int64_t>{900, 1000, 1100}));
  EXPECT_FALSE(missed.count(c));
  EXPECT_EQ(missed[a], (std::vector<int64_t>{1100}));
  this->reopen();
  EXPECT_EQ(this->registers().rollListingsMissed({"sims"})[c], (std::vector<int64_t>{900, 1000}));
}

// A day's export naming most of the school's pupils: the marks it changes are amendments, those
// it repeats unchanged, and the pupils it does not name are left as they were.
TYPED_TEST_P(RegisterStoreContract, ADaysExportNamingMostOfTheSchoolChangesOnlyWhatItChanges) {
  auto& store = this->registers();
  auto upnOf = [](int i) {
    std::string digits = std::to_string(100000 + i);
    return "B8012000" + digits.substr(1);
  };
  auto day = [&](int from, int to, Date date, const char* pm, int fingerprint) {
    std::vector<Mark> marks;
    for (int i = from; i < to; ++i) test::addDays(marks, upnOf(i), {date}, "/", pm);
    for (auto& m : marks) m.source = "sims";
    return store.importBatch(batchOf(marks, "day" + std::to_string(fingerprint)), fingerprint);
  };
  ASSERT_EQ(day(0, 300, d("2024-09-09"), "/", 1).marks_added, 600);
  ASSERT_EQ(day(0, 300, d("2024-09-10"), "/", 2).marks_added, 600);
  // Monday again for 250 of them, 40 with an N in the afternoon; Tuesday's afternoon for 10.
  std::vector<Mark> marks;
  for (int i = 0; i < 250; ++i)
    test::addDays(marks, upnOf(i), {d("2024-09-09")}, "/", i < 40 ? "N" : "/");
  for (int i = 0; i < 10; ++i)
    marks.push_back(test::mark(upnOf(i), d("2024-09-11"), Session::PM, "L"));
  for (auto& m : marks) m.source = "sims";
  auto outcome = store.importBatch(batchOf(marks, "again"), 3);
  EXPECT_EQ(outcome.marks_amended, 40);
  EXPECT_EQ(outcome.marks_added, 10);
  EXPECT_EQ(outcome.marks_unchanged, 460);
  std::map<std::string, std::string> afternoon;
  store.forEachPupilRegister(test::autumnCalendar(), [&](const Pupil& p, const PupilRegister& r) {
    afternoon[p.upn] = std::string(r.at(d("2024-09-09"), Session::PM).str()) +
                       std::string(r.at(d("2024-09-10"), Session::PM).str()) +
                       std::string(r.at(d("2024-09-11"), Session::PM).str());
  });
  ASSERT_EQ(afternoon.size(), 300u);
  const std::string none(Code::notTaken().str());
  EXPECT_EQ(afternoon[upnOf(0)], "N/L");
  EXPECT_EQ(afternoon[upnOf(39)], "N/" + none);
  EXPECT_EQ(afternoon[upnOf(40)], "//" + none);
  EXPECT_EQ(afternoon[upnOf(299)], "//" + none);  // not named again: as it was
  EXPECT_EQ(store.amendments(upnOf(39)).size(), 1u);
  EXPECT_TRUE(store.amendments(upnOf(40)).empty());
}

// Pupils read together (the PostgreSQL store reads a week of every pupil at once): one with no
// marks in weeks the pupils either side of them have is read without theirs, and they with
// their own.
TYPED_TEST_P(RegisterStoreContract, APupilWithoutTheWeeksOfThoseBesideThemIsReadWithoutTheirs) {
  auto& store = this->registers();
  const std::string a = "A801200005002", b = "B801200005001", c = "C801200005003";
  std::vector<Mark> marks;
  for (Date monday : {d("2024-09-09"), d("2024-09-16"), d("2024-09-23")}) {
    test::addDays(marks, a, {monday}, "/", "L");
    test::addDays(marks, c, {monday}, "I", "M");
  }
  test::addDays(marks, b, {d("2024-09-16")}, "N", "G");
  store.importBatch(batchOf(marks, "three weeks"), 1);
  const std::string none(Code::notTaken().str());
  auto mondays = [&](const PupilRegister& r) {
    std::string codes;
    for (Date monday : {d("2024-09-09"), d("2024-09-16"), d("2024-09-23")})
      codes += std::string(r.at(monday, Session::AM).str()) +
               std::string(r.at(monday, Session::PM).str()) + " ";
    return codes;
  };
  std::map<std::string, std::string> read;
  store.forEachPupilRegister(test::autumnCalendar(), [&](const Pupil& p, const PupilRegister& r) {
    read[p.upn] = mondays(r);
  });
  EXPECT_EQ(read[a], "/L /L /L ");
  EXPECT_EQ(read[b], none + none + " NG " + none + none + " ");
  EXPECT_EQ(read[c], "IM IM IM ");
  std::map<std::string, std::string> marksRead;
  store.forEachRegister([&](const Pupil& p, const std::vector<Mark>& list) {
    for (const auto& m : list) marksRead[p.upn] += std::string(m.code.str());
  });
  EXPECT_EQ(marksRead[a], "/L/L/L");
  EXPECT_EQ(marksRead[b], "NG");
  EXPECT_EQ(marksRead[c], "IMIMIM");
  // One file with marks in the first and third weeks, not the second: both weeks' rows are
  // found and amended, and B's first week is added.
  std::vector<Mark> later;
  for (const auto& upn : {a, b, c}) {
    later.push_back(test::mark(upn, d("2024-09-09"), Session::PM, "R"));
    later.push_back(test::mark(upn, d("2024-09-23"), Session::AM, "R"));
  }
  auto outcome = store.importBatch(batchOf(later, "first and third weeks"), 2);
  EXPECT_EQ(outcome.marks_amended, 4);
  EXPECT_EQ(outcome.marks_added, 2);
  read.clear();
  store.forEachPupilRegister(test::autumnCalendar(), [&](const Pupil& p, const PupilRegister& r) {
    read[p.upn] = mondays(r);
  });
  EXPECT_EQ(read[a], "/R /L RL ");
  EXPECT_EQ(read[b], none + "R NG R" + none + " ");
  EXPECT_EQ(read[c], "IR IM RM ");
}

REGISTER_TYPED_TEST_SUITE_P(
    RegisterStoreContract, KeepsTheRegisterAcrossReopening, ReimportingTheSameFileChangesNothing,
    AChangedMarkIsAnAmendmentThatKeepsTheOriginal, ABlankInALaterExportNeverErasesATakenMark,
    ACorrectionFromALowerPrioritySourceIsNotAppliedAndSaysSo,
    RefusesABatchWithProblemsAndStoresNothing, AnImportNotCommittedLeavesNothingBehind,
    RemembersWhatASourceKeptAcrossReopening, ListsPupilsAndTheirRegistersLaidOverTheCalendar,
    EachReadOfTheRegistersShowsEveryImportSoFar,
    ASyncThatListsThePupilsWithoutOneCountsAgainstThatOneOnly,
    ADaysExportNamingMostOfTheSchoolChangesOnlyWhatItChanges,
    APupilWithoutTheWeeksOfThoseBesideThemIsReadWithoutTheirs);
INSTANTIATE_TYPED_TEST_SUITE_P(Backends, RegisterStoreContract, test::StoreBackends,
                               test::BackendName);
