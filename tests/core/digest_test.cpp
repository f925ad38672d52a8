// Digests (issue 14 item 4): a rule whose action is {"digest": {"every": "week", "to": ROLE}}
// raises one event per school, rule and week listing the pupils, not one per pupil. The planner
// on a crafted register (no database); then a real SQLite store: evaluating again does not
// double a digest, an amendment revises the one already queued, and the LA is never routed one.

#include "core/rules/digest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/app/evaluation.h"
#include "core/rules/sink_event.h"
#include "core/store/store.h"
#include "tests/support/morning_sync.h"

using namespace markbridge;
using test::d;

namespace {

// The shipped N-unresolved rule's condition, asking for a weekly digest for the attendance officer
// (a policy of the test's own: the shipped statutory rule raises a task per pupil).
const char* kDigestPolicy = R"({"name": "ours", "rules": [{"id": "n_digest",
  "when": {"measure": "count", "codes": ["N"], "window": {"school_week_ended_days_ago": 5},
           "at_least": 1},
  "action": {"digest": {"every": "week", "to": "attendance_officer"}},
  "summary": "{value} N session(s) still unresolved on {to}: {sessions}"}]})";

Policy digestPolicy() {
  std::vector<Problem> problems;
  auto policy = Policy::fromJson(nlohmann::json::parse(kDigestPolicy), "ours.json", problems);
  EXPECT_TRUE(problems.empty()) << problems.front().str();
  return *policy;
}

// Pupils of one school, each a PolicyRegister of their own.
struct DigestPlanner : ::testing::Test {
  Policy policy = digestPolicy();
  std::vector<DigestRule> rules = digestRules({policy});
  std::vector<test::PolicyRegister> pupils;

  DigestPlanner() { pupils.reserve(8); }  // references to pupils stay good
  test::PolicyRegister& pupil(const char* upn, const char* surname) {
    pupils.emplace_back(test::autumnCalendar());
    auto& p = pupils.back();
    p.pupil.upn = upn;
    p.pupil.surname = surname;
    for (auto& m : p.marks) m.upn = upn;
    return p;
  }
  std::vector<SinkEvent> entries() const {
    std::vector<SinkEvent> out;
    for (const auto& p : pupils)
      for (const auto& e : p.fired(policy, "ours.n_digest")) out.push_back(SinkEvent::of(e));
    return out;
  }
  std::vector<SinkEvent> digests(Date today) const {
    std::vector<SinkEvent> out;
    for (const auto& e : planDigests(rules, entries(), d("2024-09-02"), today))
      out.push_back(SinkEvent::of(e));
    return out;
  }
};

}  // namespace

TEST_F(DigestPlanner, OneDigestAWeekListsEveryPupilWithTheirFigures) {
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].rule, "ours.n_digest");
  EXPECT_EQ(rules[0].to, "attendance_officer");
  // Two pupils with Ns in the week of 16 September: each entry arises on Friday 27th (five
  // school days after the week ended), so both fall in the week of 23 September.
  pupil("A801200001001", "Able").set({d("2024-09-17")}, "N", "N");
  pupil("B801200001002", "Baker").set({d("2024-09-19")}, "N", "/");
  auto found = entries();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].type, "digest_entry");

  EXPECT_TRUE(digests(d("2024-09-29")).empty()) << "the week has not ended yet";
  auto sent = digests(d("2024-09-30"));
  ASSERT_EQ(sent.size(), 1u);
  const auto& digest = sent[0];
  EXPECT_EQ(digest.type, "digest");
  EXPECT_EQ(digest.rule, "ours.n_digest");
  EXPECT_EQ(digest.pupil.upn, "digest:ours.n_digest");
  EXPECT_EQ(digest.from, d("2024-09-23"));
  EXPECT_EQ(digest.to, d("2024-09-29"));
  EXPECT_EQ(digest.summary,
            "Weekly digest of ours.n_digest for attendance_officer, 2024-09-23 to 2024-09-29: 2 "
            "pupils (2 new, 0 with figures moved); 0 no longer listed");
  ASSERT_TRUE(digest.action && digest.action->assignee_role);
  EXPECT_EQ(*digest.action->assignee_role, "attendance_officer");
  ASSERT_TRUE(digest.digest);
  const auto& listed = (*digest.digest)["pupils"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["surname"], "Able");
  EXPECT_EQ(listed[0]["value"], 2);  // the measure's value: two N sessions
  EXPECT_EQ(listed[0]["sessions"], 2);
  EXPECT_EQ(listed[0]["change"], "new");
  EXPECT_EQ(listed[1]["surname"], "Baker");
  EXPECT_EQ(listed[1]["value"], 1);
  EXPECT_GT(listed[1]["attendance_percent"].get<double>(), 90.0);
}

