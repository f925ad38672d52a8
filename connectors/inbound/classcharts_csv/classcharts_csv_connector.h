#pragma once
// Class Charts-style CSV: `Student ID,UPN,First name,Last name,Registration group,Date,Session,
// Code,Status,Late minutes` with ISO dates; a blank Code takes its code from the Status through
// the status map. Rows without a UPN are matched on Student ID (the MIS id) among pupils on
// roll. Read by the shared CSV marks reader.

#include <memory>

#include "connectors/inbound/classcharts_csv/classcharts_csv_config.h"
#include "connectors/inbound/common/csv_marks.h"

namespace markbridge {

std::unique_ptr<InboundConnector> buildClassChartsCsvConnector(const nlohmann::json& config,
                                                               const std::string& path,
                                                               const std::filesystem::path& baseDir,
                                                               const ConfigContext& context);

}  // namespace markbridge
