#include "core/domain/codes.h"

#include <gtest/gtest.h>

using namespace markbridge;

namespace {
Category categoryOf(const char* code) {
  return Code::fromString(code)->category();
}
}  // namespace

TEST(Codes, EveryCodeOfThe2024SetHasItsCategory) {
  for (const char* c : {"/", "\\", "L"}) EXPECT_EQ(categoryOf(c), Category::Present) << c;
  for (const char* c : {"K", "V", "P", "W", "B"})
    EXPECT_EQ(categoryOf(c), Category::Attending) << c;
  for (const char* c : {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E"})
    EXPECT_EQ(categoryOf(c), Category::Authorised) << c;
  for (const char* c : {"G", "N", "O", "U"}) EXPECT_EQ(categoryOf(c), Category::Unauthorised) << c;
  for (const char* c : {"D", "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#"})
    EXPECT_EQ(categoryOf(c), Category::NotCounted) << c;
  // 34 codes plus the "register not taken" value.
  EXPECT_EQ(Code::table().size(), 35u);
}

TEST(Codes, PossibleSessionsExcludeNotCountedAndNotTaken) {
  EXPECT_TRUE(Code::fromString("N")->isPossible());
  EXPECT_TRUE(Code::fromString("I")->isPossible());
  EXPECT_TRUE(Code::fromString("/")->isPossible());
  EXPECT_FALSE(Code::fromString("D")->isPossible());
  EXPECT_FALSE(Code::fromString("#")->isPossible());
  EXPECT_FALSE(Code::fromString("Y3")->isPossible());
  EXPECT_FALSE(Code::notTaken().isPossible());
  EXPECT_TRUE(Code().isNotTaken());
}

TEST(Codes, UnknownAndLegacyCodesAreNotIn2024Set) {
  EXPECT_FALSE(Code::fromString("H"));  // legacy: mapping's job
  EXPECT_FALSE(Code::fromString("J"));
  EXPECT_FALSE(Code::fromString("Y8"));
  EXPECT_FALSE(Code::fromString("n"));  // case is mapping's job too
  EXPECT_EQ(Code::fromString("Y7")->str(), "Y7");
}
