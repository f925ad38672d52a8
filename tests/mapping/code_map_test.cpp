#include "mapping/code_map.h"

#include <gtest/gtest.h>

using namespace markbridge;

TEST(CodeMap, MapsLegacyCodesTo2024AndFlagsHolidays) {
  auto map = CodeMap::builtIn();
  EXPECT_EQ(map.map("H")->code.str(), "C");
  EXPECT_TRUE(map.map("H")->review);
  EXPECT_EQ(map.map("F")->code.str(), "C");
  EXPECT_EQ(map.map("J")->code.str(), "J1");
  EXPECT_EQ(map.map("Y")->code.str(), "Y7");
  EXPECT_EQ(map.map("X03")->code.str(), "X");
  EXPECT_EQ(map.map("I02")->code.str(), "I");
  EXPECT_FALSE(map.map("N")->review);
}

TEST(CodeMap, MissingMarksAreNotTakenNeverAbsence) {
  auto map = CodeMap::builtIn();
  for (const char* blank : {"", "-", "*", "?", "!", "  "})
    EXPECT_TRUE(map.map(blank)->code.isNotTaken()) << "'" << blank << "'";
}

TEST(CodeMap, UnknownCodesAreNeverGuessed) {
  auto map = CodeMap::builtIn();
  EXPECT_FALSE(map.map("ZZ"));
  EXPECT_FALSE(map.map("Y9"));
  EXPECT_FALSE(map.map("PRESENT"));
  EXPECT_EQ(map.map(" n ")->code.str(), "N");  // spacing and case are forgiven
}

TEST(CodeMap, ConnectorOverridesLayerOverTheBuiltInMap) {
  auto map = CodeMap::builtIn();
  std::vector<Problem> problems;
  ConfigContext context{"config.json", &problems};
  map.addOverrides({{"Y", "Y1"}, {"HOL", "G"}, {"Q9", "QQ"}}, "$.sources[0].code_map", context);
  EXPECT_EQ(map.map("Y")->code.str(), "Y1");
  EXPECT_EQ(map.map("hol")->code.str(), "G");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].location, "$.sources[0].code_map.Q9");
  EXPECT_EQ(problems[0].value, "QQ");
}
