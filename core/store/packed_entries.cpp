#include "core/store/packed_entries.h"

#include <lz4.h>

#include <algorithm>
#include <cstdint>

namespace markbridge {
namespace {

uint32_t bigEndian(std::string_view bytes) {
  uint32_t value = 0;
  for (char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

void appendBigEndian(std::string& out, uint32_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

}  // namespace

bool unpackEntries(std::string_view row, std::vector<PackedEntry>& out) {
  const auto start = out.size();
  while (row.size() >= 2) {
    const std::size_t keyLength = bigEndian(row.substr(0, 2));
    if (row.size() - 2 < keyLength + 4) break;
    const auto key = row.substr(2, keyLength);
    const std::size_t valueLength = bigEndian(row.substr(2 + keyLength, 4));
    row.remove_prefix(2 + keyLength + 4);
    if (row.size() < valueLength) break;
    out.push_back({key, row.substr(0, valueLength)});
    row.remove_prefix(valueLength);
  }
  if (row.empty()) return true;
  out.resize(start);
  return false;
}

void packEntry(std::string& row, std::string_view key, std::string_view value) {
  appendBigEndian(row, static_cast<uint32_t>(key.size()), 2);
  row.append(key);
  appendBigEndian(row, static_cast<uint32_t>(value.size()), 4);
  row.append(value);
}

std::optional<std::string> compressRow(std::string_view row) {
  if (row.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE)) return std::nullopt;
  const int size = static_cast<int>(row.size());
  std::string out(static_cast<std::size_t>(LZ4_compressBound(size)), '\0');
  const int written =
      LZ4_compress_default(row.data(), out.data(), size, static_cast<int>(out.size()));
  if (written <= 0 && size > 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(std::max(written, 0)));
  return out;
}

std::optional<std::string> decompressRow(std::string_view compressed, std::size_t size) {
  // An LZ4 block expands its input at most 255 times: a larger size is not this row's (one set
  // by hand), and is refused before anything is allocated for it.
  constexpr std::size_t kMostExpansion = 255;
  if (size > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE) ||
      size > compressed.size() * kMostExpansion + 16 ||
      compressed.size() > static_cast<std::size_t>(LZ4_compressBound(LZ4_MAX_INPUT_SIZE)))
    return std::nullopt;
  std::string out(size, '\0');
  const int read = LZ4_decompress_safe(compressed.data(), out.data(),
                                       static_cast<int>(compressed.size()), static_cast<int>(size));
  if (read < 0 || static_cast<std::size_t>(read) != size) return std::nullopt;
  return out;
}

}  // namespace markbridge
