#pragma once
// Builds an inbound connector once for a fuzz target, logging off.

#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "connectors/inbound/inbound_connector.h"

namespace markbridge::fuzz {

inline std::unique_ptr<InboundConnector> connector(const nlohmann::json& config) {
  spdlog::set_level(spdlog::level::off);
  std::vector<Problem> problems;
  auto built = findInboundType(config["type"].get<std::string>())
                   ->build(config, "$", "/", ConfigContext{"fuzz", &problems});
  if (!built) __builtin_trap();
  return built;
}

}  // namespace markbridge::fuzz