TEST_F(DigestPlanner, SaysWhatChangedSinceTheWeekBefore) {
  // Able: Ns in two weeks running (1 then 2); Baker only the first; Cole only the second.
  auto& able = pupil("A801200001001", "Able");
  able.set({d("2024-09-17")}, "N", "/");
  able.set({d("2024-09-24")}, "N", "N");
  pupil("B801200001002", "Baker").set({d("2024-09-18")}, "N", "/");
  pupil("C801200001003", "Cole").set({d("2024-09-25")}, "N", "/");
  auto sent = digests(d("2024-10-07"));
  ASSERT_EQ(sent.size(), 2u);  // the weeks of 23 and of 30 September
  EXPECT_EQ(sent[1].from, d("2024-09-30"));
  const auto& second = *sent[1].digest;
  ASSERT_EQ(second["pupils"].size(), 2u);
  EXPECT_EQ(second["pupils"][0]["surname"], "Able");
  EXPECT_EQ(second["pupils"][0]["change"], "moved");
  EXPECT_EQ(second["pupils"][0]["before"]["value"], 1);
  EXPECT_EQ(second["pupils"][0]["value"], 2);
  EXPECT_EQ(second["pupils"][1]["surname"], "Cole");
  EXPECT_EQ(second["pupils"][1]["change"], "new");
  ASSERT_EQ(second["gone"].size(), 1u);
  EXPECT_EQ(second["gone"][0]["surname"], "Baker");
  EXPECT_EQ(second["counts"], nlohmann::json::parse(R"({"pupils":2,"new":1,"moved":1,"gone":1})"));
}

TEST_F(DigestPlanner, TheSameEntriesGiveTheSameIdAndOthersReviseTheSamePeriod) {
  pupil("A801200001001", "Able").set({d("2024-09-17")}, "N", "N");
  auto& baker = pupil("B801200001002", "Baker");
  baker.set({d("2024-09-19")}, "N", "/");
  auto first = planDigests(rules, entries(), d("2024-09-02"), d("2024-09-30"));
  auto again = planDigests(rules, entries(), d("2024-09-02"), d("2024-10-30"));
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(first[0].id, again[0].id) << "found again: nothing new to send";

  // Baker's N amended to an authorised code: the digest for that week now lists one pupil.
  baker.set({d("2024-09-19")}, "C", "/");
  auto amended = planDigests(rules, entries(), d("2024-09-02"), d("2024-09-30"));
  ASSERT_EQ(amended.size(), 1u);
  EXPECT_NE(amended[0].id, first[0].id);
  // The lifecycle turns that into a revision of the digest already recorded, not a second one.
  RecordedEvent was;
  was.id = first[0].id;
  was.rule = first[0].rule;
  was.type = "digest";
  was.upn = first[0].pupil.upn;
  was.occurred_on = first[0].occurred_on;
  was.from = first[0].from;
  was.to = first[0].to;
  was.record_of = first[0].id;
  std::vector<PupilEvaluated> digestPupil{{first[0].pupil.upn, d("2024-09-23"), ""}};
  auto plan = planEvaluation(digestPupil, amended, {was}, {{"cpoms", {"digest"}}});
  ASSERT_EQ(plan.queue.size(), 1u);
  EXPECT_EQ(plan.queue[0].kind, OutboxKind::Revise);
  EXPECT_EQ(plan.outcome.revised_events, 1);
}

TEST_F(DigestPlanner, APolicyNamesAWrongDigestByItsPath) {
  auto json = nlohmann::json::parse(kDigestPolicy);
  json["rules"][0]["action"]["digest"] = {{"every", "month"}, {"too", "dsl"}};
  std::vector<Problem> problems;
  EXPECT_FALSE(Policy::fromJson(json, "ours.json", problems));
  std::string all;
  for (const auto& p : problems) all += p.str() + "\n";
  EXPECT_NE(all.find("rules[0].action.digest.every"), std::string::npos) << all;
  EXPECT_NE(all.find("\"month\""), std::string::npos) << all;
  EXPECT_NE(all.find("rules[0].action.digest.to"), std::string::npos) << all;
  EXPECT_NE(all.find("rules[0].action.digest.too"), std::string::npos) << all;
}

