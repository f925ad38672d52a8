#pragma once
// The interface every inbound connector implements: it yields mapped batches, one per file or
// API pull, and knows nothing of rules or sinks.

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "connectors/inbound/common/import_receiver.h"
#include "core/domain/config_schema.h"
#include "core/domain/counters.h"
#include "core/domain/import_batch.h"
#include "mapping/code_map.h"

namespace markbridge {

class InboundConnector {
 public:
  virtual ~InboundConnector() = default;
  virtual const std::string& name() const = 0;
  // Reads everything the connector is configured to read now, one input (file, API pull) at a
  // time; each input ends with into.finish().
  virtual void pull(ImportReceiver& into) = 0;
  // Reads one file given on the command line with this connector's settings.
  virtual void read(const std::filesystem::path& file, ImportReceiver& into) = 0;
  // The same, gathered whole in memory (tests, small files).
  ImportBatch readFile(const std::filesystem::path& file) {
    BatchCollector collector;
    read(file, collector);
    return std::move(collector.batches.back());
  }
  // The nightly reconciliation: the next pull reads again everything changed since `since`
  // (a late amendment in the MIS). Sources that read whole files have nothing to rewind.
  virtual void rewind(Date since) { (void)since; }
  // The effective code map (null for sources that carry no codes, such as the census).
  virtual const CodeMap* codes() const { return nullptr; }
  ConnectorCounters& counters() { return counters_; }
  // Reads refused because the source refused who we are (credentials, client certificate) or
  // its certificate failed verification: nothing is retried until a person fixes them.
  virtual int64_t credentialsRefused() const { return 0; }

 protected:
  ConnectorCounters counters_;
};

// The explicit list of inbound connector types (no self-registering statics).
struct InboundType {
  std::string_view type;
  std::string_view summary;
  std::string (*describe)();  // its settings as a Markdown table (markbridge describe)
  // Pure validation: no file is opened, no connection made.
  void (*validate)(const nlohmann::json& config, const std::string& path,
                   const std::filesystem::path& baseDir, const ConfigContext& context);
  // Validates and builds; returns null when `context` got problems.
  std::unique_ptr<InboundConnector> (*build)(const nlohmann::json& config, const std::string& path,
                                             const std::filesystem::path& baseDir,
                                             const ConfigContext& context);
};
std::span<const InboundType> inboundTypes();
const InboundType* findInboundType(std::string_view type);

}  // namespace markbridge
