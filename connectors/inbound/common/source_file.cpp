#include "connectors/inbound/common/source_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/domain/digest.h"

namespace markbridge {

std::optional<SourceFile> readSourceFile(const std::filesystem::path& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  SourceFile file{buffer.str(), {}};
  file.fingerprint = sha256Hex(file.bytes);
  return file;
}

}  // namespace markbridge
