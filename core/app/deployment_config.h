#pragma once
// A trust's configuration: many schools in one file, served by one `markbridge run`
// (docs/trusts.md). The single-school form (a `school` at the top level) is one school.
//
//   {"schools": [{"school": {...}, "calendar": "...", "sources": [...], "rules": {...}}, ...],
//    "sinks": [...], "delivery": {...}, "schedule": {...}, "store": {...}, "log_level": "info",
//    "service": {...}}
//
// Each school has its own `school`, `calendar`, `sources` and `rules`, and may have its own
// `sinks`, `delivery`, `schedule`, `store` and `log_level`: the top-level ones are the defaults a
// school that leaves them out inherits. A school's own `sinks` REPLACE the shared list (one list
// to read for where a school's events go). Stores: SQLite is one file per school, by default
// stores/<URN>.db beside the configuration (a shared "sqlite" path must hold "{urn}"); two
// schools never share a file. PostgreSQL is one database whose rows are keyed by URN. `service`
// (admin API, log file, console) is one for the process: top level only.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/app/gateway_config.h"

namespace markbridge {

struct Deployment {
  std::filesystem::path file;
  bool many = false;                   // written as `schools: [...]`
  std::vector<GatewayConfig> schools;  // in the file's order; one for the single-school form
  std::vector<std::string> urns() const;
  const GatewayConfig* school(const std::string& urn) const;
};

// Reads and validates every school (no connection made, no secret read). Problems name JSON
// paths: "$.schools[3].sources[0].files", or "$.sinks[0]" for a shared sink.
Deployment loadDeployment(const std::filesystem::path& file, std::vector<Problem>& problems);

// One school of a trust's configuration already read as `json` (for loadGatewayConfig): the
// one `urn` names; with `urn` empty, a problem that says to name one.
GatewayConfig schoolOfDeployment(const std::filesystem::path& file, const nlohmann::json& json,
                                 const std::string& urn, std::vector<Problem>& problems);

// "140001, 140002 and 140003", for messages.
std::string urnList(const std::vector<std::string>& urns);

}  // namespace markbridge
