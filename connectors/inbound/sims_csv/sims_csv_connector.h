#pragma once
// SIMS-style CSV exports, in either layout:
// - long: one row per pupil-session, header `UPN,Adno,Legal Surname,Legal Forename,Reg Group,
//   Year,Date,Session,Mark` (case and spacing free, any order) with optional Comment, Minutes
//   Late, DOB and pupil flag columns;
// - grid: one row per pupil, the pupil columns then one column per session headed
//   `dd/mm/yyyy AM` (or `Mon 02/09/2024 PM`); an empty cell or `-` is a missing mark.

#include <memory>
#include <string_view>

#include "connectors/inbound/common/text_feed.h"
#include "connectors/inbound/inbound_connector.h"
#include "connectors/inbound/sims_csv/sims_csv_config.h"
#include "mapping/code_map.h"

namespace markbridge {

class SimsCsvConnector : public InboundConnector {
 public:
  SimsCsvConnector(SimsCsvConfig config, CodeMap codes);
  const std::string& name() const override { return config_.name; }
  void pull(ImportReceiver& into) override;
  void read(const std::filesystem::path& file, ImportReceiver& into) override;
  // Parses a feed (a file block by block, or bytes in memory): `origin` names it in messages;
  // an empty `fingerprint` is taken from the feed.
  void parse(TextFeed& feed, const std::string& origin, ImportReceiver& into,
             const std::string& fingerprint = "") const;
  // Parses bytes already read, gathered whole (tests and fuzzing).
  ImportBatch parse(std::string_view bytes, const std::string& origin) const;
  const CodeMap& codes() const { return codes_; }

 private:
  SimsCsvConfig config_;
  CodeMap codes_;
};

// `Mon 02/09/2024 AM`, `02/09/2024 PM`, `2024-09-02 AM`: a grid layout's session column.
std::optional<std::pair<Date, Session>> parseSessionHeader(std::string_view header);

std::unique_ptr<InboundConnector> buildSimsCsvConnector(const nlohmann::json& config,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context);

}  // namespace markbridge
