#pragma once
// Reading a source's inputs: its configured files, then its drop folder. A file dropped into the
// folder is read once, then moved to `archive/` when it was stored (or was already imported) or
// to `quarantine/` with a sidecar `<name>.error.txt` naming each problem. A file modified in the
// last `settle_seconds` (still being written or copied) is left for the next sync, as are hidden
// files and names ending .tmp, .part or .crdownload.

#include <filesystem>
#include <functional>
#include <string>

#include "connectors/inbound/common/import_receiver.h"
#include "connectors/inbound/common/source_config.h"

namespace markbridge {

using ReadFile = std::function<void(const std::filesystem::path& file, ImportReceiver& into)>;

void pullFiles(const FileSourceConfig& config, ImportReceiver& into, const ReadFile& read);

}  // namespace markbridge
