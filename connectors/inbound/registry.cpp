#include "connectors/inbound/census_xml/census_xml_connector.h"
#include "connectors/inbound/classcharts_csv/classcharts_csv_connector.h"
#include "connectors/inbound/ctf_xml/ctf_xml_connector.h"
#include "connectors/inbound/inbound_connector.h"
#include "connectors/inbound/mis_rest/mis_rest_connector.h"
#include "connectors/inbound/sims_csv/sims_csv_connector.h"
#include "connectors/inbound/sims_reporter/sims_reporter_connector.h"

namespace markbridge {
namespace {

// One registry line: the type's name, its summary, and the connector's config struct (its
// describe()/schema() and fromJson) and build function.
template <class Config>
constexpr InboundType inboundType(std::string_view type, std::string_view summary,
                                  decltype(InboundType::build) build) {
  return InboundType{type, summary, &describeConfig<Config>, &validateConfig<Config>, build};
}

}  // namespace

std::span<const InboundType> inboundTypes() {
  static const InboundType kTypes[] = {
      inboundType<SimsCsvConfig>("sims_csv",
                                 "SIMS-style CSV export, long layout (one row per pupil-session)",
                                 &buildSimsCsvConnector),
      inboundType<SimsReporterXmlConfig>(
          "sims_reporter_xml",
          "SIMS CommandReporter XML (/OUTPUTTYPE:XML): one Record per pupil-session, as sims_csv",
          &buildSimsReporterXmlConnector),
      inboundType<ClassChartsCsvConfig>(
          "classcharts_csv",
          "Class Charts-style CSV (ISO dates; a blank Code is taken from the Status)",
          &buildClassChartsCsvConnector),
      inboundType<CtfXmlConfig>(
          "ctf_xml", "Common Transfer File XML (pupils and their attendance marks strings)",
          &buildCtfXmlConnector),
      inboundType<CensusXmlConfig>(
          "census_xml",
          "School Census XML: pupils' details and attendance totals (for markbridge reconcile)",
          &buildCensusXmlConnector),
      inboundType<MisRestConfig>(
          "mis_rest",
          "MIS REST API (Wonde-style): paged, incremental from the last updated_at; bearer token, "
          "OAuth2 client credentials, mutual TLS",
          &buildMisRestConnector),
  };
  return kTypes;
}

const InboundType* findInboundType(std::string_view type) {
  return findType(inboundTypes(), type);
}

}  // namespace markbridge
