#pragma once
// The rules a school runs, built from the "rules" section of the config, and the one function
// that evaluates them for a pupil.

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <vector>

#include "core/domain/config_schema.h"
#include "core/rules/rule.h"

namespace markbridge {

class RuleSet {
 public:
  static std::span<const Field> schema();
  // Each rule's own settings, by its key under "rules".
  static std::vector<std::pair<std::string_view, std::span<const Field>>> ruleSchemas();
  static RuleSet fromJson(const nlohmann::json& json, const std::string& path,
                          const ConfigContext& context);

  // Pure: the events whose grounds hold for this pupil now.
  std::vector<Event> evaluate(const Pupil& pupil, const PupilRegister& reg) const;
  std::size_t size() const { return rules_.size(); }
  // Events that arose before this day are history: recorded, never sent.
  std::optional<Date> notifyFrom() const { return notify_from_; }

 private:
  std::vector<std::shared_ptr<const Rule>> rules_;
  std::optional<Date> notify_from_;
};

}  // namespace markbridge
