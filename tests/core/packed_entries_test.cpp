// Rows of packed entries compressed by the store (core/store/packed_entries.h): what goes in
// comes back byte for byte, and anything that is not such a row of the size given (a row broken
// or cut short by hand, a size set by hand) is refused, never read past or allocated for.

#include "core/store/packed_entries.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace markbridge;

namespace {

// A kept year's row: `pupils` entries of a UPN and `weeks` weeks of 14 codes, mostly the same
// week again (as a register is), some sessions of other codes (`mixed` of 100).
std::string keptRow(std::mt19937& random, int pupils, int weeks, int mixed) {
  std::string row;
  for (int p = 0; p < pupils; ++p) {
    std::string codes;
    for (int w = 0; w < weeks; ++w)
      for (int slot = 0; slot < 14; ++slot) {
        char code = slot >= 10 ? 0 : static_cast<char>(slot % 2 ? 2 : 1);
        if (slot < 10 && static_cast<int>(random() % 100) < mixed)
          code = static_cast<char>(random() % 40);
        codes.push_back(code);
      }
    packEntry(row, "A8012000" + std::to_string(10000 + p), codes);
  }
  return row;
}

}  // namespace

TEST(CompressedRows, WhatIsCompressedComesBackByteForByte) {
  std::mt19937 random(20261202);
  for (int round = 0; round < 40; ++round) {
    const int mixed = round % 4 == 3 ? 100 : round % 4 * 5;  // the last: codes at random
    auto row = keptRow(random, static_cast<int>(random() % 300), 1 + round % 38, mixed);
    auto compressed = compressRow(row);
    ASSERT_TRUE(compressed.has_value());
    if (row.size() > 1000 && mixed == 0) {  // a register of the same week again
      EXPECT_LT(compressed->size() * 4, row.size());
    }
    auto back = decompressRow(*compressed, row.size());
    ASSERT_TRUE(back.has_value()) << "round " << round;
    EXPECT_EQ(*back, row) << "round " << round;
  }
  auto empty = compressRow("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(decompressRow(*empty, 0), std::string());
}

TEST(CompressedRows, ARowBrokenCutShortOrOfAnotherSizeIsRefused) {
  std::mt19937 random(7);
  const auto row = keptRow(random, 200, 38, 5);
  const auto compressed = *compressRow(row);
  // Another size than the row had: larger, smaller, far larger (not allocated for).
  EXPECT_FALSE(decompressRow(compressed, row.size() + 1));
  EXPECT_FALSE(decompressRow(compressed, row.size() - 1));
  EXPECT_FALSE(decompressRow(compressed, std::size_t{2'000'000'000}));
  // Cut short anywhere.
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{1}, compressed.size() / 2, compressed.size() - 1})
    EXPECT_FALSE(decompressRow(compressed.substr(0, cut), row.size())) << cut;
  // Bytes changed by hand: refused, or a row of the size it says that unpacking then checks;
  // never read or written outside (the sanitizer build runs this).
  for (int round = 0; round < 200; ++round) {
    auto broken = compressed;
    broken[random() % broken.size()] = static_cast<char>(random());
    if (auto back = decompressRow(broken, row.size())) {
      EXPECT_EQ(back->size(), row.size());
    }
  }
  // Not LZ4 at all: a row of entries as schema 8 kept it.
  EXPECT_FALSE(decompressRow(row, row.size()));
}
