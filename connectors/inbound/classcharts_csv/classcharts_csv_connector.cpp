#include "connectors/inbound/classcharts_csv/classcharts_csv_connector.h"

namespace markbridge {

std::unique_ptr<InboundConnector> buildClassChartsCsvConnector(const nlohmann::json& json,
                                                               const std::string& path,
                                                               const std::filesystem::path& baseDir,
                                                               const ConfigContext& context) {
  std::size_t before = context.problems->size();
  auto config = ClassChartsCsvConfig::fromJson(json, path, baseDir, context);
  auto codes = config.codeMap(path, context);
  if (context.problems->size() != before) return nullptr;
  CsvMarksSettings settings{config.name, config.priority,
                            config,      std::make_shared<CsvOptions>(config),
                            "long",      config.status_map};
  return std::make_unique<CsvMarksConnector>(std::move(settings), std::move(codes));
}

}  // namespace markbridge
