#pragma once
// School Census XML: `Message/Header/Source/{LEA,Estab}` and per pupil
// `Pupils/PupilsOnRoll/PupilOnRoll` (also `PupilsNoLongerOnRoll/PupilNoLongerOnRoll`) with
// `PupilIdentifiers/{UPN,Surname,Forename,DOB}`, `PupilStatus/NCyearActual` (where the DfE
// specification's pupil status module puts it; a pupil without one is a counted warning) and
// `Attendance/{TermlyAttendance,AnnualAttendance,SummerHalfTerm2Attendance}/{SessionsPossible,
// SessionsAuthorised,SessionsUnauthorised,SessionDetails/SessionDetail/{AttendanceReason,
// AbsenceSessions}}`. A total the return leaves out is the sum of its reasons by the 2024
// categories; every 2024 code is a reason (present, attending, not counted too), anything else
// refuses the return. Census carries totals, not marks: it seeds and refreshes pupils' details
// and its totals are kept for `markbridge reconcile`; it never invents a mark.

#include <memory>
#include <string_view>

#include "connectors/inbound/census_xml/census_xml_config.h"
#include "connectors/inbound/common/xml_file_connector.h"

namespace markbridge {

class CensusXmlConnector : public XmlFileConnector {
 public:
  explicit CensusXmlConnector(CensusXmlConfig config);

 protected:
  const FileSourceConfig& source() const override { return config_; }
  void readDocument(const XmlDocument& doc, const std::string& origin, BatchBuilder& builder,
                    const PupilDirectory& directory) const override;

 private:
  CensusXmlConfig config_;
};

std::unique_ptr<InboundConnector> buildCensusXmlConnector(const nlohmann::json& config,
                                                          const std::string& path,
                                                          const std::filesystem::path& baseDir,
                                                          const ConfigContext& context);

}  // namespace markbridge
