#pragma once
// Common Transfer File XML: pupils (`CTFpupilData/Pupil/{UPN,Surname,Forename,DOB}`) and their
// attendance (`Attendance/YearData/AttendSessions/{AttendanceStartDate,AttendanceMarks}`), the
// marks string running from the start date, AM then PM for every calendar day, `#` on days not
// in session. The YearData totals (SessionsPossible, ...Authorised, ...Attended,
// ...Unauthorised) are checked against the marks; a difference is a warning, not a rejection.

#include <memory>
#include <string_view>

#include "connectors/inbound/ctf_xml/ctf_xml_config.h"
#include "connectors/inbound/inbound_connector.h"

namespace markbridge {

class CtfXmlConnector : public InboundConnector {
 public:
  CtfXmlConnector(CtfXmlConfig config, CodeMap codes);
  const std::string& name() const override { return config_.name; }
  void pull(ImportReceiver& into) override;
  void read(const std::filesystem::path& file, ImportReceiver& into) override;
  void parse(std::string_view bytes, const std::string& origin, const std::string& fingerprint,
             ImportReceiver& into) const;
  // Gathered whole (tests and fuzzing).
  ImportBatch parse(std::string_view bytes, const std::string& origin) const;
  const CodeMap* codes() const override { return &codes_; }

 private:
  CtfXmlConfig config_;
  CodeMap codes_;
};

std::unique_ptr<InboundConnector> buildCtfXmlConnector(const nlohmann::json& config,
                                                       const std::string& path,
                                                       const std::filesystem::path& baseDir,
                                                       const ConfigContext& context);

}  // namespace markbridge
