#pragma once
// What `markbridge check` looks at beyond the configuration's own rules, reading the files and
// secrets it names as they are today: certificates that have expired (read with OpenSSL), source
// files that are missing, INSET days outside every term, an admin API open to the network
// without TLS or with a short token, and a calendar that does not cover today or ends within 4
// weeks. Problems make `check` fail; warnings are printed and `check` passes. Each names the
// file and the JSON path to change.

#include <cstdint>
#include <vector>

#include "core/app/gateway.h"

namespace markbridge {

struct ConfigAudit {
  std::vector<Problem> problems;
  std::vector<Problem> warnings;
};

// `nowSeconds`: unix time (injected for tests).
ConfigAudit auditConfiguration(const Gateway& gateway, int64_t nowSeconds);

// A policy's digests (core/rules/digest.h) that no sink takes while a sink takes the school's
// concerns, tasks or notes: one sentence each, naming the rule, its role and the sinks that could
// take it. Its pupils' entries are recorded and never sent on their own, so without a sink the
// list reaches nobody. Empty when a sink takes digests, when none takes pastoral records at all,
// or when the sinks were not built. `check` and `sync --dry-run` print them.
std::vector<std::string> digestsGoingNowhere(const Gateway& gateway);

// The admin token must be at least this long.
constexpr std::size_t kMinAdminTokenLength = 16;

}  // namespace markbridge
