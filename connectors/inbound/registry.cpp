#include "connectors/inbound/census_xml/census_xml_connector.h"
#include "connectors/inbound/classcharts_csv/classcharts_csv_connector.h"
#include "connectors/inbound/ctf_xml/ctf_xml_connector.h"
#include "connectors/inbound/inbound_connector.h"
#include "connectors/inbound/mis_rest/mis_rest_connector.h"
#include "connectors/inbound/sims_csv/sims_csv_connector.h"

namespace markbridge {

std::span<const InboundType> inboundTypes() {
  static const InboundType kTypes[] = {
      {"sims_csv", "SIMS-style CSV export, long layout (one row per pupil-session)",
       &SimsCsvConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { SimsCsvConfig::fromJson(c, p, b, ctx); },
       &buildSimsCsvConnector},
      {"classcharts_csv",
       "Class Charts-style CSV (ISO dates; a blank Code is taken from the Status)",
       &ClassChartsCsvConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { ClassChartsCsvConfig::fromJson(c, p, b, ctx); },
       &buildClassChartsCsvConnector},
      {"ctf_xml", "Common Transfer File XML (pupils and their attendance marks strings)",
       &CtfXmlConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { CtfXmlConfig::fromJson(c, p, b, ctx); },
       &buildCtfXmlConnector},
      {"census_xml",
       "School Census XML: pupils' details and attendance totals (for markbridge reconcile)",
       &CensusXmlConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { CensusXmlConfig::fromJson(c, p, b, ctx); },
       &buildCensusXmlConnector},
      {"mis_rest",
       "MIS REST API (Wonde-style): paged, incremental from the last updated_at; bearer token, "
       "OAuth2 client credentials, mutual TLS",
       &MisRestConfig::schema,
       [](const nlohmann::json& c, const std::string& p, const std::filesystem::path& b,
          const ConfigContext& ctx) { MisRestConfig::fromJson(c, p, b, ctx); },
       &buildMisRestConnector},
  };
  return kTypes;
}

const InboundType* findInboundType(std::string_view type) {
  return findType(inboundTypes(), type);
}

}  // namespace markbridge
