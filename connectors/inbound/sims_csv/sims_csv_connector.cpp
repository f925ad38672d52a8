#include "connectors/inbound/sims_csv/sims_csv_connector.h"

#include "connectors/inbound/common/build_source.h"

namespace markbridge {

std::unique_ptr<InboundConnector> buildSimsCsvConnector(const nlohmann::json& json,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context) {
  return buildFileSource<SimsCsvConfig>(
      json, path, baseDir, context, [](const SimsCsvConfig& config, CodeMap codes) {
        CsvMarksSettings settings{config.name,
                                  config.priority,
                                  config,
                                  std::make_shared<CsvOptions>(config),
                                  config.layout,
                                  {},
                                  config.ignore_columns};
        return std::make_unique<CsvMarksConnector>(std::move(settings), std::move(codes));
      });
}

}  // namespace markbridge
