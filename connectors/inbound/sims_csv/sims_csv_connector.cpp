#include "connectors/inbound/sims_csv/sims_csv_connector.h"

namespace markbridge {

std::unique_ptr<InboundConnector> buildSimsCsvConnector(const nlohmann::json& json,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context) {
  std::size_t before = context.problems->size();
  auto config = SimsCsvConfig::fromJson(json, path, baseDir, context);
  auto codes = config.codeMap(path, context);
  if (context.problems->size() != before) return nullptr;
  CsvMarksSettings settings{config.name,   config.priority,
                            config,        std::make_shared<CsvOptions>(config),
                            config.layout, {}};
  return std::make_unique<CsvMarksConnector>(std::move(settings), std::move(codes));
}

}  // namespace markbridge
