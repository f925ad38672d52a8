#include "core/domain/upn.h"

#include <gtest/gtest.h>

using namespace markbridge;

TEST(Upn, AcceptsTheDfeExample) {
  EXPECT_TRUE(isValidUpn("B801200005001"));
  EXPECT_EQ(upnCheckLetter("B801200005001"), 'B');
}

TEST(Upn, RejectsAWrongCheckLetterAndSaysWhichIsExpected) {
  EXPECT_FALSE(isValidUpn("C801200005001"));
  EXPECT_NE(upnProblem("C801200005001").find("call for B"), std::string::npos);
}

TEST(Upn, TemporaryUpnEndsInALetterThatCountsInTheCheck) {
  // Position 13 letter A has value 0: same sum as digit 0.
  std::string temp = "?80120000500A";
  temp[0] = upnCheckLetter(temp);
  EXPECT_TRUE(isValidUpn(temp)) << temp << ": " << upnProblem(temp);
  EXPECT_EQ(upnCheckLetter("?80120000500A"), upnCheckLetter("?801200005000"));
  EXPECT_FALSE(isValidUpn(std::string(1, temp[0]) + "80120000500I"));  // I is not used
}

TEST(Upn, RejectsWrongShapes) {
  EXPECT_FALSE(isValidUpn(""));
  EXPECT_FALSE(isValidUpn("B80120000500"));
  EXPECT_FALSE(isValidUpn("B8012000050012"));
  EXPECT_FALSE(isValidUpn("I801200005001"));  // I is never a check letter
  EXPECT_FALSE(isValidUpn("B8012A0005001"));
}
