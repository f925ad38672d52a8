#pragma once
// One pupil's register for policy tests: present every school day from `from` to `to`, then
// days overwritten with set(); fired() runs a policy over it and keeps one rule's events.

#include <algorithm>
#include <string>
#include <vector>

#include "core/domain/import_batch.h"
#include "core/rules/engine/policy.h"
#include "tests/support/test_support.h"

namespace markbridge::test {

struct PolicyRegister {
  SchoolCalendar cal;
  Pupil pupil{"B801200005001", "1001", "Ann", "Smith", {}, "8", "8B", {}};
  std::vector<Mark> marks;

  explicit PolicyRegister(SchoolCalendar calendar, const char* from = "2024-09-03",
                          const char* to = "2025-04-04")
      : cal(std::move(calendar)) {
    addDays(marks, pupil.upn, cal.schoolDays(d(from), d(to)), "/", "\\");
  }
  void set(const std::vector<Date>& days, const char* am, const char* pm) {
    for (Date day : days)
      for (auto& m : marks)
        if (m.date == day) m.code = *Code::fromString(m.session == Session::AM ? am : pm);
  }
  // `count` school days from `from` (fewer when the calendar ends first).
  std::vector<Date> schoolDays(const char* from, int count) const {
    auto all = cal.schoolDays(d(from), cal.last());
    all.resize(std::min(all.size(), static_cast<std::size_t>(count)));
    return all;
  }
  // The school day `n` school days after `day`.
  Date after(Date day, int n) const {
    return cal.schoolDays(day, cal.last()).at(static_cast<std::size_t>(n));
  }
  // Events whose rule id is `rule` (a whole id, or POLICY.LADDER for all its stages).
  std::vector<Event> fired(const Policy& policy, const std::string& rule) const {
    PupilRegister reg(cal, marks);
    std::vector<Event> out;
    for (auto& e : policy.evaluate(pupil, reg))
      if (e.rule == rule || e.rule.rfind(rule + ".", 0) == 0) out.push_back(std::move(e));
    return out;
  }
  // The pupil and the marks `keep` keeps, as an export imported at `now` (source "test", its
  // fingerprint the time, so each is imported).
  template <typename Keep>
  ImportBatch exportAt(int64_t now, Keep keep) const {
    ImportBatch batch;
    batch.source = "test";
    batch.origin = "export.csv";
    batch.fingerprint = std::to_string(now);
    batch.pupils.push_back(pupil);
    for (const auto& m : marks)
      if (keep(m)) batch.marks.push_back(m);
    batch.rows = static_cast<int>(batch.marks.size());
    return batch;
  }
  // The rule ids of those events, in order.
  std::vector<std::string> stages(const Policy& policy, const std::string& ladder) const {
    std::vector<std::string> out;
    for (const auto& e : fired(policy, ladder)) out.push_back(e.rule.substr(ladder.size() + 1));
    return out;
  }
};

}  // namespace markbridge::test
