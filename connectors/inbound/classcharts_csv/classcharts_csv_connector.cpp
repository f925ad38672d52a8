#include "connectors/inbound/classcharts_csv/classcharts_csv_connector.h"

#include "connectors/inbound/common/build_source.h"

namespace markbridge {

std::unique_ptr<InboundConnector> buildClassChartsCsvConnector(const nlohmann::json& json,
                                                               const std::string& path,
                                                               const std::filesystem::path& baseDir,
                                                               const ConfigContext& context) {
  return buildFileSource<ClassChartsCsvConfig>(
      json, path, baseDir, context, [](const ClassChartsCsvConfig& config, CodeMap codes) {
        CsvMarksSettings settings{
            config.name, config.priority,   config, std::make_shared<CsvOptions>(config),
            "long",      config.status_map, {}};
        return std::make_unique<CsvMarksConnector>(std::move(settings), std::move(codes));
      });
}

}  // namespace markbridge
