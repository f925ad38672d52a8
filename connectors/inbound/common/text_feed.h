#pragma once
// An inbound file (or bytes already in memory) read block by block and decoded to UTF-8, so a
// large export is never held whole; the raw bytes are fingerprinted on the way (the same bytes
// are the same import).

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "core/domain/digest.h"
#include "mapping/text_encoding.h"

namespace markbridge {

class TextFeed {
 public:
  static constexpr std::size_t kBlockBytes = std::size_t{1} << 22;  // 4 MiB

  // Bytes in memory (tests, fuzzing, API bodies).
  TextFeed(std::string_view bytes, TextEncoding encoding, std::size_t blockBytes = kBlockBytes);
  // A file; ok() is false (and error() says why) when it cannot be opened. Without
  // `fingerprint`, the caller has fingerprinted the file already and fingerprint() is empty.
  TextFeed(const std::filesystem::path& file, TextEncoding encoding, bool fingerprint = true);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // Appends the next decoded block to `out`; false at the end of the input or on an error.
  bool next(std::string& out);
  bool finished() const { return finished_; }
  // Read from a file (which may have been cut short), not bytes already whole in memory.
  bool fromFile() const { return fromFile_; }
  TextEncoding detected() const { return decoder_.detected(); }
  std::uint64_t bytesRead() const { return bytesRead_; }
  // The content fingerprint of the raw bytes; complete once next() has returned false.
  std::string fingerprint();

 private:
  std::string_view memory_;
  std::size_t blockBytes_ = kBlockBytes;
  std::ifstream file_;
  bool fromFile_ = false;
  bool hashing_ = true;
  TextDecoder decoder_;
  ContentFingerprint sha_;
  std::string block_;
  std::string fingerprint_;
  std::uint64_t bytesRead_ = 0;
  bool finished_ = false;
  std::string error_;
};

}  // namespace markbridge
