#pragma once
// Common Transfer File XML: pupils (`CTFpupilData/Pupil/{UPN,Surname,Forename,DOB}`) and their
// attendance (`Attendance/YearData/AttendSessions/{AttendanceStartDate,AttendanceMarks}`), the
// marks string running from the start date, AM then PM for every calendar day, `#` on days not
// in session. The YearData totals (SessionsPossible, ...Authorised, ...Attended,
// ...Unauthorised) are checked against the marks; a difference is a warning, not a rejection.

#include <memory>
#include <string_view>

#include "connectors/inbound/common/xml_file_connector.h"
#include "connectors/inbound/ctf_xml/ctf_xml_config.h"

namespace markbridge {

class CtfXmlConnector : public XmlFileConnector {
 public:
  CtfXmlConnector(CtfXmlConfig config, CodeMap codes);
  const CodeMap* codes() const override { return &codes_; }

 protected:
  const FileSourceConfig& source() const override { return config_; }
  void readDocument(const XmlDocument& doc, const std::string& origin, BatchBuilder& builder,
                    const PupilDirectory& directory) const override;

 private:
  CtfXmlConfig config_;
  CodeMap codes_;
};

std::unique_ptr<InboundConnector> buildCtfXmlConnector(const nlohmann::json& config,
                                                       const std::string& path,
                                                       const std::filesystem::path& baseDir,
                                                       const ConfigContext& context);

}  // namespace markbridge
