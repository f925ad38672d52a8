#include "connectors/common/secret.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/test_support.h"

using namespace markbridge;

TEST(Secret, ComesFromAnEnvironmentVariable) {
  ::setenv("MB_TEST_SECRET", "s3cret", 1);
  std::string error;
  EXPECT_EQ(readSecret("MB_TEST_SECRET", "", error), "s3cret");
  ::unsetenv("MB_TEST_SECRET");
  EXPECT_FALSE(readSecret("MB_TEST_SECRET", "", error));
  EXPECT_EQ(error, "environment variable MB_TEST_SECRET is not set");
}

TEST(Secret, AFileMustBeReadableByItsOwnerOnly) {
  test::TempDir dir;
  auto file = dir.write("token", "s3cret\n");
  std::string error;
  ::chmod(file.c_str(), 0644);
  EXPECT_FALSE(readSecret("", file, error));
  EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
  EXPECT_EQ(error.find("s3cret"), std::string::npos);
  ::chmod(file.c_str(), 0600);
  EXPECT_EQ(readSecret("", file, error), "s3cret");  // the trailing newline is not part of it
}
