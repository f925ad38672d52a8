// SHA-256 (core/domain/digest.h): event ids and store copy's checksums rest on it.

#include <gtest/gtest.h>

#include "core/domain/digest.h"

using namespace markbridge;

TEST(Sha256, GivesTheStandardDigestWholeOrInPieces) {
  // FIPS 180-2's examples.
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 pieces;
  pieces.update("abcdbcdecdefdefgefghfghighij");
  pieces.update("hijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(pieces.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Many short digests in a row (an evaluation makes thousands) stay independent.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
