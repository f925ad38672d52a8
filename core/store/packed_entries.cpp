#include "core/store/packed_entries.h"

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

}  // namespace markbridge
