#pragma once
// The rules a school runs: the policies named in the config's "rules" section (the built-in
// "statutory" policy, or policy files), and the one function that evaluates them for a pupil.

#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "core/domain/config_schema.h"
#include "core/rules/admission_returns.h"
#include "core/rules/engine/policy.h"
#include "core/rules/missing_education.h"

namespace markbridge {

class RuleSet {
 public:
  // The `rules` settings as a Markdown table, with their defaults.
  static std::string describe();
  // Policy files are read here (relative to `baseDir`); problems name the JSON path.
  static RuleSet fromJson(const nlohmann::json& json, const std::string& path,
                          const std::filesystem::path& baseDir, const ConfigContext& context);
  // The statutory policy shipped in the binary (docs/policies/statutory.json).
  static const Policy& statutory();

  // Pure: the events whose grounds hold for this pupil over the whole calendar.
  std::vector<Event> evaluate(const Pupil& pupil, const PupilRegister& reg) const;
  // The events that arose on school days up to `through` (today: later days have no marks
  // yet and must not count as days without improvement). When `checkpoint` (from an earlier
  // evaluation) was made by the same policies and calendar for the same pupil details and the
  // register up to its day is unchanged, the walk resumes there: only events from `from` on are
  // found again. The new checkpoint is the state at the end of the day before `through`, since
  // today's registers may still change.
  struct Outcome {
    std::vector<Event> events;
    Date from;               // events that arose before this day were not looked at again
    std::string checkpoint;  // to keep for the next evaluation of this pupil
    bool resumed = false;
  };
  Outcome evaluate(const Pupil& pupil, const PupilRegister& reg, Date through,
                   std::string_view checkpoint = {}) const;
  // The same, given digestFor(reg.calendar()): what a checkpoint's rules must match, worked out
  // once for a school's pupils instead of for each.
  Outcome evaluate(const Pupil& pupil, const PupilRegister& reg, Date through,
                   std::string_view checkpoint, uint64_t rulesDigest) const;
  // The policies, the calendar's school days and the settings a checkpoint was made under.
  uint64_t digestFor(const SchoolCalendar& calendar) const;
  std::size_t size() const;  // rules in all policies
  const std::vector<Policy>& policies() const { return policies_; }
  // Events that arose before this day are history: recorded, never sent.
  std::optional<Date> notifyFrom() const { return notifyFrom_; }
  // The admission register's returns (new pupil, deletion), evaluated beside the policies.
  const AdmissionReturnSettings& admissionReturns() const { return admission_; }
  // Children missing education (vanished pupils, leavers), evaluated beside the policies too.
  const MissingEducationSettings& missingEducation() const { return missing_; }

 private:
  std::vector<Policy> policies_;
  AdmissionReturnSettings admission_;
  MissingEducationSettings missing_;
  std::optional<Date> notifyFrom_;
};

}  // namespace markbridge
