#pragma once
// SIMS-style CSV, long layout: one row per pupil-session.
// Header `UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,Date,Session,Mark` (case and
// spacing free, any order) with optional Comment, Minutes Late, DOB and pupil flag columns.

#include <memory>
#include <string_view>

#include "connectors/inbound/inbound_connector.h"
#include "connectors/inbound/sims_csv/sims_csv_config.h"
#include "mapping/code_map.h"

namespace markbridge {

class SimsCsvConnector : public InboundConnector {
 public:
  SimsCsvConnector(SimsCsvConfig config, CodeMap codes);
  const std::string& name() const override { return config_.name; }
  void pull(const std::function<void(ImportBatch&&)>& take) override;
  ImportBatch readFile(const std::filesystem::path& file) override;
  // Parses bytes already read (for tests and fuzzing): `origin` names them in messages.
  ImportBatch parse(std::string_view bytes, const std::string& origin) const;
  const CodeMap& codes() const { return codes_; }

 private:
  SimsCsvConfig config_;
  CodeMap codes_;
};

std::unique_ptr<InboundConnector> buildSimsCsvConnector(const nlohmann::json& config,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context);

}  // namespace markbridge
