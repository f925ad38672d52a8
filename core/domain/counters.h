#pragma once
// What every connector instance counts: records, bytes, retries, failures. `sync` prints them;
// the service's /metrics will expose them.

#include <atomic>
#include <cstdint>

namespace markbridge {

struct ConnectorCounters {
  std::atomic<int64_t> records{0};   // marks (or census totals) read / events delivered
  std::atomic<int64_t> bytes{0};     // bytes read / request bodies sent
  std::atomic<int64_t> retries{0};   // attempts that will be tried again
  std::atomic<int64_t> failures{0};  // files refused / events rejected
};

}  // namespace markbridge
