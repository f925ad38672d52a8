#pragma once
// School Census XML: `Message/Header/Source/{LEA,Estab}` and per pupil
// `Pupils/PupilsOnRoll/PupilOnRoll` (also `PupilsNoLongerOnRoll/PupilNoLongerOnRoll`) with
// `PupilIdentifiers/{UPN,Surname,Forename,DOB}`, `PupilCharacteristics/NCyearActual` and
// `Attendance/{TermlyAttendance,AnnualAttendance,SummerHalfTerm2Attendance}/{SessionsPossible,
// SessionsAuthorised,SessionsUnauthorised,SessionDetails/SessionDetail/{AttendanceReason,
// AbsenceSessions}}`. Census carries totals, not marks: it seeds and refreshes pupils' details
// and its totals are kept for `markbridge reconcile`; it never invents a mark.

#include <memory>
#include <string_view>

#include "connectors/inbound/census_xml/census_xml_config.h"
#include "connectors/inbound/inbound_connector.h"

namespace markbridge {

class CensusXmlConnector : public InboundConnector {
 public:
  explicit CensusXmlConnector(CensusXmlConfig config) : config_(std::move(config)) {}
  const std::string& name() const override { return config_.name; }
  void pull(ImportReceiver& into) override;
  void read(const std::filesystem::path& file, ImportReceiver& into) override;
  void parse(std::string_view bytes, const std::string& origin, const std::string& fingerprint,
             ImportReceiver& into) const;
  // Gathered whole (tests and fuzzing).
  ImportBatch parse(std::string_view bytes, const std::string& origin) const;

 private:
  CensusXmlConfig config_;
};

std::unique_ptr<InboundConnector> buildCensusXmlConnector(const nlohmann::json& config,
                                                          const std::string& path,
                                                          const std::filesystem::path& baseDir,
                                                          const ConfigContext& context);

}  // namespace markbridge