namespace {

// The same school in a real SQLite store, evaluated as syncs do.
struct DigestStore : ::testing::Test {
  test::TempDir dir;
  std::unique_ptr<Store> store = openSqliteStore((dir / "register.db").string());
  RuleSet rules;
  SchoolCalendar cal = test::autumnCalendar();
  const std::vector<SinkRoute> routes{
      {"la", {"unauthorised_10_day", "sickness_15_day", "penalty_threshold"}},
      {"cpoms", {"task", "concern", "note", "digest"}}};
  std::vector<test::PolicyRegister> pupils;
  int64_t now = 1'000;

  DigestStore() {
    dir.write("ours.json", kDigestPolicy);
    rules = test::shippedPolicies({"statutory", (dir / "ours.json").string()});
    pupils.reserve(8);  // references to pupils stay good
  }
  test::PolicyRegister& pupil(const char* upn, const char* surname) {
    pupils.emplace_back(cal);
    auto& p = pupils.back();
    p.pupil.upn = upn;
    p.pupil.surname = surname;
    for (auto& m : p.marks) m.upn = upn;
    return p;
  }
  void importThrough(Date last) {
    ImportBatch batch;
    batch.source = "test";
    batch.origin = "export.csv";
    batch.fingerprint = std::to_string(now);
    for (const auto& p : pupils) {
      batch.pupils.push_back(p.pupil);
      for (const auto& m : p.marks)
        if (m.date <= last) batch.marks.push_back(m);
    }
    batch.rows = static_cast<int>(batch.marks.size());
    store->importBatch(batch, now);
  }
  EvaluationOutcome syncAt(Date today) {
    now += 1'000;
    importThrough(today - 1);
    return evaluateRegisters(*store, cal, rules, routes, today, now).outcome;
  }
  // The outbox items queued for the digests, oldest first.
  std::vector<OutboxItem> digestItems() {
    std::vector<OutboxItem> out;
    for (const auto& item : store->outbox(std::nullopt, 1000))
      if (isDigestUpn(item.upn)) out.push_back(item);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    return out;
  }
};

}  // namespace

TEST_F(DigestStore, EvaluatingAgainNeverDoublesADigestAndAnAmendmentRevisesIt) {
  pupil("A801200001001", "Able").set({d("2024-09-17")}, "N", "N");
  auto& baker = pupil("B801200001002", "Baker");
  baker.set({d("2024-09-19")}, "N", "/");
  // Day by day through the weeks: the entries arise on Friday 27th, the digest once the week
  // of 23 September has ended.
  for (Date day : cal.schoolDays(d("2024-09-23"), d("2024-09-27"))) syncAt(day);
  EXPECT_TRUE(digestItems().empty());
  syncAt(d("2024-09-30"));
  auto items = digestItems();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].sink, "cpoms");
  EXPECT_EQ(items[0].kind, OutboxKind::Notify);
  auto sent = SinkEvent::fromJson(items[0].payload);
  ASSERT_TRUE(sent.digest);
  EXPECT_EQ((*sent.digest)["pupils"].size(), 2u);
  // No pupil entry goes anywhere on its own, and the LA is never routed a digest.
  for (const auto& item : store->outbox(std::nullopt, 1000)) {
    EXPECT_NE(item.kind == OutboxKind::Notify && item.sink == "la" && isDigestUpn(item.upn), true);
    EXPECT_EQ(item.payload.find("\"type\":\"digest_entry\""), std::string::npos) << item.key;
  }

  // Later syncs find the same entries: nothing more is queued.
  syncAt(d("2024-10-01"));
  syncAt(d("2024-10-02"));
  EXPECT_EQ(digestItems().size(), 1u);

  // The office amends Baker's N: the digest already queued is revised (one item, same record).
  baker.set({d("2024-09-19")}, "C", "/");
  syncAt(d("2024-10-03"));
  items = digestItems();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].kind, OutboxKind::Revise);
  auto revised = SinkEvent::fromJson(items[1].payload);
  ASSERT_TRUE(revised.digest);
  ASSERT_EQ((*revised.digest)["pupils"].size(), 1u);
  EXPECT_EQ((*revised.digest)["pupils"][0]["surname"], "Able");
  syncAt(d("2024-10-04"));
  EXPECT_EQ(digestItems().size(), 2u);
}
