#pragma once
// The steps every file-reading connector takes: fingerprint the file (the same bytes are the
// same import and are skipped unread), parse it, count what it yielded and log one line.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "connectors/inbound/common/import_receiver.h"
#include "core/domain/counters.h"

namespace markbridge {

// The whole file (formats read as a document); nothing when it cannot be read, `error` then
// says why. readInboundFile() has fingerprinted it already.
std::optional<std::string> readSourceFile(const std::filesystem::path& path, std::string& error);
// The content fingerprint of a file read in blocks; nothing (and `error`) when it cannot be read.
std::optional<std::string> fileFingerprint(const std::filesystem::path& path, std::string& error);

using FileParser = std::function<void(const std::filesystem::path& file,
                                      const std::string& fingerprint, ImportReceiver& into)>;
void readInboundFile(const std::filesystem::path& file, const std::string& source,
                     ImportReceiver& into, ConnectorCounters& counters, const FileParser& parse);

}  // namespace markbridge
