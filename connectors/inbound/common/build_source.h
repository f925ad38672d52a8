#pragma once
// The build step every file source shares: validate the settings, make the code map, and only
// when neither had a problem make the connector.

#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "connectors/inbound/inbound_connector.h"

namespace markbridge {

template <class Config, class Make>
std::unique_ptr<InboundConnector> buildFileSource(const nlohmann::json& json,
                                                  const std::string& path,
                                                  const std::filesystem::path& baseDir,
                                                  const ConfigContext& context, Make make) {
  std::size_t before = context.problems->size();
  auto config = Config::fromJson(json, path, baseDir, context);
  auto codes = config.codeMap(path, context);
  if (context.problems->size() != before) return nullptr;
  return make(std::move(config), std::move(codes));
}

}  // namespace markbridge
