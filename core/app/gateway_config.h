#pragma once
// The gateway's configuration file: the school, the store, the calendar, the sources (inbound
// connectors), the rules, the sinks (outbound connectors) and delivery settings. Relative paths
// are relative to the config file.

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/domain/problem.h"
#include "core/domain/school.h"
#include "core/outbox/delivery_worker.h"
#include "core/rules/rule_set.h"

namespace markbridge {

struct GatewayConfig {
  std::filesystem::path file;
  std::filesystem::path base_dir;
  School school;
  std::filesystem::path store_path;
  std::filesystem::path calendar_path;
  nlohmann::json sources;  // validated per connector type when built
  nlohmann::json sinks;
  RuleSet rules;
  DeliveryOptions delivery;
  std::string log_level = "info";
};

// Reads and validates (no connection is made, no secret is read). Problems name JSON paths.
GatewayConfig loadGatewayConfig(const std::filesystem::path& file, std::vector<Problem>& problems);

// Every setting of every part, as Markdown tables (for `markbridge describe`).
std::string describeConfiguration();

}  // namespace markbridge
