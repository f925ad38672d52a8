#pragma once
// The explicit list of outbound connector (sink) types.

#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string_view>

#include "core/domain/config_schema.h"
#include "core/domain/school.h"
#include "core/outbox/sink.h"

namespace markbridge {

struct OutboundType {
  std::string_view type;
  std::string_view summary;
  std::string (*describe)();  // its settings as a Markdown table (markbridge describe)
  // Pure validation: no secret read, no connection made.
  void (*validate)(const nlohmann::json& config, const std::string& path,
                   const std::filesystem::path& baseDir, const ConfigContext& context);
  // Validates and builds (reads secrets); null when `context` got problems.
  std::unique_ptr<Sink> (*build)(const nlohmann::json& config, const std::string& path,
                                 const std::filesystem::path& baseDir, const School& school,
                                 const ConfigContext& context);
};
std::span<const OutboundType> outboundTypes();
const OutboundType* findOutboundType(std::string_view type);

}  // namespace markbridge
