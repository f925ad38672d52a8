#pragma once
// Reads an inbound file whole and fingerprints it (the same bytes are the same import).

#include <filesystem>
#include <optional>
#include <string>

namespace markbridge {

struct SourceFile {
  std::string bytes;
  std::string fingerprint;  // SHA-256 hex of the bytes
};

// Nothing when the file cannot be read; `error` then says why.
std::optional<SourceFile> readSourceFile(const std::filesystem::path& path, std::string& error);

}  // namespace markbridge
