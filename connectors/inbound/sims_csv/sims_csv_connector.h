#pragma once
// SIMS-style CSV exports, long layout (`UPN,Adno,Legal Surname,Legal Forename,Reg Group,Year,
// Date,Session,Mark`) or grid layout (a column per session); read by the shared CSV marks reader.

#include <memory>

#include "connectors/inbound/common/csv_marks.h"
#include "connectors/inbound/sims_csv/sims_csv_config.h"

namespace markbridge {

using SimsCsvConnector = CsvMarksConnector;

std::unique_ptr<InboundConnector> buildSimsCsvConnector(const nlohmann::json& config,
                                                        const std::string& path,
                                                        const std::filesystem::path& baseDir,
                                                        const ConfigContext& context);

}  // namespace markbridge
